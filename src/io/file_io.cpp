#include "io/file_io.h"

#include "common/config.h"
#include "io/s3/s3_client.h"
#include "io/s3/s3_file_io.h"
#include "io/s3/s3_uri.h"

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

std::vector<DeleteFailure> FileIO::DeleteFiles(const std::vector<std::string>& paths) {
  std::vector<DeleteFailure> failed;
  for (const std::string& p : paths) {
    if (auto st = Delete(p); !st) failed.push_back(DeleteFailure{p, st.error()});
  }
  return failed;
}

Result<std::vector<PendingUpload>> FileIO::ListPendingUploads(const std::string& prefix) {
  return std::vector<PendingUpload>{};
}

Status FileIO::AbortPendingUpload(const PendingUpload& upload) {
  return {};
}

Result<std::unique_ptr<FileIO>> NewFileIOFor(std::string_view location,
                                             const WarehouseConfig& warehouse) {
  if (s3::IsS3Uri(location)) {
    K2_RETURN_IF_ERROR(s3::ParseS3Uri(location));
    K2_ASSIGN_OR_RETURN(s3::S3Options options, s3::S3OptionsFrom(warehouse));
    return s3::NewS3FileIO(std::move(options));
  }
  if (location.find("://") != std::string_view::npos && !location.starts_with("file://")) {
    return MakeError(ErrorKind::kUnsupported, "warehouse '{}': unknown URI scheme", location);
  }
  return NewLocalFileIO();
}

Result<std::unique_ptr<FileIO>> NewFileIOFor(std::string_view location) {
  WarehouseConfig defaults;
  defaults.location = std::string(location);
  return NewFileIOFor(location, defaults);
}

}  // namespace k2
