// hls_stream.h - the qnn-mlir project's own hls::stream, for C simulation with g++ only.
//
// Vitis HLS uses its own hls_stream.h; this file is on the include path only
// when qnn_mlir.backends.hls.csim compiles the emitted project. A stream is an
// unbounded FIFO queue: depth pragmas do not apply in C simulation, where the
// top function runs its layers one after the other. Reading an empty stream
// means the producer wrote fewer words than the consumer expects (a deadlock
// in hardware), so it throws instead of returning garbage.
//
// Build time: a design has streams of many word types (one per ap_uint width),
// and g++ compiles every member of a class template once per type. So the
// queue itself is one untyped class, SlotQueue, compiled once; hls::stream<T>
// only copies a T into and out of the queue's slots.
//
// The queue stores words in fixed-size blocks that never move (an ap_uint is
// not trivially copyable, so it must not be relocated byte by byte), and when
// it drains it starts again at the front of its first block. A layer writes
// all the words of a frame before the next one reads them, so the queue fills,
// drains and is reused: a stream that lives across frames (the testbench's
// ports) allocates nothing per word or per frame. The streams of the top
// function are new at every call; their blocks come from a per-thread pool
// and go back to it, so a frame does not allocate either.
#ifndef QNN_HLS_STREAM_H
#define QNN_HLS_STREAM_H

#include <cstddef>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

namespace hls {
namespace csim {

// An untyped FIFO of slots of `slot_bytes` bytes; slot addresses are stable.
class SlotQueue {
 public:
  SlotQueue(std::size_t slot_bytes, const char *name)
      : name_(name),
        slot_bytes_(slot_bytes),
        per_block_(slot_bytes <= BLOCK_BYTES ? BLOCK_BYTES / slot_bytes : 1),
        head_(0),
        tail_(0) {}
  ~SlotQueue() {
    for (std::size_t b = 0; b < blocks_.size(); b++) give_back(blocks_[b]);
  }

  // The slot to construct the next word in (it counts as written at once).
  void *push() {
    if (tail_ == blocks_.size() * per_block_) blocks_.push_back(take_block());
    return slot(tail_++);
  }
  // The oldest word's slot, to copy and destroy before pop(); throws if empty.
  void *front() {
    if (head_ == tail_) {
      throw std::runtime_error(std::string("hls::stream '") + name_ +
                               "' read while empty: its producer wrote too few words");
    }
    return slot(head_);
  }
  void pop() {
    if (++head_ == tail_) head_ = tail_ = 0;  // drained: start again at the front
  }

  std::size_t size() const { return tail_ - head_; }
  const char *name() const { return name_; }

 private:
  static const std::size_t BLOCK_BYTES = 4096;

  // Freed blocks of this thread. Allocated once per thread and never freed:
  // streams with static storage may be destroyed after thread-local objects.
  static std::vector<void *> &pool() {
    static thread_local std::vector<void *> *blocks = new std::vector<void *>();
    return *blocks;
  }
  std::size_t block_bytes() const { return per_block_ * slot_bytes_; }
  void *take_block() {
    if (block_bytes() == BLOCK_BYTES && !pool().empty()) {
      void *block = pool().back();
      pool().pop_back();
      return block;
    }
    return ::operator new(block_bytes());
  }
  void give_back(void *block) {
    if (block_bytes() == BLOCK_BYTES) {
      pool().push_back(block);
    } else {
      ::operator delete(block);
    }
  }
  void *slot(std::size_t index) {
    return static_cast<unsigned char *>(blocks_[index / per_block_]) +
           (index % per_block_) * slot_bytes_;
  }

  SlotQueue(const SlotQueue &);
  SlotQueue &operator=(const SlotQueue &);
  const char *name_;
  std::size_t slot_bytes_;
  std::size_t per_block_;
  std::vector<void *> blocks_;
  std::size_t head_;  // index of the next word to read
  std::size_t tail_;  // index of the next word to write
};

}  // namespace csim

template <typename T>
class stream {
 public:
  stream() : queue_(sizeof(T), "unnamed") {}
  explicit stream(const char *name) : queue_(sizeof(T), name) {}  // a literal
  ~stream() {
    while (!empty()) read();  // destroys the words left
  }

  T read() {
    T *slot = static_cast<T *>(queue_.front());
    T value(*slot);
    slot->~T();
    queue_.pop();
    return value;
  }
  void read(T &value) { value = read(); }
  bool read_nb(T &value) {
    if (empty()) return false;
    value = read();
    return true;
  }
  void write(const T &value) { new (queue_.push()) T(value); }
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

  bool empty() const { return queue_.size() == 0; }
  bool full() const { return false; }
  std::size_t size() const { return queue_.size(); }
  const char *name() const { return queue_.name(); }

 private:
  // operator new's blocks are aligned for any fundamental type; slots are sizeof(T) apart.
  static_assert(alignof(T) <= alignof(std::max_align_t), "over-aligned stream word type");
  stream(const stream &);             // streams are channels: never copied
  stream &operator=(const stream &);  // (C++14: no = delete in HLS code)
  csim::SlotQueue queue_;
};

}  // namespace hls

#endif  // QNN_HLS_STREAM_H
