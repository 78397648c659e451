// TableScan::ToBatchReader: reads planned files through the Parquet reader,
// matching columns by field id (or name mapping), filling columns a file lacks
// (nulls, or the identity partition value), widening promoted types, applying
// position and equality deletes, and filtering rows exactly.
#include <algorithm>
#include <set>
#include <unordered_set>

#include "common/json.h"
#include "iceberg/expression_eval.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"
#include "parquet/file_reader.h"

namespace k2::iceberg {

namespace {

constexpr int kDeleteFilePathId = 2147483546;
constexpr int kDeletePosId = 2147483545;

void AppendValue(Column& c, const Value& v) {
  if (v.is_null()) {
    c.AppendNull();
    return;
  }
  switch (c.type().id) {
    case TypeId::kBoolean:
      c.Append<uint8_t>(std::holds_alternative<bool>(v.data) && std::get<bool>(v.data) ? 1 : 0);
      return;
    case TypeId::kInt32:
    case TypeId::kDate:
      if (std::holds_alternative<int32_t>(v.data)) {
        c.Append<int32_t>(std::get<int32_t>(v.data));
      } else {
        c.AppendNull();
      }
      return;
    case TypeId::kInt64:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
    case TypeId::kTimestampNs:
      if (std::holds_alternative<int64_t>(v.data)) {
        c.Append<int64_t>(std::get<int64_t>(v.data));
      } else if (std::holds_alternative<int32_t>(v.data)) {
        c.Append<int64_t>(std::get<int32_t>(v.data));
      } else {
        c.AppendNull();
      }
      return;
    case TypeId::kFloat:
      c.Append<float>(std::holds_alternative<float>(v.data) ? std::get<float>(v.data) : 0.0f);
      return;
    case TypeId::kDouble:
      c.Append<double>(std::holds_alternative<double>(v.data)
                           ? std::get<double>(v.data)
                           : (std::holds_alternative<float>(v.data) ? std::get<float>(v.data) : 0));
      return;
    case TypeId::kDecimal:
      c.AppendDecimal(std::holds_alternative<int128_t>(v.data) ? std::get<int128_t>(v.data) : 0);
      return;
    default:
      if (std::holds_alternative<std::string>(v.data)) {
        c.AppendBytes(std::get<std::string>(v.data));
      } else {
        c.AppendNull();
      }
  }
}

/// Converts a file column to the table's type (same type: copy; promotions:
/// int->long, float->double, decimal width; same storage: relabel).
Result<Column> ConvertColumn(const Column& in, const DataType& to, const std::string& what);

/// The child of `from` that holds table field `field`: by id, or by name when
/// the file has no ids.
std::optional<size_t> MatchChild(const DataType& from, const Field& field) {
  for (size_t i = 0; i < from.children.size(); ++i) {
    const Field& c = from.children[i];
    if (c.id > 0 ? c.id == field.id : c.name == field.name) return i;
  }
  return std::nullopt;
}

/// Nested columns: the same structure with children matched by field id
/// (struct fields missing from the file read as null) and converted.
Result<Column> ConvertNested(const Column& in, const DataType& to, const std::string& what) {
  const DataType& from = in.type();
  if (from.id != to.id) {
    return MakeError(ErrorKind::kUnsupported, "{}: cannot read {} as {}", what, from.ToString(),
                     to.ToString());
  }
  Column out(to);
  auto& children = out.mutable_children();
  for (size_t i = 0; i < to.children.size(); ++i) {
    const Field& f = to.children[i];
    const std::string child_what = what + "." + f.name;
    std::optional<size_t> j;
    if (to.id == TypeId::kStruct) {
      j = MatchChild(from, f);
    } else if (i < in.children().size()) {
      j = i;  // list element, map key and value are positional
    }
    if (j) {
      K2_ASSIGN_OR_RETURN(children[i], ConvertColumn(in.children()[*j], f.type, child_what));
    } else {
      Column nulls(f.type);
      for (size_t r = 0; r < in.length(); ++r) nulls.AppendNull();
      children[i] = std::move(nulls);
    }
  }
  if (to.id != TypeId::kStruct) out.mutable_offsets() = in.offsets();
  out.mutable_validity() = in.validity();
  out.SetLength(in.length(), in.null_count());
  return out;
}

Result<Column> ConvertColumn(const Column& in, const DataType& to, const std::string& what) {
  const DataType& from = in.type();
  if (from == to) return in;
  if (from.IsNested() || to.IsNested()) return ConvertNested(in, to, what);
  Column out(to);
  out.Reserve(in.length());
  const size_t n = in.length();
  auto each = [&](auto fn) {
    for (size_t i = 0; i < n; ++i) {
      if (!in.IsValid(i)) {
        out.AppendNull();
      } else {
        fn(i);
      }
    }
  };
  if (from.id == TypeId::kInt32 && (to.id == TypeId::kInt64)) {
    each([&](size_t i) { out.Append<int64_t>(in.Value<int32_t>(i)); });
  } else if (from.id == TypeId::kFloat && to.id == TypeId::kDouble) {
    each([&](size_t i) { out.Append<double>(in.Value<float>(i)); });
  } else if (from.id == TypeId::kDecimal && to.id == TypeId::kDecimal) {
    int128_t scale = 1;
    for (int s = from.scale; s < to.scale; ++s) scale *= 10;
    each([&](size_t i) { out.AppendDecimal(in.DecimalValue(i) * scale); });
  } else if (from.id == TypeId::kTimestampNs &&
             (to.id == TypeId::kTimestamp || to.id == TypeId::kTimestampTz)) {
    each([&](size_t i) {
      int64_t v = in.Value<int64_t>(i);
      out.Append<int64_t>(v >= 0 ? v / 1000 : -((-v + 999) / 1000));
    });
  } else if ((from.IsVariableWidth() && to.IsVariableWidth()) ||
             (!from.IsVariableWidth() && !to.IsVariableWidth() &&
              from.FixedWidth() == to.FixedWidth())) {
    // Same storage (timestamp vs timestamptz, date vs int, string vs binary): relabel.
    out.mutable_data() = in.data();
    out.mutable_offsets() = in.offsets();
    out.mutable_validity() = in.validity();
    out.SetLength(in.length(), in.null_count());
  } else {
    return MakeError(ErrorKind::kUnsupported, "{}: cannot read {} as {}", what, from.ToString(),
                     to.ToString());
  }
  return out;
}

/// field id -> names from schema.name-mapping.default (top level).
std::map<std::string, int> ParseNameMapping(const std::string& text) {
  std::map<std::string, int> out;
  auto parsed = ParseUntrustedJson(text, "schema.name-mapping.default");
  if (!parsed || !parsed->is_array()) return out;
  const nlohmann::json& j = *parsed;
  for (const auto& e : j) {
    if (!e.is_object() || !e.contains("field-id") || !e["field-id"].is_number_integer()) continue;
    for (const auto& n : e.value("names", nlohmann::json::array())) {
      if (n.is_string()) out[n.get<std::string>()] = e["field-id"].get<int>();
    }
  }
  return out;
}

std::string RowKey(const ColumnBatch& batch, const std::vector<size_t>& cols, size_t row) {
  std::string key;
  for (size_t c : cols) {
    Value v = Value::FromColumn(batch.columns[c], row);
    if (v.is_null()) {
      key += "\x01n";
    } else {
      std::string enc = EncodeSingleValue(v);
      key += "\x02" + std::to_string(enc.size()) + ":" + enc;
    }
  }
  return key;
}

class ScanReader : public BatchReader {
 public:
  ScanReader(FileIO& io, std::vector<FileScanTask> tasks, Schema output, Schema read_schema,
             std::optional<Predicate> filter,
             std::optional<std::map<std::string, int>> name_mapping,
             std::map<int, PartitionSpec> specs)
      : io_(io),
        tasks_(std::move(tasks)),
        output_(std::make_shared<const Schema>(std::move(output))),
        read_schema_(std::make_shared<const Schema>(std::move(read_schema))),
        filter_(std::move(filter)),
        name_mapping_(std::move(name_mapping)),
        specs_(std::move(specs)) {
    batch_ = ColumnBatch(output_);
  }

  const Schema& schema() const override { return *output_; }

  Result<const ColumnBatch*> Next() override {
    while (true) {
      if (!file_batches_) {
        if (next_task_ >= tasks_.size()) return nullptr;
        K2_RETURN_IF_ERROR(OpenTask(tasks_[next_task_++]));
      }
      K2_ASSIGN_OR_RETURN(const ColumnBatch* in, file_batches_->Next());
      if (in == nullptr) {
        file_batches_.reset();
        file_reader_.reset();
        continue;
      }
      K2_ASSIGN_OR_RETURN(ColumnBatch read, ToReadSchema(*in));
      batch_.Clear();
      const size_t n = read.num_rows();
      for (size_t r = 0; r < n; ++r) {
        const int64_t pos = row_pos_ + static_cast<int64_t>(r);
        if (!deleted_positions_.empty() && deleted_positions_.count(pos)) continue;
        if (!eq_deletes_.empty()) {
          bool gone = false;
          for (const auto& [cols, keys] : eq_deletes_) {
            if (keys.count(RowKey(read, cols, r))) {
              gone = true;
              break;
            }
          }
          if (gone) continue;
        }
        if (filter_ && !filter_->Matches(read, r)) continue;
        for (size_t c = 0; c < output_->fields.size(); ++c) {
          batch_.columns[c].AppendFrom(read.columns[output_index_[c]], r);
        }
      }
      row_pos_ += static_cast<int64_t>(n);
      if (batch_.num_rows() > 0) return &batch_;
    }
  }

  Status Init() {
    for (const Field& f : output_->fields) {
      auto idx = read_schema_->IndexOfId(f.id);
      if (!idx)
        return MakeError(ErrorKind::kInternal, "output field {} not in read schema", f.name);
      output_index_.push_back(*idx);
    }
    if (filter_) K2_RETURN_IF_ERROR(filter_->Bind(*read_schema_));
    return OkStatus();
  }

 private:
  /// Maps each read-schema field to a file column index (or -1), opens the file and loads deletes.
  Status OpenTask(const FileScanTask& task) {
    const std::string& path = task.file.file_path;
    K2_ASSIGN_OR_RETURN(auto in, io_.OpenInput(path));
    K2_ASSIGN_OR_RETURN(file_reader_, parquet::FileReader::Open(std::move(in)));
    const Schema& fs = file_reader_->schema();
    bool has_ids =
        std::any_of(fs.fields.begin(), fs.fields.end(), [](const Field& f) { return f.id > 0; });
    std::vector<int> file_ids(fs.fields.size(), 0);
    for (size_t i = 0; i < fs.fields.size(); ++i) {
      if (has_ids) {
        file_ids[i] = fs.fields[i].id;
      } else if (name_mapping_) {
        auto it = name_mapping_->find(fs.fields[i].name);
        file_ids[i] = it == name_mapping_->end() ? 0 : it->second;
      } else if (auto idx = read_schema_->IndexOf(fs.fields[i].name)) {
        file_ids[i] = read_schema_->fields[*idx].id;
      }
    }
    std::vector<int> projection;
    source_.assign(read_schema_->fields.size(), -1);
    for (size_t f = 0; f < read_schema_->fields.size(); ++f) {
      for (size_t i = 0; i < fs.fields.size(); ++i) {
        if (file_ids[i] == read_schema_->fields[f].id) {
          source_[f] = static_cast<int>(projection.size());
          projection.push_back(static_cast<int>(i));
          break;
        }
      }
    }
    // Columns not in the file: identity partition values, else null.
    constants_.assign(read_schema_->fields.size(), std::nullopt);
    auto spec_it = specs_.find(task.file.spec_id);
    for (size_t f = 0; f < read_schema_->fields.size(); ++f) {
      if (source_[f] >= 0 || spec_it == specs_.end()) continue;
      const PartitionSpec& spec = spec_it->second;
      for (size_t p = 0; p < spec.fields.size() && p < task.file.partition.size(); ++p) {
        if (spec.fields[p].source_id == read_schema_->fields[f].id &&
            spec.fields[p].transform.kind == TransformKind::kIdentity) {
          constants_[f] = task.file.partition[p];
        }
      }
    }
    parquet::ReadOptions opts;
    opts.columns = projection;
    current_path_ = path;
    K2_ASSIGN_OR_RETURN(file_batches_, file_reader_->Read(opts));
    row_pos_ = 0;
    deleted_positions_.clear();
    eq_deletes_.clear();
    for (const DataFile& d : task.deletes) K2_RETURN_IF_ERROR(LoadDeletes(task, d));
    return OkStatus();
  }

  Status LoadDeletes(const FileScanTask& task, const DataFile& d) {
    K2_ASSIGN_OR_RETURN(auto in, io_.OpenInput(d.file_path));
    K2_ASSIGN_OR_RETURN(auto reader, parquet::FileReader::Open(std::move(in)));
    const Schema& ds = reader->schema();
    if (d.content == FileContent::kPositionDeletes) {
      auto pi = ds.IndexOfId(kDeleteFilePathId);
      auto qi = ds.IndexOfId(kDeletePosId);
      if (!pi) pi = ds.IndexOf("file_path");
      if (!qi) qi = ds.IndexOf("pos");
      if (!pi || !qi) {
        return MakeError(ErrorKind::kCorrupt, "{}: position delete file lacks file_path/pos",
                         d.file_path);
      }
      parquet::ReadOptions opts;
      opts.columns = {static_cast<int>(*pi), static_cast<int>(*qi)};
      K2_ASSIGN_OR_RETURN(auto batches, reader->Read(opts));
      while (true) {
        K2_ASSIGN_OR_RETURN(const ColumnBatch* b, batches->Next());
        if (b == nullptr) break;
        for (size_t r = 0; r < b->num_rows(); ++r) {
          if (b->columns[0].Bytes(r) == task.file.file_path) {
            deleted_positions_.insert(b->columns[1].Value<int64_t>(r));
          }
        }
      }
      return OkStatus();
    }
    // Equality deletes: key columns by field id.
    std::vector<int> projection;
    std::vector<size_t> read_cols;
    for (int id : d.equality_ids) {
      auto di = ds.IndexOfId(id);
      auto ri = read_schema_->IndexOfId(id);
      if (!ri) {
        return MakeError(ErrorKind::kInternal, "equality field {} not in read schema", id);
      }
      if (!di) {
        // Fall back to the column name in the table schema.
        di = ds.IndexOf(read_schema_->fields[*ri].name);
      }
      if (!di) {
        return MakeError(ErrorKind::kCorrupt, "{}: equality delete file lacks field id {}",
                         d.file_path, id);
      }
      projection.push_back(static_cast<int>(*di));
      read_cols.push_back(*ri);
    }
    parquet::ReadOptions opts;
    opts.columns = projection;
    K2_ASSIGN_OR_RETURN(auto batches, reader->Read(opts));
    std::unordered_set<std::string> keys;
    while (true) {
      K2_ASSIGN_OR_RETURN(const ColumnBatch* b, batches->Next());
      if (b == nullptr) break;
      // Convert key columns to the table types so encodings compare equal.
      ColumnBatch conv;
      auto schema = std::make_shared<Schema>();
      for (size_t k = 0; k < read_cols.size(); ++k) {
        const Field& tf = read_schema_->fields[read_cols[k]];
        schema->fields.push_back(tf);
        K2_ASSIGN_OR_RETURN(Column c,
                            ConvertColumn(b->columns[k], tf.type, d.file_path + ":" + tf.name));
        conv.columns.push_back(std::move(c));
      }
      conv.schema = schema;
      std::vector<size_t> all(read_cols.size());
      for (size_t k = 0; k < all.size(); ++k) all[k] = k;
      for (size_t r = 0; r < conv.num_rows(); ++r) keys.insert(RowKey(conv, all, r));
    }
    eq_deletes_.emplace_back(read_cols, std::move(keys));
    return OkStatus();
  }

  Result<ColumnBatch> ToReadSchema(const ColumnBatch& in) {
    ColumnBatch out;
    out.schema = read_schema_;
    const size_t n = in.num_rows();
    for (size_t f = 0; f < read_schema_->fields.size(); ++f) {
      const Field& field = read_schema_->fields[f];
      if (source_[f] >= 0) {
        K2_ASSIGN_OR_RETURN(Column c, ConvertColumn(in.columns[source_[f]], field.type,
                                                    current_path_ + ": column " + field.name));
        out.columns.push_back(std::move(c));
      } else {
        Column c(field.type);
        c.Reserve(n);
        for (size_t r = 0; r < n; ++r) {
          if (constants_[f]) {
            AppendValue(c, *constants_[f]);
          } else {
            c.AppendNull();
          }
        }
        out.columns.push_back(std::move(c));
      }
    }
    return out;
  }

  FileIO& io_;
  std::vector<FileScanTask> tasks_;
  std::shared_ptr<const Schema> output_;
  std::shared_ptr<const Schema> read_schema_;
  std::optional<Predicate> filter_;
  std::optional<std::map<std::string, int>> name_mapping_;
  std::map<int, PartitionSpec> specs_;
  std::vector<size_t> output_index_;

  size_t next_task_ = 0;
  std::string current_path_;
  std::unique_ptr<parquet::FileReader> file_reader_;
  std::unique_ptr<BatchReader> file_batches_;
  std::vector<int> source_;
  std::vector<std::optional<Value>> constants_;
  int64_t row_pos_ = 0;
  std::set<int64_t> deleted_positions_;
  std::vector<std::pair<std::vector<size_t>, std::unordered_set<std::string>>> eq_deletes_;
  ColumnBatch batch_;
};

}  // namespace

Result<std::unique_ptr<BatchReader>> TableScan::ToBatchReader() const {
  K2_ASSIGN_OR_RETURN(std::vector<FileScanTask> tasks, PlanFiles());
  return ToBatchReader(std::move(tasks));
}

Result<std::unique_ptr<BatchReader>> TableScan::ToBatchReader(
    std::vector<FileScanTask> tasks) const {
  K2_ASSIGN_OR_RETURN(Schema output, ProjectedSchema());
  K2_ASSIGN_OR_RETURN(const TableSchema* scan_schema, ScanSchema());
  const Schema& table_schema = scan_schema->schema;
  // Read what the output, the filter and equality deletes need.
  std::set<int> ids;
  for (const Field& f : output.fields) ids.insert(f.id);
  std::optional<Predicate> filter = filter_;
  if (filter) {
    K2_RETURN_IF_ERROR(filter->Bind(table_schema));
    for (const auto& t : filter->terms) ids.insert(t.field_id);
  }
  for (const auto& t : tasks) {
    for (const auto& d : t.deletes) {
      for (int id : d.equality_ids) ids.insert(id);
    }
  }
  Schema read_schema;
  for (const Field& f : table_schema.fields) {
    if (ids.count(f.id)) read_schema.fields.push_back(f);
  }
  for (int id : ids) {
    if (!read_schema.IndexOfId(id)) {
      // An equality id of a column dropped from the current schema: look in older schemas.
      for (const auto& s : metadata_->schemas) {
        if (auto idx = s.schema.IndexOfId(id)) {
          read_schema.fields.push_back(s.schema.fields[*idx]);
          break;
        }
      }
    }
  }
  std::optional<std::map<std::string, int>> mapping;
  if (auto it = metadata_->properties.find("schema.name-mapping.default");
      it != metadata_->properties.end()) {
    mapping = ParseNameMapping(it->second);
  }
  std::map<int, PartitionSpec> specs;
  for (const auto& s : metadata_->specs) specs[s.spec_id] = s;
  // Re-parse the filter unbound: the reader binds it to its read schema.
  std::optional<Predicate> unbound = filter_;
  auto reader = std::make_unique<ScanReader>(table_->io(), std::move(tasks), std::move(output),
                                             std::move(read_schema), std::move(unbound),
                                             std::move(mapping), std::move(specs));
  K2_RETURN_IF_ERROR(reader->Init());
  return std::unique_ptr<BatchReader>(std::move(reader));
}

}  // namespace k2::iceberg
