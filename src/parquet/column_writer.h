#pragma once
/// One column's writer: current page -> encoded, compressed pages buffered per
/// column chunk -> written to the file at a row group flush. Concrete writers
/// are templated on the value type; the only virtual calls are per slice of
/// rows, never per value.

#include <memory>
#include <string>

#include "columnar/column_batch.h"
#include "common/result.h"
#include "io/file_io.h"
#include "parquet/compression.h"
#include "parquet/file_writer.h"
#include "parquet/metadata.h"

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
/// of one file (pages are built and compressed one at a time, so one of each
/// is enough: a zstd context costs about 1 MB).
struct WriterScratch {
  explicit WriterScratch(const WriterOptions& options)
      : compressor(ToFormatCodec(options.codec), options.compression_level) {}
  std::string page, compressed, header;
  Compressor compressor;
};

/// A writer for `field` (already validated by ToSchemaElement). `scratch` is
/// shared by the file's column writers (single-threaded use).
std::unique_ptr<ColumnWriter> MakeColumnWriter(const Field& field,
                                               const format::SchemaElement& element,
                                               const WriterOptions& options,
                                               std::shared_ptr<WriterScratch> scratch);

}  // namespace k2::parquet
