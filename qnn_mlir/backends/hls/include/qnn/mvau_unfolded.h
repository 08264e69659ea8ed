// qnn/mvau_unfolded.h - C simulation only: the MVAU without its folded schedule.
//
// The folded loop of qnn::mvau_core takes MW*MH / (PE*SIMD) iterations per
// input vector, each on ap_uint words, so C simulation at PE = SIMD = 1 ran 40
// times slower than at FINN's folding of the same network. Under
// QNN_FAST_CSIM, mvau_core calls UnfoldedMvau::run instead, which per input
// vector reads the SF input words and unpacks them once into a form that does
// not depend on the folding, computes all MH accumulators with native
// arithmetic against a copy of the weights decoded from the ROM on first use
// (qnn/csim_tables.h), then applies the activation and writes the NF output
// words as the folded loop does. Work per vector: MW*MH multiply-adds (or
// MW*MH/64 popcounts), plus one stream access per word.
//
// Same bits: the folded loop's accumulator is AccT(sum) of AccT-valued terms,
// the exact sum modulo 2^W for a W-bit AccT (qnn::Accumulator, qnn/types.h).
// Here the sum is taken modulo 2^K in a native unsigned type of K >= W bits
// (16, 32 or 64, the narrowest that fits, so the compiler can vectorize); its
// low W bits are the raw bits of AccT(sum), which the activation reads as a
// value of the datatype PolicyOf<AccT> (qnn/csim_tables.h).
//
// Covered: qnn::Xnor, and qnn::Multiply of integer or bipolar datatypes of at
// most 64 bits, with an ap_int or ap_uint AccT of at most 64 bits. For
// anything else run() returns false and mvau_core runs the folded loop.
#ifndef QNN_MVAU_UNFOLDED_H
#define QNN_MVAU_UNFOLDED_H

#include <hls_stream.h>

#include "qnn/activation.h"
#include "qnn/csim_tables.h"
#include "qnn/types.h"

#ifdef QNN_FAST_CSIM

#include <vector>

namespace qnn {

struct Xnor;
template <typename InT, typename WT>
struct Multiply;

namespace csim {

// The width of an ap_int or ap_uint accumulator; 0 for anything else.
template <typename T>
struct IntWidth {
  static const int value = 0;
};
template <int W>
struct IntWidth<ap_uint<W> > {
  static const int value = W;
};
template <int W>
struct IntWidth<ap_int<W> > {
  static const int value = W;
};

// The narrowest native unsigned type for sums modulo 2^K, K >= W, and the type
// to multiply in (unsigned short would promote to int, and overflow it).
template <int W, bool UP_TO_16 = (W <= 16), bool UP_TO_32 = (W <= 32)>
struct SumOf {
  typedef unsigned long long type;
  typedef unsigned long long product_t;
};
template <int W>
struct SumOf<W, true, true> {
  typedef unsigned short type;
  typedef unsigned int product_t;
};
template <int W>
struct SumOf<W, false, true> {
  typedef unsigned int type;
  typedef unsigned int product_t;
};

// The raw bits of W[i][j] in the MVAU weight ROM (layout in qnn/mvau.h).
template <int MW, int SIMD, int PE, typename LimbT, int LIMBS>
unsigned long long weight_bits(const LimbT (*rom)[LIMBS], int i, int j, int bits) {
  const int word = (j / PE) * (MW / SIMD) + i / SIMD;
  const int element = (j % PE) * SIMD + i % SIMD;
  return row_bits(rom[word], element * bits, bits);
}

// How a Product is computed without the folding: the weights decoded from the
// ROM (the constructor), an input vector in unpacked form (vector_t, filled
// from its SF stream words by read) and the accumulator of neuron j (dot),
// modulo 2^64 or less.
template <typename Product, int MW, int MH, int SIMD, int PE, int ACC_BITS>
struct UnfoldedProduct {
  static const bool ok = false;
};

// qnn::Xnor: vector and weights as bits in 64-bit limbs (bit i of neuron j:
// input i); the agreements are MW minus the popcount of x ^ w.
template <int MW, int MH, int SIMD, int PE, int ACC_BITS>
struct UnfoldedProduct<Xnor, MW, MH, SIMD, PE, ACC_BITS> {
  static const bool ok = true;
  static const int LIMBS = (MW + 63) / 64;
  struct vector_t {
    unsigned long long limbs[LIMBS];
  };
  std::vector<unsigned long long> weights;  // neuron j: limbs [j*LIMBS, (j + 1)*LIMBS)

  template <typename LimbT, int ROM_LIMBS>
  explicit UnfoldedProduct(const LimbT (*rom)[ROM_LIMBS]) : weights(MH * LIMBS, 0) {
    for (int j = 0; j < MH; j++) {
      for (int i = 0; i < MW; i++) {
        weights[j * LIMBS + i / 64] |= weight_bits<MW, SIMD, PE>(rom, i, j, 1) << (i % 64);
      }
    }
  }

  // Word sf holds inputs [sf*SIMD, (sf + 1)*SIMD) as bits.
  template <int IN_W>
  static void read(hls::stream<ap_uint<IN_W> > &in, vector_t &x) {
    LimbPacker packer(x.limbs);
    for (int sf = 0; sf < MW / SIMD; sf++) {
      const ap_uint<IN_W> word = in.read();
      for (int low = 0; low < SIMD; low += 64) {
        const int count = SIMD - low < 64 ? SIMD - low : 64;
        packer.put(bits_at(word, low, count), count);
      }
    }
    packer.flush();
  }

  unsigned long long dot(int j, const vector_t &x) const {
    const unsigned long long *w = &weights[j * LIMBS];
    int disagreements = 0;
    for (int k = 0; k < LIMBS; k++) disagreements += popcount64(x.limbs[k] ^ w[k]);
    return static_cast<unsigned long long>(MW - disagreements);
  }
};

// qnn::Multiply: vector and weights as native values modulo 2^K (SumOf), each
// neuron's MW weights contiguous, so dot is a loop the compiler vectorizes.
template <typename InT, typename WT, int MW, int MH, int SIMD, int PE, int ACC_BITS>
struct UnfoldedProduct<Multiply<InT, WT>, MW, MH, SIMD, PE, ACC_BITS> {
  static const bool ok = NativeValue<InT>::wraps && NativeValue<WT>::wraps;
  typedef typename SumOf<ACC_BITS>::type sum_t;
  typedef typename SumOf<ACC_BITS>::product_t product_t;
  struct vector_t {
    sum_t values[MW];
  };
  std::vector<sum_t> weights;  // neuron j: [j*MW, (j + 1)*MW)

  template <typename LimbT, int ROM_LIMBS>
  explicit UnfoldedProduct(const LimbT (*rom)[ROM_LIMBS]) : weights(MH * MW) {
    for (int j = 0; j < MH; j++) {
      for (int i = 0; i < MW; i++) {
        const unsigned long long raw = weight_bits<MW, SIMD, PE>(rom, i, j, WT::bits);
        weights[j * MW + i] = static_cast<sum_t>(NativeValue<WT>::wrapped(raw));
      }
    }
  }

  template <int IN_W>
  static void read(hls::stream<ap_uint<IN_W> > &in, vector_t &x) {
    for (int sf = 0; sf < MW / SIMD; sf++) {
      const ap_uint<IN_W> word = in.read();
      for (int s = 0; s < SIMD; s++) {
        const unsigned long long raw = bits_at(word, s * InT::bits, InT::bits);
        x.values[sf * SIMD + s] = static_cast<sum_t>(NativeValue<InT>::wrapped(raw));
      }
    }
  }

  sum_t dot(int j, const vector_t &x) const {
    const sum_t *w = &weights[j * MW];
    sum_t sum = 0;
    for (int i = 0; i < MW; i++) {
      sum = static_cast<sum_t>(sum + static_cast<product_t>(x.values[i]) * w[i]);
    }
    return sum;
  }
};

// The MVAU of qnn/mvau.h, unfolded; run() returns false for a case not covered.
template <int MW, int MH, int SIMD, int PE, int VECTORS, typename Product, typename AccT,
          typename Activation,
          bool COVERED = (IntWidth<AccT>::value > 0 && IntWidth<AccT>::value <= 64 &&
                          Activation::out_bits <= 64 &&
                          UnfoldedProduct<Product, MW, MH, SIMD, PE, IntWidth<AccT>::value>::ok)>
struct UnfoldedMvau {
  static const bool covered = false;

  template <int IN_W, int OUT_W, typename LimbT, int LIMBS>
  static bool run(hls::stream<ap_uint<IN_W> > &, hls::stream<ap_uint<OUT_W> > &,
                  const LimbT (*)[LIMBS], const typename Activation::row_t *) {
    return false;
  }
};

template <int MW, int MH, int SIMD, int PE, int VECTORS, typename Product, typename AccT,
          typename Activation>
struct UnfoldedMvau<MW, MH, SIMD, PE, VECTORS, Product, AccT, Activation, true> {
  static const bool covered = true;
  static const int ACC_BITS = IntWidth<AccT>::value;
  typedef UnfoldedProduct<Product, MW, MH, SIMD, PE, ACC_BITS> product_t;

  template <int IN_W, int OUT_W, typename LimbT, int LIMBS>
  static bool run(hls::stream<ap_uint<IN_W> > &in, hls::stream<ap_uint<OUT_W> > &out,
                  const LimbT (*weights)[LIMBS], const typename Activation::row_t *thresholds) {
    const product_t &product = decoded<product_t>(weights);
    UnfoldedActivation<Activation, MH, typename PolicyOf<AccT>::type> activation(thresholds);
    typename product_t::vector_t x;
    for (int v = 0; v < VECTORS; v++) {
      product_t::read(in, x);
      for (int nf = 0; nf < MH / PE; nf++) {
        WordPacker<OUT_W> word;
        for (int p = 0; p < PE; p++) {
          // AccT(sum): the low ACC_BITS bits, the raw bits of an AccT value
          const unsigned long long acc = product.dot(nf * PE + p, x) & low_mask(ACC_BITS);
          word.put(activation.apply(nf * PE + p, acc), Activation::out_bits);
        }
        out.write(word.word());
      }
    }
    return true;
  }
};

}  // namespace csim
}  // namespace qnn

#endif  // QNN_FAST_CSIM

#endif  // QNN_MVAU_UNFOLDED_H
