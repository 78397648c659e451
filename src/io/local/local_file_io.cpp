#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include "io/file_io.h"

namespace k2 {

namespace fs = std::filesystem;

namespace {

std::string ErrnoText() {
  return std::strerror(errno);
}

class LocalInputFile final : public InputFile {
 public:
  LocalInputFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~LocalInputFile() override { ::close(fd_); }

  const std::string& path() const override { return path_; }

  Result<uint64_t> Size() override {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
      return MakeError(ErrorKind::kIo, "{}: stat failed: {}", path_, ErrnoText());
    }
    return static_cast<uint64_t>(st.st_size);
  }

  Status ReadAt(uint64_t offset, size_t length, uint8_t* out) override {
    size_t done = 0;
    while (done < length) {
      ssize_t n = ::pread(fd_, out + done, length - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return MakeError(ErrorKind::kIo, "{}: read at offset {} failed: {}", path_, offset + done,
                         ErrnoText());
      }
      if (n == 0) {
        return MakeError(ErrorKind::kCorrupt,
                         "{}: unexpected end of file at offset {} (wanted {} bytes at {})", path_,
                         offset + done, length, offset);
      }
      done += static_cast<size_t>(n);
    }
    return {};
  }

 private:
  std::string path_;
  int fd_;
};

/// Writes to a hidden temporary beside the target, then renames (or links,
/// when exclusive) on Finish.
class LocalOutputFile final : public OutputFile {
 public:
  LocalOutputFile(std::string path, std::string tmp, int fd, bool exclusive)
      : path_(std::move(path)), tmp_(std::move(tmp)), fd_(fd), exclusive_(exclusive) {
    buffer_.reserve(kBufferSize);
  }
  ~LocalOutputFile() override { Abort(); }

  const std::string& path() const override { return path_; }
  uint64_t Position() const override { return position_; }

  Status Write(const void* data, size_t length) override {
    if (fd_ < 0) return MakeError(ErrorKind::kInternal, "{}: write after close", path_);
    const auto* p = static_cast<const uint8_t*>(data);
    position_ += length;
    if (buffer_.size() + length < kBufferSize) {
      buffer_.insert(buffer_.end(), p, p + length);
      return {};
    }
    K2_RETURN_IF_ERROR(Flush());
    if (length >= kBufferSize) return WriteFully(p, length);
    buffer_.insert(buffer_.end(), p, p + length);
    return {};
  }

  Status Finish() override {
    if (fd_ < 0) return MakeError(ErrorKind::kInternal, "{}: finish after close", path_);
    K2_RETURN_IF_ERROR(Flush());
    if (::fsync(fd_) != 0) {
      return MakeError(ErrorKind::kIo, "{}: fsync failed: {}", path_, ErrnoText());
    }
    ::close(fd_);
    fd_ = -1;
    if (exclusive_) {
      // link() fails with EEXIST instead of replacing: a compare-and-create.
      if (::link(tmp_.c_str(), path_.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp_.c_str());
        if (err == EEXIST) return MakeError(ErrorKind::kAlreadyExists, "{}: already exists", path_);
        return MakeError(ErrorKind::kIo, "{}: publish failed: {}", path_, std::strerror(err));
      }
      ::unlink(tmp_.c_str());
    } else if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp_.c_str());
      return MakeError(ErrorKind::kIo, "{}: publish failed: {}", path_, std::strerror(err));
    }
    SyncDir();
    return {};
  }

  void Abort() override {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
      ::unlink(tmp_.c_str());
    }
  }

 private:
  static constexpr size_t kBufferSize = 1 << 20;

  Status Flush() {
    if (buffer_.empty()) return {};
    K2_RETURN_IF_ERROR(WriteFully(buffer_.data(), buffer_.size()));
    buffer_.clear();
    return {};
  }

  Status WriteFully(const uint8_t* p, size_t length) {
    while (length > 0) {
      ssize_t n = ::write(fd_, p, length);
      if (n < 0) {
        if (errno == EINTR) continue;
        return MakeError(ErrorKind::kIo, "{}: write failed: {}", path_, ErrnoText());
      }
      p += n;
      length -= static_cast<size_t>(n);
    }
    return {};
  }

  void SyncDir() {
    std::string dir = fs::path(path_).parent_path().string();
    int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  }

  std::string path_;
  std::string tmp_;
  int fd_;
  bool exclusive_;
  uint64_t position_ = 0;
  std::vector<uint8_t> buffer_;
};

std::string RandomSuffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:016x}", rng());
}

class LocalFileIO final : public FileIO {
 public:
  Result<std::unique_ptr<InputFile>> OpenInput(const std::string& uri) override {
    std::string path = LocalPathOf(uri);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return MakeError(ErrorKind::kNotFound, "{}: no such file", path);
      return MakeError(ErrorKind::kIo, "{}: open failed: {}", path, ErrnoText());
    }
    return std::make_unique<LocalInputFile>(path, fd);
  }

  Result<std::unique_ptr<OutputFile>> OpenOutput(const std::string& uri, bool exclusive) override {
    std::string path = LocalPathOf(uri);
    fs::path p(path);
    std::error_code ec;
    if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
    if (ec) {
      return MakeError(ErrorKind::kIo, "{}: cannot create directory: {}", path, ec.message());
    }
    std::string tmp =
        (p.parent_path() / fmt::format(".{}.{}.tmp", p.filename().string(), RandomSuffix()))
            .string();
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return MakeError(ErrorKind::kIo, "{}: create failed: {}", tmp, ErrnoText());
    return std::make_unique<LocalOutputFile>(path, tmp, fd, exclusive);
  }

  Result<bool> Exists(const std::string& uri) override {
    std::error_code ec;
    bool exists = fs::exists(LocalPathOf(uri), ec);
    if (ec) return MakeError(ErrorKind::kIo, "{}: {}", uri, ec.message());
    return exists;
  }

  Status Delete(const std::string& uri) override {
    std::string path = LocalPathOf(uri);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return MakeError(ErrorKind::kIo, "{}: delete failed: {}", path, ErrnoText());
    }
    return {};
  }

  Result<std::vector<FileInfo>> List(const std::string& uri) override {
    std::vector<FileInfo> out;
    K2_RETURN_IF_ERROR(WalkFiles(uri, [&](const fs::path& path) {
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) return;  // deleted meanwhile
      out.push_back(
          FileInfo{path.string(), static_cast<uint64_t>(st.st_size),
                   static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000});
    }));
    return out;
  }

  Result<std::vector<std::string>> ListNames(const std::string& uri) override {
    std::vector<std::string> out;
    K2_RETURN_IF_ERROR(WalkFiles(uri, [&](const fs::path& path) { out.push_back(path.string()); }));
    return out;
  }

 private:
  /// Calls `on_file` with every regular file under `uri` (none when it does
  /// not exist). The entry's type comes from the directory itself (d_type):
  /// no stat; a file deleted meanwhile is skipped, not a listing error.
  template <typename OnFile>
  static Status WalkFiles(const std::string& uri, OnFile&& on_file) {
    const std::string root = LocalPathOf(uri);
    std::error_code ec;
    if (!fs::exists(root, ec)) return {};
    for (auto it = fs::recursive_directory_iterator(root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      std::error_code type_ec;
      if (it->is_regular_file(type_ec)) on_file(it->path());
    }
    if (ec) return MakeError(ErrorKind::kIo, "{}: list failed: {}", root, ec.message());
    return {};
  }
};

}  // namespace

std::string LocalPathOf(std::string_view uri) {
  if (uri.starts_with("file://")) return std::string(uri.substr(7));
  if (uri.starts_with("file:")) return std::string(uri.substr(5));
  return std::string(uri);
}

std::unique_ptr<FileIO> NewLocalFileIO() {
  return std::make_unique<LocalFileIO>();
}

}  // namespace k2
