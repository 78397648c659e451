#pragma once
/// A progress line on a terminal for work that reports nothing while it runs
/// (one statement of the embedded engine): after `delay`, every `period`, it
/// rewrites one line of `out` with `line(elapsed seconds)`, and clears the
/// line when it stops. Quick work prints nothing.

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

namespace k2::cli {

class Ticker {
 public:
  using Line = std::function<std::string(double seconds)>;

  Ticker(std::FILE* out, Line line,
         std::chrono::milliseconds delay = std::chrono::milliseconds(500),
         std::chrono::milliseconds period = std::chrono::milliseconds(250))
      : out_(out), line_(std::move(line)) {
    const auto start = std::chrono::steady_clock::now();
    thread_ = std::jthread([this, start, delay, period](std::stop_token stop) {
      std::mutex mu;
      std::condition_variable_any cv;
      std::unique_lock lock(mu);
      if (cv.wait_for(lock, stop, delay, [] { return false; })) return;
      bool printed = false;
      while (!stop.stop_requested()) {
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::fprintf(out_, "\r\033[K%s", line_(s).c_str());
        std::fflush(out_);
        printed = true;
        cv.wait_for(lock, stop, period, [] { return false; });
      }
      if (printed) {
        std::fputs("\r\033[K", out_);
        std::fflush(out_);
      }
    });
  }
  ~Ticker() { Stop(); }
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;

  /// Stops ticking and clears the line (idempotent).
  void Stop() {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
    }
  }

 private:
  std::FILE* out_;
  Line line_;
  std::jthread thread_;
};

}  // namespace k2::cli
