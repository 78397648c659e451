#include "io/file_io.h"

namespace k2 {

Result<std::string> InputFile::ReadAll() {
  K2_ASSIGN_OR_RETURN(uint64_t size, Size());
  std::string out(size, '\0');
  if (size > 0) K2_RETURN_IF_ERROR(ReadAt(0, size, reinterpret_cast<uint8_t*>(out.data())));
  return out;
}

Status FileIO::WriteAll(const std::string& path, std::string_view bytes, bool exclusive) {
  K2_ASSIGN_OR_RETURN(auto out, OpenOutput(path, exclusive));
  K2_RETURN_IF_ERROR(out->Write(bytes));
  return out->Finish();
}

Result<std::string> FileIO::ReadAll(const std::string& path) {
  K2_ASSIGN_OR_RETURN(auto in, OpenInput(path));
  return in->ReadAll();
}

Result<std::unique_ptr<FileIO>> NewFileIOFor(std::string_view location) {
  if (location.starts_with("s3://") || location.starts_with("s3a://")) {
    return MakeError(ErrorKind::kUnsupported,
                     "warehouse '{}': S3 FileIO is not available in this build", location);
  }
  if (location.find("://") != std::string_view::npos && !location.starts_with("file://")) {
    return MakeError(ErrorKind::kUnsupported, "warehouse '{}': unknown URI scheme", location);
  }
  return NewLocalFileIO();
}

}  // namespace k2
