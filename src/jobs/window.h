#pragma once
/// Offload windows: half-open UTC time ranges [start, end) aligned to the
/// epoch (so 1h windows start on the hour and 1d windows at midnight UTC).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace k2::jobs {

constexpr int64_t kMicrosPerSecond = 1000000;

struct Window {
  int64_t start_us = 0;
  int64_t end_us = 0;

  /// "2026-11-24T10:00:00Z/2026-11-24T11:00:00Z"
  std::string ToString() const;
  bool operator==(const Window&) const = default;
  auto operator<=>(const Window&) const = default;
};

/// The window of length `window_s` containing `t_us`.
Window WindowContaining(int64_t t_us, int64_t window_s);

/// Windows to offload, oldest first: from the one starting at `from_us`
/// (aligned down) up to the last one that closed at least `settle_s` before
/// `now_us`, at most `max_windows`.
std::vector<Window> DueWindows(int64_t from_us, int64_t now_us, int64_t window_s, int64_t settle_s,
                               size_t max_windows);

/// Parses "2026-11-24T10:00Z" / "2026-11-24T10:00:00Z" / "2026-11-24" into the
/// window of length `window_s` starting there. kInvalidInput if unaligned.
Result<Window> ParseWindow(const std::string& text, int64_t window_s);

}  // namespace k2::jobs
