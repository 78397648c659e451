#pragma once
/// A BatchReader pulled one batch ahead on its own thread, so the source
/// keeps streaming (and decoding) while the consumer encodes the previous
/// batch. Three batches rotate between the reader, the hand-over slot and the
/// consumer, keeping their buffers. Unthreaded, it takes the reader's batch
/// on the caller's thread (the embedded engine's streams must stay on the
/// thread that opened them). An optional hook runs on each batch where it
/// is produced (on the prefetch thread when threaded), e.g. to add a column
/// computed from the others off the consumer's thread.

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "columnar/column_batch.h"

namespace k2 {

class PrefetchingReader {
 public:
  /// Runs on each batch before the consumer gets it; an error ends the stream.
  using BatchHook = std::function<Status(ColumnBatch&)>;

  PrefetchingReader(std::unique_ptr<BatchReader> reader, bool threaded, BatchHook hook = {})
      : reader_(std::move(reader)), hook_(std::move(hook)) {
    if (threaded) thread_ = std::thread([this] { Produce(); });
  }
  PrefetchingReader(const PrefetchingReader&) = delete;
  PrefetchingReader& operator=(const PrefetchingReader&) = delete;
  ~PrefetchingReader() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  /// The next batch (nullptr at the end), the caller's to change until the
  /// next call.
  Result<ColumnBatch*> Next() {
    if (!thread_.joinable()) {
      K2_ASSIGN_OR_RETURN(const ColumnBatch* next, reader_->Next());
      if (next == nullptr) return nullptr;
      // The reader reuses its batch: moved (or else copied) into current_.
      if (!reader_->TakeBatch(current_)) current_ = *next;
      if (hook_) K2_RETURN_IF_ERROR(hook_(current_));
      return &current_;
    }
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return ready_ || done_; });
    if (ready_) {
      std::swap(current_, slot_);  // the old current_ goes back to the producer
      ready_ = false;
      cv_.notify_all();
      return &current_;
    }
    if (error_) return std::unexpected(*error_);
    return nullptr;
  }

 private:
  void Produce() {
    for (;;) {
      auto next = reader_->Next();
      // The reader reuses its batch: it is moved (or else copied) into
      // work_, whose buffers rotate through slot_ and current_ back to the
      // reader, keeping their capacity.
      bool have = next && *next != nullptr;
      if (have && !reader_->TakeBatch(work_)) work_ = **next;
      Status hooked = OkStatus();
      if (have && hook_) hooked = hook_(work_);
      std::unique_lock lock(mu_);
      if (!have || !hooked) {
        if (!next) error_ = next.error();
        if (!hooked) error_ = hooked.error();
        done_ = true;
        cv_.notify_all();
        return;
      }
      cv_.wait(lock, [this] { return !ready_ || stop_; });
      if (stop_) return;
      std::swap(slot_, work_);
      ready_ = true;
      cv_.notify_all();
    }
  }

  std::unique_ptr<BatchReader> reader_;
  BatchHook hook_;
  std::mutex mu_;
  std::condition_variable cv_;
  ColumnBatch work_;  ///< producer's copy in progress
  ColumnBatch slot_;  ///< the batch handed over (valid when ready_)
  bool ready_ = false;
  ColumnBatch current_;  ///< the consumer's batch
  std::optional<Error> error_;
  bool done_ = false;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the members it uses exist
};

}  // namespace k2
