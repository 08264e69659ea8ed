// qnn/axi.h - the AXI4-Stream side of the synthesis top: DMA beats <-> kernel words.
//
//   qnn::axi_to_words<W, BEAT_BITS, FRAME_WORDS>(in, words, frames)
//       hls::stream<ap_axiu<BEAT_BITS, 0, 0, 0> >  ->  hls::stream<ap_uint<W> >
//   qnn::words_to_axi<W, BEAT_BITS, FRAME_WORDS>(words, out, frames)
//       hls::stream<ap_uint<W> >  ->  hls::stream<ap_axiu<BEAT_BITS, 0, 0, 0> >
//
// The kernel's streams carry words of any width W; PYNQ's AXI DMA streams beats
// of BEAT_BITS = 8..1024 bits, a power of two, and its receive (S2MM) side ends
// a transfer at TLAST. A word travels as BEATS = ceil(W / BEAT_BITS) beats, its
// low bits first; the bits of its last beat above W are zero on the way out and
// ignored on the way in. The emitter chooses BEAT_BITS
// (qnn_mlir/backends/hls/axi.py, the one place the rule is written); these
// templates follow it.
//
// One call moves a batch: `frames` frames of FRAME_WORDS words, which is one DMA
// transfer each way.
//   axi_to_words reads exactly frames * FRAME_WORDS * BEATS beats. It ignores
//     TKEEP and TLAST: the DMA sets TLAST on the last beat of its transfer, which
//     is the last beat read when the host sends the batch in one buffer.
//   words_to_axi writes as many beats, TKEEP and TSTRB all ones, and TLAST on
//     the very last beat of the batch only, so one S2MM transfer receives the
//     whole batch.
// Both move one beat per cycle (PIPELINE II=1); the beat counter is 64 bits
// wide, so any `frames` fits.
#ifndef QNN_AXI_H
#define QNN_AXI_H

#include <ap_axi_sdata.h>
#include <ap_int.h>
#include <hls_stream.h>

namespace qnn {

// The beats of one word in flight, as a shift register of BEATS beats:
// push() enters a beat at the top, so after BEATS pushes beat 0 is the low
// bits; pop() takes the low beat and moves the others down.
template <int BEATS, int BEAT_BITS>
struct BeatShifter {
  static const int BITS = BEATS * BEAT_BITS;
  ap_uint<BITS> bits;
  BeatShifter() : bits(0) {}
  void push(const ap_uint<BEAT_BITS> &beat) {
    bits = bits >> BEAT_BITS;
    bits.range(BITS - 1, BITS - BEAT_BITS) = beat;
  }
  ap_uint<BEAT_BITS> pop() {
    const ap_uint<BEAT_BITS> low = bits.range(BEAT_BITS - 1, 0);
    bits = bits >> BEAT_BITS;
    return low;
  }
};

// One beat per word: no shifting (a shift by the whole width is undefined).
template <int BEAT_BITS>
struct BeatShifter<1, BEAT_BITS> {
  ap_uint<BEAT_BITS> bits;
  BeatShifter() : bits(0) {}
  void push(const ap_uint<BEAT_BITS> &beat) { bits = beat; }
  ap_uint<BEAT_BITS> pop() { return bits; }
};

// The beats of a batch of `frames` frames of FRAME_WORDS words of W bits.
template <int W, int BEAT_BITS, int FRAME_WORDS>
struct AxiBatch {
  static const int BEATS_PER_WORD = (W + BEAT_BITS - 1) / BEAT_BITS;
  typedef BeatShifter<BEATS_PER_WORD, BEAT_BITS> Word;
  static unsigned long long beats(unsigned int frames) {
    return static_cast<unsigned long long>(frames) * FRAME_WORDS * BEATS_PER_WORD;
  }
};

template <int W, int BEAT_BITS, int FRAME_WORDS>
void axi_to_words(hls::stream<ap_axiu<BEAT_BITS, 0, 0, 0> > &in, hls::stream<ap_uint<W> > &words,
                  unsigned int frames) {
  typedef AxiBatch<W, BEAT_BITS, FRAME_WORDS> Batch;
  const unsigned long long beats = Batch::beats(frames);
  typename Batch::Word word;
  int beat = 0;
  for (unsigned long long i = 0; i < beats; i++) {
#pragma HLS PIPELINE II=1
    word.push(in.read().data);
    if (++beat == Batch::BEATS_PER_WORD) {
      words.write(ap_uint<W>(word.bits));  // drops the padding above W
      beat = 0;
    }
  }
}

template <int W, int BEAT_BITS, int FRAME_WORDS>
void words_to_axi(hls::stream<ap_uint<W> > &words, hls::stream<ap_axiu<BEAT_BITS, 0, 0, 0> > &out,
                  unsigned int frames) {
  typedef AxiBatch<W, BEAT_BITS, FRAME_WORDS> Batch;
  const unsigned long long beats = Batch::beats(frames);
  typename Batch::Word word;
  int beat = 0;
  for (unsigned long long i = 0; i < beats; i++) {
#pragma HLS PIPELINE II=1
    if (beat == 0) word.bits = words.read();  // zero-extended: the padding is zero
    ap_axiu<BEAT_BITS, 0, 0, 0> flit;
    flit.data = word.pop();
    flit.keep = -1;  // all ones
    flit.strb = -1;
    flit.last = i == beats - 1;
    out.write(flit);
    if (++beat == Batch::BEATS_PER_WORD) beat = 0;
  }
}

}  // namespace qnn

#endif  // QNN_AXI_H
