// hls_stream.h - the qnn-mlir project's own hls::stream, for C simulation with g++ only.
//
// Vitis HLS uses its own hls_stream.h; this file is on the include path only
// when qnn_mlir.backends.hls.csim compiles the emitted project. A stream is an
// unbounded FIFO queue: depth pragmas do not apply in C simulation, where the
// top function runs its layers one after the other. Reading an empty stream
// means the producer wrote fewer words than the consumer expects (a deadlock
// in hardware), so it throws instead of returning garbage.
#ifndef QNN_HLS_STREAM_H
#define QNN_HLS_STREAM_H

#include <cstddef>
#include <deque>
#include <stdexcept>
#include <string>

namespace hls {

template <typename T>
class stream {
 public:
  stream() : name_("unnamed") {}
  explicit stream(const char *name) : name_(name) {}

  T read() {
    if (queue_.empty()) {
      throw std::runtime_error("hls::stream '" + name_ +
                               "' read while empty: its producer wrote too few words");
    }
    T value = queue_.front();
    queue_.pop_front();
    return value;
  }
  void read(T &value) { value = read(); }
  bool read_nb(T &value) {
    if (queue_.empty()) return false;
    value = read();
    return true;
  }
  void write(const T &value) { queue_.push_back(value); }
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

  bool empty() const { return queue_.empty(); }
  bool full() const { return false; }
  std::size_t size() const { return queue_.size(); }
  const std::string &name() const { return name_; }

 private:
  stream(const stream &);             // streams are channels: never copied
  stream &operator=(const stream &);  // (C++14: no = delete in HLS code)
  std::deque<T> queue_;
  std::string name_;
};

}  // namespace hls

#endif  // QNN_HLS_STREAM_H
