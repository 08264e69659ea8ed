// qnn/csim_tables.h - C simulation only: ROMs decoded once into native tables.
//
// The C-simulation fast path (QNN_FAST_CSIM, qnn/types.h) does not read a ROM
// word per cycle as the folded schedule does. A layer decodes its ROM on first
// use into a table of native numbers laid out for the computation, not for
// the folding (qnn/mvau_unfolded.h for weights, ThresholdTable below), and
// keeps it for the life of the program. Values travel as raw element bits in
// an unsigned long long and become native numbers through NativeValue, with
// no ap_int temporaries per element. Nothing here is seen by synthesis or by
// -DQNN_PORTABLE_CSIM.
#ifndef QNN_CSIM_TABLES_H
#define QNN_CSIM_TABLES_H

#include "qnn/activation.h"
#include "qnn/types.h"

#ifdef QNN_FAST_CSIM

#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>
#include <vector>

namespace qnn {
namespace csim {

// The decoded form of a ROM, built by `Decoded(rom)` on the first call. The
// key is the ROM's address and the decoded type: layers with the same template
// arguments share one instantiation of this function but may read different
// ROMs. One untyped cache serves every type (g++ would compile a std::map per
// type), and its lock keeps the simulation re-entrant (ctypes callers may run
// batches on several threads).
inline const void *decoded_entry(const void *rom, const void *type,
                                 std::shared_ptr<const void> (*decode)(const void *)) {
  static std::mutex lock;
  static std::map<std::pair<const void *, const void *>, std::shared_ptr<const void> > cache;
  std::lock_guard<std::mutex> guard(lock);
  std::shared_ptr<const void> &entry = cache[std::make_pair(rom, type)];
  if (!entry) entry = decode(rom);
  return entry.get();
}

template <typename Decoded, typename LimbT, int LIMBS>
std::shared_ptr<const void> decode(const void *rom) {
  return std::shared_ptr<const void>(new Decoded(static_cast<const LimbT(*)[LIMBS]>(rom)));
}

template <typename Decoded, typename LimbT, int LIMBS>
const Decoded &decoded(const LimbT (*rom)[LIMBS]) {
  static const char type = 0;  // its address stands for Decoded
  return *static_cast<const Decoded *>(
      decoded_entry(rom, &type, &decode<Decoded, LimbT, LIMBS>));
}

inline unsigned long long low_mask(int bits) { return bits >= 64 ? ~0ULL : (1ULL << bits) - 1; }

// Bits [low, low + count) of a ROM row (limbs of LimbT, limb 0 lowest), 1 <= count <= 64.
template <typename LimbT>
unsigned long long row_bits(const LimbT *row, int low, int count) {
  const int limb_bits = LimbBits<LimbT>::value;
  unsigned long long bits = 0;
  for (int done = 0; done < count;) {
    const int shift = (low + done) % limb_bits;
    const int take = limb_bits - shift < count - done ? limb_bits - shift : count - done;
    const unsigned long long limb = static_cast<unsigned long long>(row[(low + done) / limb_bits]);
    bits |= ((limb >> shift) & low_mask(take)) << done;
    done += take;
  }
  return bits;
}

// The value of a datatype policy's raw element bits (qnn/types.h), natively:
//   wrapped(raw)  the value modulo 2^64, for sums kept modulo 2^K (integers: `wraps`);
//   exact(raw)    the value as exact_t, for comparisons (`is_exact`: it fits).
template <typename T>
struct NativeValue {
  static const bool wraps = false;
  static const bool is_exact = false;
  typedef long long exact_t;
  static unsigned long long wrapped(unsigned long long) { return 0; }
  static exact_t exact(unsigned long long) { return 0; }
};
template <int B>
struct NativeValue<UInt<B> > {
  static const bool wraps = B <= 64;
  static const bool is_exact = B <= 63;
  typedef long long exact_t;
  static unsigned long long wrapped(unsigned long long raw) { return raw; }
  static exact_t exact(unsigned long long raw) { return static_cast<long long>(raw); }
};
template <int B>
struct NativeValue<SInt<B> > {
  static const bool wraps = B <= 64;
  static const bool is_exact = B <= 64;
  typedef long long exact_t;
  static unsigned long long wrapped(unsigned long long raw) {
    const unsigned long long sign = 1ULL << (B <= 64 ? B - 1 : 63);
    return (raw ^ sign) - sign;  // sign extension of a B-bit two's complement
  }
  static exact_t exact(unsigned long long raw) { return static_cast<long long>(wrapped(raw)); }
};
template <>
struct NativeValue<Bipolar> {
  static const bool wraps = true;
  static const bool is_exact = true;
  typedef long long exact_t;
  static unsigned long long wrapped(unsigned long long raw) { return raw ? 1ULL : ~0ULL; }
  static exact_t exact(unsigned long long raw) { return raw ? 1 : -1; }
};
template <>
struct NativeValue<Float32> {
  static const bool wraps = false;
  static const bool is_exact = true;
  typedef float exact_t;
  static unsigned long long wrapped(unsigned long long) { return 0; }
  static exact_t exact(unsigned long long raw) {
    const unsigned int bits = static_cast<unsigned int>(raw);
    float value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
  }
};

// The datatype policy whose value_t is the accumulator type AccT.
template <typename AccT>
struct PolicyOf {};
template <int W>
struct PolicyOf<ap_uint<W> > {
  typedef UInt<W> type;
};
template <int W>
struct PolicyOf<ap_int<W> > {
  typedef SInt<W> type;
};

// The thresholds of a ROM, channel after channel (N each), as exact values of
// the datatype ThrT: what Thresholds::apply compares against, decoded once.
template <int CHANNELS, int N, typename ThrT, typename LimbT, int LIMBS>
struct ThresholdTable {
  typedef typename NativeValue<ThrT>::exact_t value_t;
  std::vector<value_t> values;

  explicit ThresholdTable(const LimbT (*rom)[LIMBS]) : values(CHANNELS * N) {
    for (int c = 0; c < CHANNELS; c++) {
      for (int i = 0; i < N; i++) {
        values[c * N + i] = NativeValue<ThrT>::exact(row_bits(rom[c], i * ThrT::bits, ThrT::bits));
      }
    }
  }

  // #{i : value >= T[channel][i]}, the comparison of Thresholds::apply.
  int count(int channel, value_t value) const {
    const value_t *thresholds = &values[channel * N];
    int count = 0;
    for (int i = 0; i < N; i++) count += value >= thresholds[i];
    return count;
  }
};

// Whether the activation has a native form for ValueT values: thresholds that
// compare exactly with native values, or a pass-through of an integer.
template <typename Activation, typename ValueT>
struct HasNativeForm {
  static const bool value = false;
};
template <int PE, int N, typename ThrT, int OUT_BITS, int OUT_BIAS, typename LimbT, int LIMBS,
          typename ValueT>
struct HasNativeForm<Thresholds<PE, N, ThrT, OUT_BITS, OUT_BIAS, LimbT, LIMBS>, ValueT> {
  typedef NativeValue<ThrT> threshold;
  typedef NativeValue<ValueT> value_t;
  static const bool value =
      ThrT::bits <= 64 && threshold::is_exact && value_t::is_exact &&
      std::is_same<typename threshold::exact_t, typename value_t::exact_t>::value;
};
template <int OUT_BITS, typename ValueT>
struct HasNativeForm<PassThrough<OUT_BITS>, ValueT> {
  static const bool value = NativeValue<ValueT>::wraps;
};

// The activation of channel c of a layer with CHANNELS channels, one channel
// at a time in any order, on the raw bits of a ValueT value (a datatype
// policy of at most 64 bits); the result is the raw output element. In
// general: the activation's own load() and apply(), the tile's threshold word
// loaded once per tile, as the folded loop does.
template <typename Activation, int CHANNELS, typename ValueT,
          bool NATIVE = HasNativeForm<Activation, ValueT>::value>
class UnfoldedActivation {
 public:
  explicit UnfoldedActivation(const typename Activation::row_t *rom) : rom_(rom), tile_(-1) {}

  unsigned long long apply(int channel, unsigned long long raw) {
    if (channel / Activation::pe != tile_) {
      tile_ = channel / Activation::pe;
      word_ = Activation::load(rom_, tile_);
    }
    const typename ValueT::value_t value = ValueT::value(ap_uint<ValueT::bits>(raw));
    return Activation::apply(word_, value, channel % Activation::pe).to_uint64();
  }

 private:
  const typename Activation::row_t *rom_;
  typename Activation::word_t word_;
  int tile_;
};

// Thresholds with an exact native form: count with the decoded table.
template <int PE, int N, typename ThrT, int OUT_BITS, int OUT_BIAS, typename LimbT, int LIMBS,
          int CHANNELS, typename ValueT>
class UnfoldedActivation<Thresholds<PE, N, ThrT, OUT_BITS, OUT_BIAS, LimbT, LIMBS>, CHANNELS,
                         ValueT, true> {
 public:
  typedef ThresholdTable<CHANNELS, N, ThrT, LimbT, LIMBS> table_t;

  explicit UnfoldedActivation(const LimbT (*rom)[LIMBS]) : table_(decoded<table_t>(rom)) {}

  // ap_uint<OUT_BITS>(count + OUT_BIAS): the sum modulo 2^OUT_BITS.
  unsigned long long apply(int channel, unsigned long long raw) const {
    const int count = table_.count(channel, NativeValue<ValueT>::exact(raw));
    return static_cast<unsigned long long>(count + OUT_BIAS) & low_mask(OUT_BITS);
  }

 private:
  const table_t &table_;
};

// The accumulator itself: ap_uint<OUT_BITS>(value) is the low OUT_BITS bits of
// the value's two's complement, sign-extended first if OUT_BITS is wider.
template <int OUT_BITS, int CHANNELS, typename ValueT>
class UnfoldedActivation<PassThrough<OUT_BITS>, CHANNELS, ValueT, true> {
 public:
  explicit UnfoldedActivation(const typename PassThrough<OUT_BITS>::row_t *) {}

  unsigned long long apply(int, unsigned long long raw) const {
    return NativeValue<ValueT>::wrapped(raw) & low_mask(OUT_BITS);
  }
};

}  // namespace csim
}  // namespace qnn

#endif  // QNN_FAST_CSIM

#endif  // QNN_CSIM_TABLES_H
