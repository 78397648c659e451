#pragma once
/// How manifests and manifest lists map to Avro (internal to
/// src/iceberg/manifest/): their Avro schemas with Iceberg field ids, and the
/// conversions between k2 values and Avro datums for partition tuples and the
/// int-keyed metric maps.

#include <cstdint>
#include <exception>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "avro/container.h"
#include "columnar/types.h"
#include "columnar/value.h"
#include "common/result.h"

namespace k2::iceberg::manifest_avro {

using Json = nlohmann::json;

/// Avro schema JSON of an Iceberg primitive type (for partition tuples).
Json AvroTypeOf(const DataType& type);
/// The Iceberg type an Avro partition field was written as.
DataType TypeOfAvro(const avro::Node& n);
/// The `partition` record of a manifest entry for a spec's partition type.
Json PartitionRecordJson(const Schema& partition_type);
/// The manifest_entry schema (v2) around `partition_record`.
std::string ManifestEntrySchema(const Json& partition_record);
/// The manifest_file schema of a manifest list (v2).
std::string ManifestListSchema();

/// Avro datum of a partition value (decimal as fixed, uuid as fixed[16]).
avro::Datum ValueToDatum(const Value& v);
/// A partition value read back; kCorrupt (naming `path`) for a bad decimal.
Result<Value> DatumToValue(const DataType& type, const avro::Datum& d, const std::string& path);
/// An int-keyed metric map as the array<record{key,value}> of `field_type`
/// (null when empty).
avro::Datum IntLongMap(const avro::Node& field_type, const std::map<int, int64_t>& m);
avro::Datum IntBytesMap(const avro::Node& field_type, const std::map<int, std::string>& m);
/// The type of field `name` of `record`, or nullptr.
const avro::Node* FieldType(const avro::Node& record, std::string_view name);
/// The long in `d`, or `dflt` when absent or null.
int64_t LongOr(const avro::Datum* d, int64_t dflt);

/// Reads an Iceberg int-keyed map written as array<record{key,value}> or an Avro map.
template <typename F>
void ForEachMapEntry(const avro::Datum* d, F&& f) {
  if (d == nullptr || d->is_null()) return;
  if (d->type == avro::Type::kMap) {
    for (size_t i = 0; i < d->items.size(); ++i) {
      try {
        f(std::stoi(d->keys[i]), d->items[i]);
      } catch (const std::exception&) {
      }
    }
    return;
  }
  for (const avro::Datum& kv : d->items) {
    if (kv.type != avro::Type::kRecord || kv.items.size() < 2) continue;
    f(static_cast<int>(kv.items[0].l), kv.items[1]);
  }
}

}  // namespace k2::iceberg::manifest_avro
