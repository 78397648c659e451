#pragma once
/// Avro object container files: header (magic, metadata map with avro.schema
/// and avro.codec, sync marker), then blocks of records, each compressed with
/// the file's codec and followed by the sync marker. Readers hold one block in
/// memory at a time.

#include <map>
#include <memory>
#include <string>

#include "avro/schema.h"
#include "io/file_io.h"

namespace k2::avro {

enum class Codec { kNull, kDeflate, kSnappy, kZstd };

/// Writes records to an OutputFile. Phases: Open (header), Append* (buffers a
/// block, flushes it at `block_bytes`), Finish (last block, publish).
class ContainerWriter {
 public:
  /// Parses `schema_json` and writes the header with `metadata` (avro.schema
  /// and avro.codec are added). kInvalidInput for a bad schema.
  static Result<std::unique_ptr<ContainerWriter>> Open(
      std::unique_ptr<OutputFile> file, const std::string& schema_json,
      const std::map<std::string, std::string>& metadata, Codec codec = Codec::kDeflate,
      size_t block_bytes = 1 << 20);

  /// The parsed schema; records passed to Append are built from its nodes.
  const Node& schema() const { return *schema_; }
  /// Appends one record (encoded against schema()).
  Status Append(const Datum& record);
  /// Flushes and publishes the file; returns its length in bytes.
  Result<uint64_t> Finish();
  /// Discards the file.
  void Abort();

 private:
  ContainerWriter() = default;
  Status FlushBlock();

  std::unique_ptr<OutputFile> file_;
  NodePtr schema_;
  Codec codec_ = Codec::kDeflate;
  size_t block_bytes_ = 0;
  std::string sync_;
  Encoder block_;
  int64_t block_count_ = 0;
};

/// Reads records of a container file one by one.
class ContainerReader {
 public:
  /// Reads and checks the header. kCorrupt names the path and offset;
  /// kUnsupported for an unknown codec.
  static Result<std::unique_ptr<ContainerReader>> Open(std::unique_ptr<InputFile> file);

  /// The writer's schema.
  const Node& schema() const { return *schema_; }
  /// The header metadata (including avro.schema and avro.codec).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  /// Value of metadata key `key`, or "" if absent.
  std::string Meta(const std::string& key) const;
  /// Decodes the next record into `out`; returns false at the end of the file.
  Result<bool> Next(Datum& out);

 private:
  ContainerReader() = default;
  Status LoadBlock();

  std::unique_ptr<InputFile> file_;
  uint64_t size_ = 0;
  uint64_t offset_ = 0;  ///< next unread byte in the file
  NodePtr schema_;
  std::map<std::string, std::string> metadata_;
  Codec codec_ = Codec::kNull;
  std::string sync_;
  std::string block_;  ///< decompressed current block
  uint64_t block_offset_ = 0;
  int64_t block_remaining_ = 0;
  std::unique_ptr<Decoder> decoder_;
};

/// Compresses/decompresses one block with `codec` (exposed for tests).
Result<std::string> CompressBlock(Codec codec, std::string_view data);
Result<std::string> DecompressBlock(Codec codec, std::string_view data, const std::string& context);

}  // namespace k2::avro
