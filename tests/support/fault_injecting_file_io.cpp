#include "support/fault_injecting_file_io.h"

#include <fmt/format.h>

namespace k2::testing {

namespace {

const char* OpName(FileOp op) {
  switch (op) {
    case FileOp::kOpenInput:
      return "open";
    case FileOp::kRead:
      return "read";
    case FileOp::kOpenOutput:
      return "create";
    case FileOp::kWrite:
      return "write";
    case FileOp::kFinish:
      return "publish";
    case FileOp::kDelete:
      return "delete";
    case FileOp::kExists:
      return "stat";
    case FileOp::kList:
      return "list";
  }
  return "?";
}

class FaultInputFile final : public InputFile {
 public:
  FaultInputFile(FaultInjectingFileIO& io, std::unique_ptr<InputFile> inner)
      : io_(io), inner_(std::move(inner)) {}
  const std::string& path() const override { return inner_->path(); }
  Result<uint64_t> Size() override { return inner_->Size(); }
  Status ReadAt(uint64_t offset, size_t length, uint8_t* out) override {
    K2_RETURN_IF_ERROR(io_.Check(FileOp::kRead, path()));
    return inner_->ReadAt(offset, length, out);
  }
  bool CoalesceReads() const override { return inner_->CoalesceReads(); }

 private:
  FaultInjectingFileIO& io_;
  std::unique_ptr<InputFile> inner_;
};

class FaultOutputFile final : public OutputFile {
 public:
  FaultOutputFile(FaultInjectingFileIO& io, std::unique_ptr<OutputFile> inner)
      : io_(io), inner_(std::move(inner)) {}
  const std::string& path() const override { return inner_->path(); }
  Status Write(const void* data, size_t length) override {
    K2_RETURN_IF_ERROR(io_.Check(FileOp::kWrite, path()));
    return inner_->Write(data, length);
  }
  uint64_t Position() const override { return inner_->Position(); }
  Status Finish() override {
    if (auto st = io_.Check(FileOp::kFinish, path()); !st) {
      inner_->Abort();
      return st;
    }
    return inner_->Finish();
  }
  void Abort() override { inner_->Abort(); }

 private:
  FaultInjectingFileIO& io_;
  std::unique_ptr<OutputFile> inner_;
};

}  // namespace

void FaultInjectingFileIO::FailNth(FileOp op, int nth, ErrorKind kind, std::string path_part) {
  std::lock_guard lock(mu_);
  faults_.push_back({op, nth, kind, std::move(path_part)});
}

int FaultInjectingFileIO::fired() const {
  std::lock_guard lock(mu_);
  return fired_;
}

int FaultInjectingFileIO::count(FileOp op) const {
  std::lock_guard lock(mu_);
  return counts_[static_cast<size_t>(op)];
}

std::vector<std::string> FaultInjectingFileIO::deleted() const {
  std::lock_guard lock(mu_);
  return deleted_;
}

Status FaultInjectingFileIO::Check(FileOp op, const std::string& path) {
  std::lock_guard lock(mu_);
  ++counts_[static_cast<size_t>(op)];
  if (op == FileOp::kDelete) deleted_.push_back(path);
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->op != op || path.find(it->path_part) == std::string::npos) continue;
    if (--it->remaining > 0) continue;
    ErrorKind kind = it->kind;
    faults_.erase(it);
    ++fired_;
    return MakeError(kind, "injected fault: {} {}", OpName(op), path);
  }
  return OkStatus();
}

Result<std::unique_ptr<InputFile>> FaultInjectingFileIO::OpenInput(const std::string& path) {
  K2_RETURN_IF_ERROR(Check(FileOp::kOpenInput, path));
  K2_ASSIGN_OR_RETURN(auto in, inner_.OpenInput(path));
  return std::unique_ptr<InputFile>(std::make_unique<FaultInputFile>(*this, std::move(in)));
}

Result<std::unique_ptr<OutputFile>> FaultInjectingFileIO::OpenOutput(const std::string& path,
                                                                     bool exclusive) {
  K2_RETURN_IF_ERROR(Check(FileOp::kOpenOutput, path));
  K2_ASSIGN_OR_RETURN(auto out, inner_.OpenOutput(path, exclusive));
  return std::unique_ptr<OutputFile>(std::make_unique<FaultOutputFile>(*this, std::move(out)));
}

Result<bool> FaultInjectingFileIO::Exists(const std::string& path) {
  K2_RETURN_IF_ERROR(Check(FileOp::kExists, path));
  return inner_.Exists(path);
}

Status FaultInjectingFileIO::Delete(const std::string& path) {
  K2_RETURN_IF_ERROR(Check(FileOp::kDelete, path));
  return inner_.Delete(path);
}

Result<std::vector<FileInfo>> FaultInjectingFileIO::List(const std::string& prefix) {
  K2_RETURN_IF_ERROR(Check(FileOp::kList, prefix));
  return inner_.List(prefix);
}

}  // namespace k2::testing
