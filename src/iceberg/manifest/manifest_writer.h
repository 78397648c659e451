#pragma once
/// ManifestWriter: writes one v2 manifest (Avro) with the key-value metadata
/// readers expect (schema, schema-id, partition-spec, partition-spec-id,
/// format-version, content), and returns its manifest-list entry with counts
/// and partition summaries.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "avro/container.h"
#include "iceberg/manifest/manifest_entry.h"
#include "iceberg/manifest/manifest_list.h"
#include "iceberg/partition_spec.h"
#include "iceberg/schema.h"
#include "io/file_io.h"

namespace k2::iceberg {

/// Writes one manifest. Entries with status ADDED get `snapshot_id` and null
/// sequence numbers (inherited at read time); EXISTING/DELETED entries keep theirs.
class ManifestWriter {
 public:
  /// `schema` is the table schema written into the manifest metadata; `spec`
  /// types the partition tuples. kInvalidInput if the spec does not fit the schema.
  static Result<std::unique_ptr<ManifestWriter>> Open(FileIO& io, const std::string& path,
                                                      const TableSchema& schema,
                                                      const PartitionSpec& spec,
                                                      ManifestContent content, int64_t snapshot_id);
  /// Adds an entry. kInvalidInput if its partition tuple does not match the spec.
  Status Add(const ManifestEntry& entry);
  /// Publishes the file and returns its manifest-list entry (sequence numbers
  /// are set by the snapshot that commits it).
  Result<ManifestFile> Finish();
  void Abort();

 private:
  ManifestWriter() = default;
  std::unique_ptr<avro::ContainerWriter> writer_;
  Schema partition_type_;
  PartitionSpec spec_;
  ManifestFile info_;
  std::optional<int64_t> min_seq_;
  const avro::Node* entry_node_ = nullptr;
};

}  // namespace k2::iceberg
