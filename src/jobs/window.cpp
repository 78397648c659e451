#include "jobs/window.h"

#include "columnar/value.h"

namespace k2::jobs {

std::string Window::ToString() const {
  auto fmt_ts = [](int64_t us) {
    std::string s = FormatTimestampMicros(us);
    return s.substr(0, 19) + "Z";  // whole seconds: windows are aligned
  };
  return fmt_ts(start_us) + "/" + fmt_ts(end_us);
}

Window WindowContaining(int64_t t_us, int64_t window_s) {
  int64_t w = window_s * kMicrosPerSecond;
  int64_t start = t_us >= 0 ? (t_us / w) * w : -((-t_us + w - 1) / w) * w;
  return {start, start + w};
}

std::vector<Window> DueWindows(int64_t from_us, int64_t now_us, int64_t window_s, int64_t settle_s,
                               size_t max_windows) {
  std::vector<Window> out;
  Window w = WindowContaining(from_us, window_s);
  int64_t step = window_s * kMicrosPerSecond;
  while (out.size() < max_windows && w.end_us + settle_s * kMicrosPerSecond <= now_us) {
    out.push_back(w);
    w.start_us += step;
    w.end_us += step;
  }
  return out;
}

Result<Window> ParseWindow(const std::string& text, int64_t window_s) {
  K2_ASSIGN_OR_RETURN(int64_t t, ParseTimestampMicros(text));
  Window w = WindowContaining(t, window_s);
  if (w.start_us != t) {
    return MakeError(ErrorKind::kInvalidInput,
                     "--window {}: not the start of a {}s window (the window containing it "
                     "starts at {})",
                     text, window_s, w.ToString());
  }
  return w;
}

}  // namespace k2::jobs
