#include "iceberg/manifest/manifest_list.h"

#include <map>

#include "avro/container.h"
#include "iceberg/manifest/manifest_avro.h"

namespace k2::iceberg {

using avro::Datum;
using manifest_avro::FieldType;
using manifest_avro::LongOr;
using manifest_avro::ManifestListSchema;

Status WriteManifestList(FileIO& io, const std::string& path, int64_t snapshot_id,
                         std::optional<int64_t> parent_snapshot_id, int64_t sequence_number,
                         const std::vector<ManifestFile>& manifests) {
  std::map<std::string, std::string> meta = {
      {"snapshot-id", std::to_string(snapshot_id)},
      {"parent-snapshot-id", parent_snapshot_id ? std::to_string(*parent_snapshot_id) : "null"},
      {"sequence-number", std::to_string(sequence_number)},
      {"format-version", "2"},
  };
  K2_ASSIGN_OR_RETURN(auto out, io.OpenOutput(path));
  K2_ASSIGN_OR_RETURN(auto w, avro::ContainerWriter::Open(std::move(out), ManifestListSchema(),
                                                          meta, avro::Codec::kDeflate));
  const avro::Node& node = w->schema();
  const avro::Node* parts_node = FieldType(node, "partitions")->NonNullBranch();
  for (const ManifestFile& m : manifests) {
    Datum r = Datum::Record(&node);
    r.Set("manifest_path", Datum::String(m.manifest_path));
    r.Set("manifest_length", Datum::Long(m.manifest_length));
    r.Set("partition_spec_id", Datum::Int(m.partition_spec_id));
    r.Set("content", Datum::Int(static_cast<int32_t>(m.content)));
    r.Set("sequence_number", Datum::Long(m.sequence_number));
    r.Set("min_sequence_number", Datum::Long(m.min_sequence_number));
    r.Set("added_snapshot_id", Datum::Long(m.added_snapshot_id));
    r.Set("added_files_count", Datum::Int(m.added_files_count));
    r.Set("existing_files_count", Datum::Int(m.existing_files_count));
    r.Set("deleted_files_count", Datum::Int(m.deleted_files_count));
    r.Set("added_rows_count", Datum::Long(m.added_rows_count));
    r.Set("existing_rows_count", Datum::Long(m.existing_rows_count));
    r.Set("deleted_rows_count", Datum::Long(m.deleted_rows_count));
    std::vector<Datum> parts;
    for (const auto& s : m.partitions) {
      Datum sd = Datum::Record(parts_node->items.get());
      sd.Set("contains_null", Datum::Bool(s.contains_null));
      if (s.contains_nan) sd.Set("contains_nan", Datum::Bool(*s.contains_nan));
      if (s.lower_bound) sd.Set("lower_bound", Datum::Bytes(*s.lower_bound));
      if (s.upper_bound) sd.Set("upper_bound", Datum::Bytes(*s.upper_bound));
      parts.push_back(std::move(sd));
    }
    r.Set("partitions", Datum::Array(std::move(parts)));
    K2_RETURN_IF_ERROR(w->Append(r));
  }
  K2_RETURN_IF_ERROR(w->Finish());
  return OkStatus();
}

Result<std::vector<ManifestFile>> ReadManifestList(FileIO& io, const std::string& path) {
  K2_ASSIGN_OR_RETURN(auto in, io.OpenInput(path));
  K2_ASSIGN_OR_RETURN(auto reader, avro::ContainerReader::Open(std::move(in)));
  const bool v1 = reader->schema().FieldIndex("sequence_number") == std::nullopt;
  std::vector<ManifestFile> out;
  Datum d;
  while (true) {
    K2_ASSIGN_OR_RETURN(bool more, reader->Next(d));
    if (!more) break;
    ManifestFile m;
    m.v1 = v1;
    const Datum* p = d.Get("manifest_path");
    if (p == nullptr) {
      return MakeError(ErrorKind::kCorrupt, "{}: entry {} has no manifest_path", path, out.size());
    }
    m.manifest_path = p->s;
    m.manifest_length = LongOr(d.Get("manifest_length"), 0);
    m.partition_spec_id = static_cast<int>(LongOr(d.Get("partition_spec_id"), 0));
    int64_t content = LongOr(d.Get("content"), 0);
    m.content = content == 1 ? ManifestContent::kDeletes : ManifestContent::kData;
    m.sequence_number = LongOr(d.Get("sequence_number"), 0);
    m.min_sequence_number = LongOr(d.Get("min_sequence_number"), 0);
    m.added_snapshot_id = LongOr(d.Get("added_snapshot_id"), 0);
    auto count = [&](const char* v2, const char* v1name) {
      const Datum* x = d.Get(v2);
      if (x == nullptr) x = d.Get(v1name);
      return LongOr(x, 0);
    };
    m.added_files_count = static_cast<int>(count("added_files_count", "added_data_files_count"));
    m.existing_files_count =
        static_cast<int>(count("existing_files_count", "existing_data_files_count"));
    m.deleted_files_count =
        static_cast<int>(count("deleted_files_count", "deleted_data_files_count"));
    m.added_rows_count = LongOr(d.Get("added_rows_count"), 0);
    m.existing_rows_count = LongOr(d.Get("existing_rows_count"), 0);
    m.deleted_rows_count = LongOr(d.Get("deleted_rows_count"), 0);
    if (const Datum* parts = d.Get("partitions"); parts && !parts->is_null()) {
      for (const Datum& s : parts->items) {
        PartitionFieldSummary fs;
        if (const Datum* x = s.Get("contains_null")) fs.contains_null = x->b;
        if (const Datum* x = s.Get("contains_nan"); x && !x->is_null()) fs.contains_nan = x->b;
        if (const Datum* x = s.Get("lower_bound"); x && !x->is_null()) fs.lower_bound = x->s;
        if (const Datum* x = s.Get("upper_bound"); x && !x->is_null()) fs.upper_bound = x->s;
        m.partitions.push_back(std::move(fs));
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace k2::iceberg
