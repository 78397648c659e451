#pragma once
/// Reads one column chunk page by page into k2 Columns. Templated on the
/// physical type internally; the only virtual call is per batch.

#include <memory>
#include <string>
#include <vector>

#include "columnar/column_batch.h"
#include "common/result.h"
#include "io/file_io.h"
#include "parquet/metadata.h"

namespace k2::parquet {

/// Decodes one column chunk of one row group.
class ColumnChunkReader {
 public:
  virtual ~ColumnChunkReader() = default;
  /// Appends the next `rows` rows to `out` (of the field's type). kCorrupt if
  /// the chunk ends early or a page is malformed (names file, column, offset).
  virtual Status Read(size_t rows, Column* out) = 0;
  /// Nested leaves: appends the levels of the next `records` records (a record
  /// starts at repetition level 0) to `defs`/`reps`, and one entry per level to
  /// `dense` (null where the level is below the maximum definition level).
  /// kCorrupt as for Read. The default implementation serves flat readers only.
  virtual Status ReadRecords(size_t records, Column* dense, std::vector<uint8_t>* defs,
                             std::vector<uint8_t>* reps);
};

/// Where a chunk lives and how to interpret it.
struct ChunkContext {
  uint64_t file_size = 0;
  std::string path;    ///< for messages
  std::string column;  ///< for messages
  DataType type;       ///< the k2 type to produce
  const format::SchemaElement* element = nullptr;
  int max_def = 0;
  int max_rep = 0;  ///< > 0 for leaves inside a list or map (read with ReadRecords)
  const format::ColumnChunk* chunk = nullptr;
  int64_t num_rows = 0;  ///< rows in the row group
};

/// Where the chunk's bytes are (from its dictionary page, or first data page,
/// on). kCorrupt naming the file, column and offset if they lie outside the
/// file; kUnsupported for a chunk without inline metadata or in another file.
Result<ByteRange> ColumnChunkRange(const ChunkContext& ctx);

/// The chunk's reader over `bytes`, the ColumnChunkRange(ctx) bytes of the
/// file (read by the caller, so that a row group's chunks can share reads);
/// the reader holds their buffer. Errors as ColumnChunkRange.
Result<std::unique_ptr<ColumnChunkReader>> OpenColumnChunk(const ChunkContext& ctx,
                                                           RangeBytes bytes);

}  // namespace k2::parquet
