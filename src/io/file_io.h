#pragma once
/// FileIO: where k2 meets storage. One interface for the local disk and object
/// stores (s3://), picked by URI scheme. Data and metadata files are written
/// once and never modified; an OutputFile only becomes visible at its path when
/// Finish() succeeds, so a crash never leaves a half-written file at a path a
/// reader could see.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace k2 {

/// Random-access reads of an existing file.
class InputFile {
 public:
  virtual ~InputFile() = default;
  virtual const std::string& path() const = 0;
  /// File size in bytes.
  virtual Result<uint64_t> Size() = 0;
  /// Reads exactly `length` bytes at `offset` into `out`. kCorrupt/kIo if the
  /// file is shorter (message names path and offset).
  virtual Status ReadAt(uint64_t offset, size_t length, uint8_t* out) = 0;
  /// Convenience: reads the whole file.
  Result<std::string> ReadAll();
  /// True where every read is a request with a high fixed cost (an object
  /// store's GET: a round trip and a request charge): readers then merge
  /// nearby ranges into fewer, larger reads (ReadRanges). False for local
  /// disk, where small reads are cheap and extra bytes are not.
  virtual bool CoalesceReads() const { return false; }
};

/// A byte range of a file.
struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t end() const { return offset + length; }
};

/// How ReadRanges merges the ranges of a file whose reads are costly.
struct CoalesceOptions {
  /// Ranges closer than this are read together, the bytes between them too.
  uint64_t max_gap = 1ULL << 20;
  /// A merged read stops growing at this size (a single larger range is read alone).
  uint64_t max_span = 32ULL << 20;
};

/// Bytes of one range read by ReadRanges: a view into a buffer that ranges
/// read together share (the buffer lives while any of their views is held).
struct RangeBytes {
  std::shared_ptr<const std::string> buffer;
  std::string_view bytes;
};

/// Reads `ranges` of `in`, one RangeBytes each, in the order given. Where
/// in.CoalesceReads(), ranges are sorted and merged into spans (neighbours
/// closer than max_gap, spans up to max_span), one ReadAt per span, the
/// ranges viewing their span's buffer: memory is the spans (the ranges plus
/// the gaps read through), nothing is copied. Otherwise one ReadAt per range,
/// in order. Ranges must lie inside the file (callers check, to name what a
/// range is); overlapping ranges are allowed. Errors: those of ReadAt.
Result<std::vector<RangeBytes>> ReadRanges(InputFile& in, const std::vector<ByteRange>& ranges,
                                           const CoalesceOptions& options = {});

/// A sequential writer. Write() may buffer; Finish() makes the file visible
/// atomically; Abort() discards it. Destroying an unfinished file discards it.
class OutputFile {
 public:
  virtual ~OutputFile() = default;
  virtual const std::string& path() const = 0;
  virtual Status Write(const void* data, size_t length) = 0;
  /// Bytes written so far.
  virtual uint64_t Position() const = 0;
  /// Publishes the file at path(). kAlreadyExists if `exclusive` was asked and
  /// the path exists.
  virtual Status Finish() = 0;
  /// Discards what was written. Safe to call more than once.
  virtual void Abort() = 0;

  Status Write(std::string_view bytes) { return Write(bytes.data(), bytes.size()); }
};

/// One entry of a listing.
struct FileInfo {
  std::string path;
  uint64_t size = 0;
  int64_t modified_ms = 0;  ///< last modification, ms since epoch
};

/// A file a batch delete could not remove, and why.
struct DeleteFailure {
  std::string path;
  Error error;
};

/// A write that was started but neither published nor discarded (an S3
/// multipart upload left by a crash). Local files have none: their
/// temporaries are plain files that orphan cleanup finds by listing.
struct PendingUpload {
  std::string path;       ///< the file it would have published
  std::string upload_id;  ///< the store's handle for it
  int64_t initiated_ms = 0;
};

class FileIO {
 public:
  virtual ~FileIO() = default;
  virtual Result<std::unique_ptr<InputFile>> OpenInput(const std::string& path) = 0;
  /// Creates a writer for `path`. With `exclusive`, Finish() fails with
  /// kAlreadyExists instead of replacing an existing file.
  virtual Result<std::unique_ptr<OutputFile>> OpenOutput(const std::string& path,
                                                         bool exclusive = true) = 0;
  virtual Result<bool> Exists(const std::string& path) = 0;
  /// Deletes a file. Deleting a missing file is not an error.
  virtual Status Delete(const std::string& path) = 0;
  /// Every file under `prefix` (recursively).
  virtual Result<std::vector<FileInfo>> List(const std::string& prefix) = 0;
  /// The paths of every file under `prefix`, as List gives them, without
  /// sizes or times where that is cheaper (local disk: no stat per file).
  virtual Result<std::vector<std::string>> ListNames(const std::string& prefix);
  /// Deletes many files (batched where the store allows: S3 DeleteObjects,
  /// 1000 keys a request). Missing files are not failures. Returns the files
  /// that could not be deleted with their errors (empty: all gone).
  virtual std::vector<DeleteFailure> DeleteFiles(const std::vector<std::string>& paths);
  /// Unfinished uploads under `prefix` (S3: ListMultipartUploads). The
  /// default (local disk) has none. Errors: kIo/kRemote from the store.
  virtual Result<std::vector<PendingUpload>> ListPendingUploads(const std::string& prefix);
  /// Discards an unfinished upload (S3: AbortMultipartUpload). An upload
  /// already gone is not an error.
  virtual Status AbortPendingUpload(const PendingUpload& upload);

  /// Convenience: writes `bytes` to `path` atomically.
  Status WriteAll(const std::string& path, std::string_view bytes, bool exclusive = true);
  /// Convenience: reads all of `path`.
  Result<std::string> ReadAll(const std::string& path);
};

/// Local disk. Accepts plain paths and file:// URIs.
std::unique_ptr<FileIO> NewLocalFileIO();

struct WarehouseConfig;

/// Picks an implementation for a location by its scheme: none/file:// ->
/// local; s3://, s3a://, s3n:// -> S3 configured by `warehouse` (endpoint,
/// credentials; AWS_* environment variables fill what it leaves empty).
/// kUnsupported for other schemes, kInvalidInput for a bad S3 URI or config.
Result<std::unique_ptr<FileIO>> NewFileIOFor(std::string_view location,
                                             const WarehouseConfig& warehouse);
/// As above with a default WarehouseConfig (S3 from the environment only).
Result<std::unique_ptr<FileIO>> NewFileIOFor(std::string_view location);

/// Strips a file:// scheme (file:///a -> /a, file:/a -> /a); other paths unchanged.
std::string LocalPathOf(std::string_view uri);

}  // namespace k2
