#pragma once
/// A BatchReader pulled one batch ahead on its own thread, so the source
/// keeps streaming (and decoding) while the consumer encodes the previous
/// batch. Three batches rotate between the reader, the hand-over slot and the
/// consumer, keeping their buffers. Unthreaded, it takes the reader's batch
/// on the caller's thread (the embedded engine's streams must stay on the
/// thread that opened them).

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "columnar/column_batch.h"

namespace k2 {

class PrefetchingReader {
 public:
  PrefetchingReader(std::unique_ptr<BatchReader> reader, bool threaded)
      : reader_(std::move(reader)) {
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
      std::unique_lock lock(mu_);
      if (!have) {
        if (!next) error_ = next.error();
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
