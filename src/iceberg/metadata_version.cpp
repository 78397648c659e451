#include "iceberg/metadata_version.h"

#include <algorithm>

#include "iceberg/table.h"

namespace k2::iceberg {

int HighestMetadataVersion(FileIO& io, const std::string& location) {
  auto files = io.ListNames(location + "/metadata/");
  if (!files) return -1;
  int highest = -1;
  for (const auto& path : *files) {
    if (path.ends_with(".metadata.json")) highest = std::max(highest, ParseMetadataVersion(path));
  }
  return highest;
}

std::string PrepareNextVersion(const TableMetadata& base, const std::string& base_location,
                               TableMetadata& next, int highest_existing) {
  // k2 writes v2 (TableMetadata::ToJson), which requires a uuid that a v1
  // table may lack: the metadata committed is the metadata written.
  next.format_version = std::max(next.format_version, 2);
  if (next.table_uuid.empty()) next.table_uuid = NewUuid();
  next.last_updated_ms = std::max(NowMillis(), base.last_updated_ms + 1);
  if (!base_location.empty()) next.metadata_log.push_back({base.last_updated_ms, base_location});
  const int64_t keep =
      std::max<int64_t>(1, base.PropertyAsInt("write.metadata.previous-versions-max", 100));
  if (static_cast<int64_t>(next.metadata_log.size()) > keep) {
    next.metadata_log.erase(next.metadata_log.begin(), next.metadata_log.end() - keep);
  }
  int version = base_location.empty() ? -1 : ParseMetadataVersion(base_location);
  version = version < 0 ? (base_location.empty() ? 0 : 1) : version + 1;
  return next.location + "/metadata/" +
         fmt::format("{:05d}-{}.metadata.json", std::max(version, highest_existing + 1), NewUuid());
}

}  // namespace k2::iceberg
