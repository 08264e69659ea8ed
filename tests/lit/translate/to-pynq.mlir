// RUN: rm -rf %t %t.again
// RUN: qnn-translate --to-pynq %s -o %t
// RUN: filecheck %s --check-prefix=MODEL < %t/model.py
// RUN: filecheck %s --check-prefix=MANIFEST < %t/manifest.json
// RUN: filecheck %s --check-prefix=README < %t/README.md
// RUN: ls %t %t/hls %t/qnn_runtime %t/sim %t/vivado | filecheck %s --check-prefix=FILES
// The driver computes the whole function, host ops included, as the interpreter does.
// RUN: python -c "import numpy as np; np.save('%t.x.npy', np.array([[0.75, -1, 0.25, 0], [-0.5, 2, 1, -2]], np.float32))"
// RUN: python %t/driver.py --device sim --input %t.x.npy --output %t.y.npy
// RUN: qnn-run %s --input %t.x.npy --output %t.ref.npy
// RUN: python -c "import numpy as np; a, b = np.load('%t.y.npy'), np.load('%t.ref.npy'); assert a.dtype == b.dtype and np.array_equal(a, b), (a, b)"
// The package is written again over itself, never over a directory it did not write.
// RUN: qnn-translate --to-pynq %s -o %t
// RUN: mkdir -p %t.again && touch %t.again/mine.txt
// RUN: not qnn-translate --to-pynq %s -o %t.again 2>&1 | filecheck %s --check-prefix=NOT-OURS
// RUN: not qnn-translate --to-pynq %s 2>&1 | filecheck %s --check-prefix=NO-DIR
// RUN: not qnn-translate --to-pynq %s -o %t.zcu --board zcu104 2>&1 | filecheck %s --check-prefix=ZCU
// RUN: not ls %t.zcu

// The host part: the input quantizer before the accelerator, the scale after it.
// MODEL:      from qnn_runtime import host_ops as ops
// MODEL:      def forward(accelerator, x):
// MODEL:        # quant.multithreshold %q : tensor<1x4xsi2>
// MODEL-NEXT:   q = ops.multithreshold(
// MODEL:        # func.call @mlp %y : tensor<1x2xui2>
// MODEL-NEXT:   (y,) = accelerator.execute(q)
// MODEL:        # quant.mul %z : tensor<1x2xf32>
// MODEL-NEXT:   z = ops.mul(y, s, float_result=True)
// MODEL:      return (z,)

// Per port: the tensor, the datatype, elements per word, the word and its DMA beats.
// MANIFEST:      "kernel": "mlp",
// MANIFEST:      "cell": "axi_dma_0",
// MANIFEST:      "inputs": [
// MANIFEST-NEXT:   {
// MANIFEST-NEXT:     "name": "in0",
// MANIFEST-NEXT:     "shape": [
// MANIFEST:          "datatype": "int2",
// MANIFEST-NEXT:     "fold": 2,
// MANIFEST-NEXT:     "word_bits": 8,
// MANIFEST-NEXT:     "beat_bits": 8,
// MANIFEST-NEXT:     "word_bytes": 1,
// MANIFEST-NEXT:     "frame_words": 2,
// MANIFEST-NEXT:     "frame_bytes": 2
// MANIFEST:      "outputs": [
// MANIFEST:          "datatype": "uint2",

// README: # Deployment package of `mlp`
// README: | in0 | in | 1x4 | int2 | 2 | 8 | 8 | 2 |
// README: vitis_hls -f run_hls.tcl
// README: vivado -mode batch -source vivado/block_design.tcl -tclargs hls/mlp_prj/solution1/impl/ip bitstream
// README: sudo python3 driver.py --input x.npy --output y.npy

// FILES: README.md
// FILES: driver.py
// FILES: hls
// FILES: host_constants.npz
// FILES: manifest.json
// FILES: model.py
// FILES: qnn_runtime
// FILES: validate.py
// FILES: top.cpp
// FILES: accelerator.py
// FILES: packing.py
// FILES: accelerator.so
// FILES: block_design.tcl

// NOT-OURS: error: exists and is not a deployment package written by qnn-translate --to-pynq; choose another output directory
// NO-DIR: qnn-translate: error: --to-pynq writes a directory: give it with -o DIR
// ZCU: to-pynq.mlir: error: the Vivado block design is for the Zynq-7000 boards pynq-z1, pynq-z2 (processing_system7); @mlp targets ZCU104

func.func @main(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %t = arith.constant dense<[[-0.5, 0.0, 0.5]]> : tensor<1x3xf32>
  %q = quant.multithreshold %x, %t {out_bias = -2.0 : f64, out_dtype = "INT2"} : (tensor<1x4xf32>, tensor<1x3xf32>) -> tensor<1x4xsi2>
  %y = dataflow.accelerator @mlp(%q) : (tensor<1x4xsi2>) -> tensor<1x2xui2> {
  ^bb0(%in: !dataflow.stream<1x4xsi2, 2>):
    %h = dataflow.mvau %in MW 4 MH 4 SIMD 2 PE 2 {name = "fc",
        weights = dense<[[1, -2, 0, 1], [-1, 1, 1, 0], [0, 0, -2, 1], [1, 1, 1, -1]]> : tensor<4x4xsi2>,
        thresholds = dense<[[-1, 2], [0, 3], [-4, 1], [1, 1]]> : tensor<4x2xi32>, out_bias = -1}
        : !dataflow.stream<1x4xsi2, 2> -> !dataflow.stream<1x4xsi2, 2>
    %l = dataflow.label_select %h K 2 PE 2 : !dataflow.stream<1x4xsi2, 2> -> !dataflow.stream<1x2xui2, 1>
    dataflow.yield %l : !dataflow.stream<1x2xui2, 1>
  }
  %s = arith.constant dense<0.5> : tensor<f32>
  %z = quant.mul %y, %s : (tensor<1x2xui2>, tensor<f32>) -> tensor<1x2xf32>
  func.return %z : tensor<1x2xf32>
}
