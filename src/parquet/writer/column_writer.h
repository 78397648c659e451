#pragma once
/// One column's writer: current page -> encoded, compressed pages buffered per
/// column chunk -> written to the file at a row group flush. Concrete writers
/// are templated on the value type; the only virtual calls are per slice of
/// rows, never per value. The kinds, one file each:
///   column_writer_base      page and chunk machinery shared by every kind
///   boolean_column_writer   BOOLEAN, PLAIN bit-packed
///   numeric_column_writer   INT32/INT64/FLOAT/DOUBLE (and decimals up to 18
///                           digits), dictionary with fallback to PLAIN/DELTA
///   byte_array_column_writer BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY (string,
///                           binary, fixed, uuid, wider decimals), dictionary
///                           with fallback to PLAIN

#include <memory>
#include <string>

#include "columnar/column_batch.h"
#include "common/result.h"
#include "io/file_io.h"
#include "parquet/compression.h"
#include "parquet/metadata.h"
#include "parquet/writer/column_metrics.h"
#include "parquet/writer/writer_options.h"

namespace k2::parquet {

/// Parquet codec for a writer codec.
format::CompressionCodec ToFormatCodec(Codec codec);

/// Writes one leaf column across row groups of a file.
class ColumnWriter {
 public:
  virtual ~ColumnWriter() = default;
  /// Appends rows [offset, offset + count) of `column` to the current page,
  /// closing pages as they fill.
  virtual Status Append(const Column& column, size_t offset, size_t count) = 0;
  /// Encoded bytes buffered for the current chunk (pages + dictionary + open page).
  virtual uint64_t BufferedBytes() const = 0;
  /// Heap bytes this writer holds: buffered pages, open-page buffers (values,
  /// dictionary indices, definition levels), dictionary and hash table, at
  /// their allocated capacity. What FileWriter::MemoryUsage adds up.
  virtual uint64_t MemoryBytes() const = 0;
  /// Writes the chunk ([dictionary page] data pages) to `out` and fills its
  /// metadata; resets for the next row group.
  virtual Status FlushChunk(OutputFile* out, format::ColumnChunk* chunk) = 0;
  /// The file-level metrics (call after the last FlushChunk).
  virtual ColumnMetrics Metrics() const = 0;
};

/// Scratch buffers and the compression context shared by the column writers
/// of one column group of a file. A group's columns are encoded one after the
/// other on one thread (FileWriter gives each of its encode_threads groups its
/// own WriterScratch), so one of each per group is enough: a zstd context
/// costs about 1 MB.
struct WriterScratch {
  explicit WriterScratch(const WriterOptions& options)
      : compressor(ToFormatCodec(options.codec), options.compression_level) {}
  std::string page, compressed, header;
  Compressor compressor;
};

/// A writer for `field` (already validated by ToSchemaElement; nullptr for a
/// nested type). `scratch` is shared by the writers of one column group, which
/// must only be used from one thread at a time.
std::unique_ptr<ColumnWriter> MakeColumnWriter(const Field& field,
                                               const format::SchemaElement& element,
                                               const WriterOptions& options,
                                               std::shared_ptr<WriterScratch> scratch);

}  // namespace k2::parquet
