// ap_axi_sdata.h - the qnn-mlir project's own ap_axiu, for C simulation with g++ only.
//
// Vitis HLS uses its own ap_axi_sdata.h (where ap_axiu is hls::axis with side
// channels of zero width left out); this file is on the include path only
// when qnn_mlir.backends.hls.csim compiles the emitted project, because the
// ap_types headers of hls4ml do not have one. It holds what the generated
// code uses: one AXI4-Stream beat with
//
//   data   D bits             TDATA
//   keep   one bit per byte   TKEEP: which bytes of data are valid
//   strb   one bit per byte   TSTRB: which bytes are data (not position bytes)
//   last   1 bit              TLAST: the last beat of a packet (a DMA transfer)
//
// and TUSER, TID, TDEST of U, TI, TD bits. A side channel of width 0 does not
// exist in hardware; here it is one bit that nobody reads, since ap_uint<0>
// is not a type. The generated code never touches user, id or dest.
#ifndef QNN_AP_AXI_SDATA_H
#define QNN_AP_AXI_SDATA_H

#include <ap_int.h>

template <int D, int U, int TI, int TD>
struct ap_axiu {
  ap_uint<D> data;
  ap_uint<(D + 7) / 8> keep;
  ap_uint<(D + 7) / 8> strb;
  ap_uint<U ? U : 1> user;
  ap_uint<1> last;
  ap_uint<TI ? TI : 1> id;
  ap_uint<TD ? TD : 1> dest;
};

#endif  // QNN_AP_AXI_SDATA_H
