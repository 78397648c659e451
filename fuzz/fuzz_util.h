#pragma once
/// Shared pieces of the libFuzzer targets: a byte stream delivered in pieces
/// of random sizes (as curl's write callbacks deliver a response), and the
/// contract check on error kinds. In-memory files: io/memory_file_io.h.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>

#include "common/result.h"

namespace k2::fuzz {

/// The contract of every reader of untrusted bytes: a bad input is an error
/// value of one of `allowed` kinds. Anything else (kInternal above all) is a
/// finding: print it and abort so libFuzzer keeps the input.
inline void CheckKind(const Error& error, std::initializer_list<ErrorKind> allowed) {
  for (ErrorKind k : allowed) {
    if (error.kind == k) return;
  }
  std::fprintf(stderr, "unexpected error kind: %s\n", error.ToString().c_str());
  std::abort();
}

/// For streams from a server, whose exception text maps to many kinds
/// (warm/clickhouse_error): any kind but kInternal, which is a bug in k2.
inline void CheckNotInternal(const Error& error) {
  if (error.kind != ErrorKind::kInternal) return;
  std::fprintf(stderr, "unexpected error kind: %s\n", error.ToString().c_str());
  std::abort();
}

/// Splits bytes into pieces of pseudo-random sizes (mostly 1-16 bytes, some up
/// to 4 KiB), fixed by `seed`, and hands them out one per call.
class Pieces {
 public:
  Pieces(std::string_view bytes, uint8_t seed) : bytes_(bytes), state_(seed * 2654435761u + 1) {}
  /// The next piece, empty at the end.
  std::string_view Next() {
    if (pos_ >= bytes_.size()) return {};
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    size_t n = (state_ & 7) == 0 ? 1 + (state_ >> 8) % 4096 : 1 + (state_ >> 8) % 16;
    n = std::min(n, bytes_.size() - pos_);
    std::string_view piece = bytes_.substr(pos_, n);
    pos_ += n;
    return piece;
  }

 private:
  std::string_view bytes_;
  uint32_t state_;
  size_t pos_ = 0;
};

}  // namespace k2::fuzz
