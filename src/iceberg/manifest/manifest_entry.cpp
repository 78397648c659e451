#include "iceberg/manifest/manifest_entry.h"

#include "parquet/writer/column_metrics.h"

namespace k2::iceberg {

DataFile MakeDataFile(const parquet::DataFileMetrics& metrics, std::string path, int spec_id,
                      PartitionValues partition) {
  DataFile f;
  f.content = FileContent::kData;
  f.file_path = std::move(path);
  f.file_format = "PARQUET";
  f.spec_id = spec_id;
  f.partition = std::move(partition);
  f.record_count = metrics.record_count;
  f.file_size_in_bytes = metrics.file_size_in_bytes;
  for (const auto& c : metrics.columns) {
    if (c.field_id <= 0) continue;
    f.column_sizes[c.field_id] = c.column_size;
    f.value_counts[c.field_id] = c.value_count;
    f.null_value_counts[c.field_id] = c.null_count;
    if (c.nan_count >= 0) f.nan_value_counts[c.field_id] = c.nan_count;
    if (c.lower_bound) f.lower_bounds[c.field_id] = *c.lower_bound;
    if (c.upper_bound) f.upper_bounds[c.field_id] = *c.upper_bound;
  }
  f.split_offsets = metrics.split_offsets;
  f.sort_order_id = 0;
  return f;
}

}  // namespace k2::iceberg
