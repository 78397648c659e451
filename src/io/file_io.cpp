#include "io/file_io.h"

#include <algorithm>

#include "common/config.h"
#include "io/s3/s3_client.h"
#include "io/s3/s3_file_io.h"
#include "io/s3/s3_uri.h"
#include "io/vended_file_io.h"

namespace k2 {

Result<std::string> InputFile::ReadAll() {
  K2_ASSIGN_OR_RETURN(uint64_t size, Size());
  std::string out(size, '\0');
  if (size > 0) K2_RETURN_IF_ERROR(ReadAt(0, size, reinterpret_cast<uint8_t*>(out.data())));
  return out;
}

Result<std::vector<RangeBytes>> ReadRanges(InputFile& in, const std::vector<ByteRange>& ranges,
                                           const CoalesceOptions& options) {
  std::vector<RangeBytes> out(ranges.size());
  // Reads [start, end) into a new buffer for out[order[first..last)].
  auto read_span = [&](const std::vector<size_t>& order, size_t first, size_t last, uint64_t start,
                       uint64_t end) -> Status {
    auto buffer = std::make_shared<std::string>(end - start, '\0');
    K2_RETURN_IF_ERROR(
        in.ReadAt(start, buffer->size(), reinterpret_cast<uint8_t*>(buffer->data())));
    for (size_t k = first; k < last; ++k) {
      const ByteRange& r = ranges[order[k]];
      out[order[k]] =
          RangeBytes{buffer, std::string_view(*buffer).substr(r.offset - start, r.length)};
    }
    return OkStatus();
  };
  std::vector<size_t> order(ranges.size());
  for (size_t i = 0; i < ranges.size(); ++i) order[i] = i;
  if (!in.CoalesceReads()) {
    for (size_t i = 0; i < ranges.size(); ++i) {
      K2_RETURN_IF_ERROR(read_span(order, i, i + 1, ranges[i].offset, ranges[i].end()));
    }
    return out;
  }
  std::erase_if(order, [&](size_t i) { return ranges[i].length == 0; });
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return ranges[a].offset < ranges[b].offset; });
  for (size_t first = 0; first < order.size();) {
    const uint64_t start = ranges[order[first]].offset;
    uint64_t end = ranges[order[first]].end();
    size_t last = first + 1;
    for (; last < order.size(); ++last) {
      const ByteRange& r = ranges[order[last]];
      const uint64_t grown = std::max(end, r.end());
      if (r.offset > end + options.max_gap || grown - start > options.max_span) break;
      end = grown;
    }
    K2_RETURN_IF_ERROR(read_span(order, first, last, start, end));
    first = last;
  }
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

Result<std::vector<std::string>> FileIO::ListNames(const std::string& prefix) {
  K2_ASSIGN_OR_RETURN(std::vector<FileInfo> files, List(prefix));
  std::vector<std::string> names;
  names.reserve(files.size());
  for (auto& f : files) names.push_back(std::move(f.path));
  return names;
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
    Result<s3::S3Options> options = s3::S3OptionsFrom(warehouse);
    if (!options) {
      // No credentials of its own: fine when the catalog vends them (the
      // paths it covers never reach the base); others fail on use.
      if (VendedStorage::Global().size() == 0) return std::unexpected(options.error());
      return NewRoutingFileIO(NewUnavailableFileIO(options.error()), VendedStorage::Global());
    }
    return NewRoutingFileIO(s3::NewS3FileIO(std::move(*options)), VendedStorage::Global());
  }
  if (location.find("://") != std::string_view::npos && !location.starts_with("file://")) {
    return MakeError(ErrorKind::kUnsupported, "warehouse '{}': unknown URI scheme", location);
  }
  return NewRoutingFileIO(NewLocalFileIO(), VendedStorage::Global());
}

Result<std::unique_ptr<FileIO>> NewFileIOFor(std::string_view location) {
  WarehouseConfig defaults;
  defaults.location = std::string(location);
  return NewFileIOFor(location, defaults);
}

}  // namespace k2
