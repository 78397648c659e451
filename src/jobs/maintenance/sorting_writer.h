#pragma once
/// SortingWriter: applies an Iceberg sort order to the rows compaction writes,
/// in bounded memory. Rows are buffered until about `run_bytes` of in-memory
/// column data, sorted by the order, and written to the RollingParquetWriter
/// as one sorted run (about one output row group). What k2 guarantees: every
/// run is sorted; a group whose live rows fit in one run gives fully sorted
/// files; larger groups give files made of consecutive sorted runs (no
/// external merge). Memory: the buffered run plus its sorted copy.
///
/// Sort fields: any column type k2 stores; identity fields compare the stored
/// values directly, other transforms (day, bucket, truncate...) compare the
/// transformed values. Directions and null orders follow the order.

#include <cstdint>
#include <memory>
#include <vector>

#include "columnar/column_batch.h"
#include "iceberg/partition_spec.h"
#include "jobs/rolling_writer.h"

namespace k2::jobs {

class SortingWriter {
 public:
  /// `out` must outlive the writer. kInvalidInput when a sort field's source
  /// column is not in `schema` (names the field id).
  static Result<std::unique_ptr<SortingWriter>> Make(std::shared_ptr<const Schema> schema,
                                                     const iceberg::SortOrder& order,
                                                     RollingParquetWriter& out, int64_t run_bytes);

  /// Buffers `batch` (copied); sorts and writes a run when the buffer is full.
  Status Write(const ColumnBatch& batch);
  /// Sorts and writes what is buffered. Call before out.Finish().
  Status Flush();

  int runs_written() const { return runs_; }

 private:
  struct Key {
    size_t column = 0;
    iceberg::SortField field;
    bool identity = true;
  };
  SortingWriter(std::shared_ptr<const Schema> schema, std::vector<Key> keys,
                RollingParquetWriter& out, int64_t run_bytes)
      : schema_(std::move(schema)), keys_(std::move(keys)), out_(out), run_bytes_(run_bytes) {}

  std::shared_ptr<const Schema> schema_;
  std::vector<Key> keys_;
  RollingParquetWriter& out_;
  int64_t run_bytes_;
  std::vector<ColumnBatch> buffered_;
  int64_t buffered_bytes_ = 0;
  int runs_ = 0;
};

}  // namespace k2::jobs
