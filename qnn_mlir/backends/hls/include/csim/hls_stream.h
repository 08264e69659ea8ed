// hls_stream.h - the qnn-mlir project's own hls::stream, for C simulation with g++ only.
//
// Vitis HLS uses its own hls_stream.h; this file is on the include path only
// when qnn_mlir.backends.hls.csim compiles the emitted project. A stream is an
// unbounded FIFO queue: depth pragmas do not apply in C simulation, where the
// top function runs its layers one after the other. Reading an empty stream
// means the producer wrote fewer words than the consumer expects (a deadlock
// in hardware), so it throws instead of returning garbage.
//
// The queue is a vector and a read position: a layer writes all the words of
// a frame before the next one reads them, so the vector fills, drains and is
// reset to empty, keeping its memory: a stream that lives across frames (the
// testbench's ports) allocates nothing per word or per frame. The streams of
// the top function are new at every frame (call); their vectors come from a
// per-thread pool and go back to it, so they do not grow again every frame.
#ifndef QNN_HLS_STREAM_H
#define QNN_HLS_STREAM_H

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace hls {

template <typename T>
class stream {
 public:
  stream() : name_("unnamed"), head_(0) { take_spare(); }
  explicit stream(const char *name) : name_(name), head_(0) { take_spare(); }  // a literal
  ~stream() {
    if (words_.capacity() == 0) return;
    words_.clear();
    spares().push_back(std::vector<T>());
    spares().back().swap(words_);
  }

  T read() {
    if (head_ == words_.size()) {
      throw std::runtime_error(std::string("hls::stream '") + name_ +
                               "' read while empty: its producer wrote too few words");
    }
    T value = words_[head_++];
    if (head_ == words_.size()) {  // drained: start again at the front
      words_.clear();
      head_ = 0;
    }
    return value;
  }
  void read(T &value) { value = read(); }
  bool read_nb(T &value) {
    if (empty()) return false;
    value = read();
    return true;
  }
  void write(const T &value) {
    if (words_.capacity() == 0) words_.reserve(INITIAL_CAPACITY);
    words_.push_back(value);
  }
  bool write_nb(const T &value) {
    write(value);
    return true;
  }
  stream &operator>>(T &value) {
    value = read();
    return *this;
  }
  stream &operator<<(const T &value) {
    write(value);
    return *this;
  }

  bool empty() const { return head_ == words_.size(); }
  bool full() const { return false; }
  std::size_t size() const { return words_.size() - head_; }
  const char *name() const { return name_; }

 private:
  static const std::size_t INITIAL_CAPACITY = 64;  // one allocation for most frames
  // Vectors of destroyed streams of this thread, emptied, with their capacity.
  // Allocated once per thread and never freed: streams with static storage
  // may be destroyed after thread-local objects.
  static std::vector<std::vector<T> > &spares() {
    static thread_local std::vector<std::vector<T> > *spare = new std::vector<std::vector<T> >();
    return *spare;
  }
  void take_spare() {
    if (spares().empty()) return;
    words_.swap(spares().back());
    spares().pop_back();
  }
  stream(const stream &);             // streams are channels: never copied
  stream &operator=(const stream &);  // (C++14: no = delete in HLS code)
  const char *name_;
  std::vector<T> words_;
  std::size_t head_;  // index of the next word to read
};

}  // namespace hls

#endif  // QNN_HLS_STREAM_H
