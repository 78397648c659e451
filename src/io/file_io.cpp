#include "io/file_io.h"

#include <algorithm>

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

Result<std::vector<std::string>> ReadRanges(InputFile& in, const std::vector<ByteRange>& ranges,
                                            const CoalesceOptions& options) {
  std::vector<std::string> out(ranges.size());
  auto read_into = [&](size_t i) -> Status {
    out[i].resize(ranges[i].length);
    return in.ReadAt(ranges[i].offset, out[i].size(), reinterpret_cast<uint8_t*>(out[i].data()));
  };
  if (!in.CoalesceReads()) {
    for (size_t i = 0; i < ranges.size(); ++i) K2_RETURN_IF_ERROR(read_into(i));
    return out;
  }
  std::vector<size_t> order;
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (ranges[i].length > 0) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return ranges[a].offset < ranges[b].offset; });
  std::string span;
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
    if (last == first + 1) {
      K2_RETURN_IF_ERROR(read_into(order[first]));  // alone: straight into its string
    } else {
      span.resize(end - start);
      K2_RETURN_IF_ERROR(in.ReadAt(start, span.size(), reinterpret_cast<uint8_t*>(span.data())));
      for (size_t k = first; k < last; ++k) {
        const ByteRange& r = ranges[order[k]];
        out[order[k]].assign(span, r.offset - start, r.length);
      }
    }
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
