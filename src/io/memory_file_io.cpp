#include "io/memory_file_io.h"

#include <cstring>
#include <map>
#include <mutex>

namespace k2 {

namespace {

class MemoryInputFile final : public InputFile {
 public:
  MemoryInputFile(std::string path, std::shared_ptr<const std::string> bytes)
      : path_(std::move(path)), bytes_(std::move(bytes)) {}
  const std::string& path() const override { return path_; }
  Result<uint64_t> Size() override { return bytes_->size(); }
  Status ReadAt(uint64_t offset, size_t length, uint8_t* out) override {
    if (offset > bytes_->size() || length > bytes_->size() - offset) {
      return MakeError(ErrorKind::kCorrupt, "{}: read of {} bytes at offset {} past the end ({})",
                       path_, length, offset, bytes_->size());
    }
    if (length > 0) std::memcpy(out, bytes_->data() + offset, length);
    return OkStatus();
  }

 private:
  std::string path_;
  std::shared_ptr<const std::string> bytes_;
};

struct Files {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<const std::string>> files;
};

class MemoryOutputFile final : public OutputFile {
 public:
  MemoryOutputFile(std::shared_ptr<Files> files, std::string path, bool exclusive)
      : files_(std::move(files)), path_(std::move(path)), exclusive_(exclusive) {}
  const std::string& path() const override { return path_; }
  Status Write(const void* data, size_t length) override {
    if (done_) return MakeError(ErrorKind::kInvalidInput, "{}: write after finish", path_);
    buffer_.append(static_cast<const char*>(data), length);
    return OkStatus();
  }
  uint64_t Position() const override { return buffer_.size(); }
  Status Finish() override {
    if (done_) return MakeError(ErrorKind::kInvalidInput, "{}: finished twice", path_);
    std::lock_guard lock(files_->mu);
    if (exclusive_ && files_->files.count(path_)) {
      return MakeError(ErrorKind::kAlreadyExists, "{}: already exists", path_);
    }
    files_->files[path_] = std::make_shared<const std::string>(std::move(buffer_));
    done_ = true;
    return OkStatus();
  }
  void Abort() override {
    buffer_.clear();
    done_ = true;
  }

 private:
  std::shared_ptr<Files> files_;
  std::string path_;
  bool exclusive_;
  std::string buffer_;
  bool done_ = false;
};

class MemoryFileIO final : public FileIO {
 public:
  Result<std::unique_ptr<InputFile>> OpenInput(const std::string& path) override {
    std::lock_guard lock(files_->mu);
    auto it = files_->files.find(path);
    if (it == files_->files.end()) {
      return MakeError(ErrorKind::kNotFound, "{}: no such file", path);
    }
    return std::make_unique<MemoryInputFile>(path, it->second);
  }
  Result<std::unique_ptr<OutputFile>> OpenOutput(const std::string& path, bool exclusive) override {
    return std::make_unique<MemoryOutputFile>(files_, path, exclusive);
  }
  Result<bool> Exists(const std::string& path) override {
    std::lock_guard lock(files_->mu);
    return files_->files.count(path) > 0;
  }
  Status Delete(const std::string& path) override {
    std::lock_guard lock(files_->mu);
    files_->files.erase(path);
    return OkStatus();
  }
  Result<std::vector<FileInfo>> List(const std::string& prefix) override {
    std::lock_guard lock(files_->mu);
    std::vector<FileInfo> out;
    for (auto it = files_->files.lower_bound(prefix);
         it != files_->files.end() && it->first.starts_with(prefix); ++it) {
      out.push_back({it->first, it->second->size(), 0});
    }
    return out;
  }

 private:
  std::shared_ptr<Files> files_ = std::make_shared<Files>();
};

}  // namespace

std::unique_ptr<FileIO> NewMemoryFileIO() {
  return std::make_unique<MemoryFileIO>();
}

std::unique_ptr<InputFile> NewMemoryInputFile(std::string path, std::string bytes) {
  return std::make_unique<MemoryInputFile>(std::move(path),
                                           std::make_shared<const std::string>(std::move(bytes)));
}

}  // namespace k2
