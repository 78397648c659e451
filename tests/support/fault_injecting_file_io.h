#pragma once
/// FaultInjectingFileIO: wraps a FileIO (usually the in-memory one,
/// io/memory_file_io.h) and fails chosen operations, so the jobs' handling of
/// storage faults is tested: the Nth write of a data file, the publish
/// (Finish: the local rename, the S3 upload completion) of a manifest, a
/// delete. In the manner of LevelDB's fault_injection_test.
///
///   auto mem = NewMemoryFileIO();
///   FaultInjectingFileIO io(*mem);
///   io.FailNth(FileOp::kWrite, 3, ErrorKind::kIo, "/data/");  // the 3rd write of a data file

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "io/file_io.h"

namespace k2::testing {

/// The operations a fault can target.
enum class FileOp {
  kOpenInput,
  kRead,  ///< InputFile::ReadAt
  kOpenOutput,
  kWrite,   ///< OutputFile::Write
  kFinish,  ///< OutputFile::Finish: the file is not published
  kDelete,  ///< Delete, and each path of DeleteFiles
  kExists,
  kList,
};

/// Thread-safe. Files opened through it must not outlive it.
class FaultInjectingFileIO final : public FileIO {
 public:
  /// `inner` must outlive this.
  explicit FaultInjectingFileIO(FileIO& inner) : inner_(inner) {}

  /// The `nth` operation `op` from now on (1: the next) on a path containing
  /// `path_part` ("" : any path) fails with `kind`, without reaching the
  /// inner FileIO (a failed Finish discards the file). Each fault fires once;
  /// several may wait at once.
  void FailNth(FileOp op, int nth, ErrorKind kind, std::string path_part = "");
  /// How many injected faults have fired.
  int fired() const;
  /// Operations `op` asked so far (failed ones included).
  int count(FileOp op) const;
  /// Every path a delete was asked for, in order (failed ones included).
  std::vector<std::string> deleted() const;

  Result<std::unique_ptr<InputFile>> OpenInput(const std::string& path) override;
  Result<std::unique_ptr<OutputFile>> OpenOutput(const std::string& path,
                                                 bool exclusive = true) override;
  Result<bool> Exists(const std::string& path) override;
  Status Delete(const std::string& path) override;
  Result<std::vector<FileInfo>> List(const std::string& prefix) override;

  /// OK, or the injected error of the operation (counts it).
  Status Check(FileOp op, const std::string& path);

 private:
  struct Fault {
    FileOp op;
    int remaining;
    ErrorKind kind;
    std::string path_part;
  };

  FileIO& inner_;
  mutable std::mutex mu_;
  std::vector<Fault> faults_;
  std::vector<int> counts_ = std::vector<int>(8, 0);
  std::vector<std::string> deleted_;
  int fired_ = 0;
};

}  // namespace k2::testing
