// Reusable, 64-byte aligned scratch memory for packed panels. Each thread keeps its own (the
// packing of A is per thread) and the buffers only grow, so steady-state calls never allocate.
#pragma once

#include <cstddef>
#include <memory>
#include <new>

namespace {

class AlignedBuffer {
 public:
  float* ensure(std::size_t floats) {
    if (floats > capacity_) {
      data_.reset(static_cast<float*>(::operator new[](floats * sizeof(float), kAlignment)));
      capacity_ = floats;
    }
    return data_.get();
  }

 private:
  static constexpr std::align_val_t kAlignment{64};
  struct Free {
    void operator()(float* p) const { ::operator delete[](p, kAlignment); }
  };
  std::unique_ptr<float[], Free> data_;
  std::size_t capacity_ = 0;
};

// Packed A block (MC x KC) of the packed path, or the packed B strip of the unpacked path.
inline AlignedBuffer& thread_scratch() {
  thread_local AlignedBuffer buffer;
  return buffer;
}

// Packed B panel (KC x NC) of the packed path: shared by the team, owned by the calling thread.
inline AlignedBuffer& shared_panel() {
  thread_local AlignedBuffer buffer;
  return buffer;
}

}  // namespace
