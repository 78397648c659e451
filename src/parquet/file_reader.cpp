#include "parquet/file_reader.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

#include "parquet/column_reader.h"
#include "parquet/nested_reader.h"
#include "parquet/schema_mapping.h"

namespace k2::parquet {

namespace {

constexpr uint32_t kMaxFooterBytes = 256u << 20;
/// The first read of a file: its last this many bytes, where the footer is.
constexpr uint64_t kFooterReadBytes = 64u << 10;

bool BigEndianToInt128(std::string_view b, int128_t* out) {
  if (b.empty() || b.size() > 16) return false;
  unsigned __int128 u = static_cast<int8_t>(b[0]) < 0 ? ~static_cast<unsigned __int128>(0) : 0;
  for (char c : b) u = (u << 8) | static_cast<uint8_t>(c);
  *out = static_cast<int128_t>(u);
  return true;
}

/// A statistics value as a k2 Value of `type`, or nullopt if unusable.
std::optional<Value> StatValue(const format::SchemaElement& e, const DataType& type,
                               const std::string& bytes) {
  using format::Type;
  Value v{type, {}};
  auto ct = e.converted_type;
  bool is_unsigned =
      (e.logical_type.kind == format::LogicalType::Kind::kInteger && !e.logical_type.is_signed) ||
      ct == format::ConvertedType::kUint8 || ct == format::ConvertedType::kUint16 ||
      ct == format::ConvertedType::kUint32 || ct == format::ConvertedType::kUint64;
  if (is_unsigned) return std::nullopt;
  int64_t mul = 1, div = 1;
  TimeUnitScale(e, type, &mul, &div);
  switch (*e.type) {
    case Type::kBoolean:
      if (bytes.size() != 1) return std::nullopt;
      v.data = bytes[0] != 0;
      return v;
    case Type::kInt32:
    case Type::kInt64: {
      int64_t x;
      if (*e.type == Type::kInt32) {
        if (bytes.size() != 4) return std::nullopt;
        int32_t y;
        std::memcpy(&y, bytes.data(), 4);
        x = y;
      } else {
        if (bytes.size() != 8) return std::nullopt;
        std::memcpy(&x, bytes.data(), 8);
      }
      switch (type.id) {
        case TypeId::kInt32:
        case TypeId::kDate:
          v.data = static_cast<int32_t>(x);
          return v;
        case TypeId::kDecimal:
          v.data = static_cast<int128_t>(x);
          return v;
        default:
          if (div != 1) x = x >= 0 ? x / div : -((-x + div - 1) / div);
          v.data = static_cast<int64_t>(static_cast<uint64_t>(x) * static_cast<uint64_t>(mul));
          return v;
      }
    }
    case Type::kFloat: {
      if (bytes.size() != 4 || type.id != TypeId::kFloat) return std::nullopt;
      float f;
      std::memcpy(&f, bytes.data(), 4);
      if (std::isnan(f)) return std::nullopt;
      v.data = f;
      return v;
    }
    case Type::kDouble: {
      if (bytes.size() != 8 || type.id != TypeId::kDouble) return std::nullopt;
      double d;
      std::memcpy(&d, bytes.data(), 8);
      if (std::isnan(d)) return std::nullopt;
      v.data = d;
      return v;
    }
    case Type::kByteArray:
    case Type::kFixedLenByteArray:
      if (type.id == TypeId::kDecimal) {
        int128_t d;
        if (!BigEndianToInt128(bytes, &d)) return std::nullopt;
        v.data = d;
        return v;
      }
      if (type.id == TypeId::kString || type.id == TypeId::kBinary) {
        v.data = bytes;
        return v;
      }
      if ((type.id == TypeId::kFixed || type.id == TypeId::kUuid) &&
          bytes.size() == static_cast<size_t>(type.FixedWidth())) {
        v.data = bytes;
        return v;
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

/// Streams batches over the selected row groups.
class ParquetBatchReader final : public BatchReader {
 public:
  ParquetBatchReader(FileReader* file, InputFile* in, uint64_t file_size,
                     const std::vector<FileReader::LeafInfo>& leaves, std::vector<int> columns,
                     std::vector<int> groups, size_t batch_rows, CoalesceOptions coalesce)
      : file_(file),
        in_(in),
        file_size_(file_size),
        leaves_(leaves),
        columns_(std::move(columns)),
        groups_(std::move(groups)),
        batch_rows_(batch_rows == 0 ? 65536 : batch_rows),
        coalesce_(coalesce) {
    auto schema = std::make_shared<Schema>();
    for (int c : columns_) schema->fields.push_back(file_->schema().fields[static_cast<size_t>(c)]);
    schema_ = std::move(schema);
    batch_ = ColumnBatch(schema_);
  }

  const Schema& schema() const override { return *schema_; }

  Result<const ColumnBatch*> Next() override {
    while (true) {
      if (group_left_ == 0) {
        if (next_group_ >= groups_.size()) return nullptr;
        K2_RETURN_IF_ERROR(OpenGroup(groups_[next_group_++]));
        if (group_left_ == 0) continue;
      }
      size_t n =
          static_cast<size_t>(std::min<int64_t>(group_left_, static_cast<int64_t>(batch_rows_)));
      batch_.Clear();
      for (size_t c = 0; c < readers_.size(); ++c) {
        batch_.columns[c] = Column(schema_->fields[c].type);
        K2_RETURN_IF_ERROR(readers_[c]->Read(n, &batch_.columns[c]));
      }
      group_left_ -= static_cast<int64_t>(n);
      if (columns_.empty()) {
        // No columns projected: still report the row count through an empty batch.
        return &batch_;
      }
      return &batch_;
    }
  }

 private:
  /// Opens row group `g`'s readers of the projected columns: where each of
  /// their chunks is (nested columns: every leaf), the chunks' bytes read
  /// (merged into few requests where the file's reads are costly, see
  /// ReadRanges), then one reader per column over them.
  Status OpenGroup(int g) {
    const format::RowGroup& rg = file_->metadata().row_groups[static_cast<size_t>(g)];
    if (rg.num_rows < 0) {
      return MakeError(ErrorKind::kCorrupt, "{}: row group {} has a negative row count",
                       file_->path(), g);
    }
    readers_.clear();
    std::vector<ChunkContext> chunks;
    std::vector<ByteRange> ranges;
    auto add_chunk = [&](std::string column, const DataType& type,
                         const format::SchemaElement* element, int max_def, int max_rep,
                         int leaf_index) -> Status {
      ChunkContext ctx;
      ctx.file_size = file_size_;
      ctx.path = file_->path();
      ctx.column = std::move(column);
      ctx.type = type;
      ctx.element = element;
      ctx.max_def = max_def;
      ctx.max_rep = max_rep;
      ctx.chunk = &rg.columns[static_cast<size_t>(leaf_index)];
      ctx.num_rows = rg.num_rows;
      K2_ASSIGN_OR_RETURN(ByteRange range, ColumnChunkRange(ctx));
      chunks.push_back(std::move(ctx));
      ranges.push_back(range);
      return OkStatus();
    };
    for (int c : columns_) {
      const FileReader::LeafInfo& leaf = leaves_[static_cast<size_t>(c)];
      if (leaf.nested) {
        for (const NestedLeaf& l : leaf.nested->leaves) {
          K2_RETURN_IF_ERROR(
              add_chunk(l.path, l.type, l.element, l.max_def, l.max_rep, l.leaf_index));
        }
      } else {
        const Field& f = file_->schema().fields[static_cast<size_t>(c)];
        K2_RETURN_IF_ERROR(
            add_chunk(f.name, f.type, leaf.element, leaf.max_def, 0, leaf.leaf_index));
      }
    }
    K2_ASSIGN_OR_RETURN(std::vector<RangeBytes> bytes, ReadRanges(*in_, ranges, coalesce_));
    size_t next = 0;
    for (int c : columns_) {
      const FileReader::LeafInfo& leaf = leaves_[static_cast<size_t>(c)];
      if (leaf.nested) {
        std::vector<std::unique_ptr<ColumnChunkReader>> leaf_readers;
        for (size_t l = 0; l < leaf.nested->leaves.size(); ++l, ++next) {
          K2_ASSIGN_OR_RETURN(auto r, OpenColumnChunk(chunks[next], std::move(bytes[next])));
          leaf_readers.push_back(std::move(r));
        }
        readers_.push_back(
            NewNestedChunkReader(*leaf.nested, std::move(leaf_readers), file_->path()));
      } else {
        K2_ASSIGN_OR_RETURN(auto r, OpenColumnChunk(chunks[next], std::move(bytes[next])));
        readers_.push_back(std::move(r));
        ++next;
      }
    }
    group_left_ = columns_.empty() ? 0 : rg.num_rows;
    return OkStatus();
  }

  FileReader* file_;
  InputFile* in_;
  uint64_t file_size_;
  const std::vector<FileReader::LeafInfo>& leaves_;
  std::vector<int> columns_;
  std::vector<int> groups_;
  size_t batch_rows_;
  CoalesceOptions coalesce_;
  std::shared_ptr<const Schema> schema_;
  ColumnBatch batch_;
  std::vector<std::unique_ptr<ColumnChunkReader>> readers_;
  size_t next_group_ = 0;
  int64_t group_left_ = 0;
};

}  // namespace

Result<std::unique_ptr<FileReader>> FileReader::Open(std::unique_ptr<InputFile> in) {
  if (in == nullptr) return MakeError(ErrorKind::kInvalidInput, "parquet reader needs a file");
  K2_ASSIGN_OR_RETURN(uint64_t size, in->Size());
  const std::string& path = in->path();
  if (size < 12) {
    return MakeError(ErrorKind::kCorrupt, "{}: {} bytes is too small for a Parquet file", path,
                     size);
  }
  // The footer in one read of the file's tail (as Arrow and DuckDB do), a
  // second only for a footer larger than that.
  const uint64_t tail_len = std::min<uint64_t>(size, kFooterReadBytes);
  const uint64_t tail_offset = size - tail_len;
  std::string tail(tail_len, '\0');
  K2_RETURN_IF_ERROR(in->ReadAt(tail_offset, tail_len, reinterpret_cast<uint8_t*>(tail.data())));
  const char* end = tail.data() + tail.size();
  if (std::memcmp(end - 4, "PARE", 4) == 0) {
    return MakeError(ErrorKind::kUnsupported, "{}: encrypted Parquet footers are not supported",
                     path);
  }
  if (std::memcmp(end - 4, "PAR1", 4) != 0) {
    return MakeError(ErrorKind::kCorrupt, "{}: no PAR1 magic at byte offset {}", path, size - 4);
  }
  // The leading magic: free when the tail covers it, one small read where
  // reads are cheap; skipped where each read is a request (the footer's own
  // checks catch a file that is not Parquet).
  char head[4];
  bool check_head = true;
  if (tail_offset == 0) {
    std::memcpy(head, tail.data(), 4);
  } else if (!in->CoalesceReads()) {
    K2_RETURN_IF_ERROR(in->ReadAt(0, 4, reinterpret_cast<uint8_t*>(head)));
  } else {
    check_head = false;
  }
  if (check_head && std::memcmp(head, "PAR1", 4) != 0) {
    return MakeError(ErrorKind::kCorrupt, "{}: no PAR1 magic at byte offset 0", path);
  }
  uint32_t footer_len;
  std::memcpy(&footer_len, end - 8, 4);
  if (footer_len == 0 || footer_len > size - 12 || footer_len > kMaxFooterBytes) {
    return MakeError(ErrorKind::kCorrupt, "{}: footer length {} at byte offset {} is invalid", path,
                     footer_len, size - 8);
  }
  const uint64_t footer_offset = size - 8 - footer_len;
  std::string footer;
  if (footer_offset >= tail_offset) {
    footer = tail.substr(footer_offset - tail_offset, footer_len);
  } else {
    const uint64_t missing = tail_offset - footer_offset;
    footer.resize(footer_len);
    K2_RETURN_IF_ERROR(
        in->ReadAt(footer_offset, missing, reinterpret_cast<uint8_t*>(footer.data())));
    std::memcpy(footer.data() + missing, tail.data(), footer_len - missing);
  }
  tail = {};
  std::unique_ptr<FileReader> r(new FileReader(std::move(in), size));
  K2_ASSIGN_OR_RETURN(r->metadata_,
                      format::ParseFileMetaData(reinterpret_cast<const uint8_t*>(footer.data()),
                                                footer.size(), path, footer_offset));
  if (r->metadata_.encrypted) {
    return MakeError(ErrorKind::kUnsupported, "{}: encrypted columns are not supported", path);
  }
  K2_RETURN_IF_ERROR(r->BuildSchema());
  return r;
}

Status FileReader::BuildSchema() {
  const auto& elems = metadata_.schema;
  const std::string& file = path();
  schema_ = std::make_shared<Schema>();
  int root_children = elems[0].num_children.value_or(0);
  if (root_children < 0 || static_cast<size_t>(root_children) >= elems.size() + 1) {
    return MakeError(ErrorKind::kCorrupt, "{}: schema root has {} children but {} elements", file,
                     root_children, elems.size());
  }
  size_t idx = 1;
  int leaf = 0;
  // Counts the leaves of the subtree at `idx` (advancing idx); depth-limited.
  std::function<Status(int)> skip_subtree = [&](int depth) -> Status {
    if (depth > 64) return MakeError(ErrorKind::kCorrupt, "{}: schema nested too deeply", file);
    if (idx >= elems.size()) {
      return MakeError(ErrorKind::kCorrupt, "{}: schema ends inside a group", file);
    }
    const auto& e = elems[idx++];
    int children = e.num_children.value_or(0);
    if (children < 0 || static_cast<size_t>(children) > elems.size()) {
      return MakeError(ErrorKind::kCorrupt, "{}: schema element {} has {} children", file, e.name,
                       children);
    }
    if (children == 0 && e.type) {
      ++leaf;
      return OkStatus();
    }
    for (int c = 0; c < children; ++c) K2_RETURN_IF_ERROR(skip_subtree(depth + 1));
    return OkStatus();
  };
  for (int c = 0; c < root_children; ++c) {
    if (idx >= elems.size()) {
      return MakeError(ErrorKind::kCorrupt, "{}: schema has fewer elements than declared", file);
    }
    const format::SchemaElement& e = elems[idx];
    LeafInfo info;
    Field f;
    f.name = e.name;
    f.id = e.field_id.value_or(0);
    f.nullable = e.repetition != format::Repetition::kRequired;
    bool primitive = e.type.has_value() && e.num_children.value_or(0) == 0;
    if (!primitive || e.repetition == format::Repetition::kRepeated) {
      const size_t start_idx = idx;
      const int start_leaf = leaf;
      auto nested = BuildNestedColumn(elems, &idx, &leaf, file);
      if (nested) {
        f.type = nested->root.type;
        f.nullable = nested->root.optional;
        info.nested = std::make_shared<const NestedColumn>(std::move(*nested));
      } else if (nested.error().kind == ErrorKind::kUnsupported) {
        f.type = DataType::Binary();
        info.unsupported = nested.error().message;
        idx = start_idx;
        leaf = start_leaf;
        K2_RETURN_IF_ERROR(skip_subtree(0));
      } else {
        return std::unexpected(nested.error());
      }
    } else {
      info.leaf_index = leaf;
      info.element = &e;
      info.max_def = e.repetition == format::Repetition::kOptional ? 1 : 0;
      ++leaf;
      ++idx;
      if (auto t = FromSchemaElement(e); t) {
        f.type = *t;
        if (f.type.id == TypeId::kFixed && f.type.width <= 0) {
          info.unsupported = fmt::format("column {} has a bad width", e.name);
        }
      } else {
        f.type = DataType::Binary();
        info.unsupported = t.error().message;
      }
    }
    schema_->fields.push_back(std::move(f));
    columns_.push_back(std::move(info));
  }
  num_leaves_ = leaf;
  for (size_t g = 0; g < metadata_.row_groups.size(); ++g) {
    if (metadata_.row_groups[g].columns.size() != static_cast<size_t>(num_leaves_)) {
      return MakeError(ErrorKind::kCorrupt, "{}: row group {} has {} column chunks, schema has {}",
                       file, g, metadata_.row_groups[g].columns.size(), num_leaves_);
    }
  }
  return OkStatus();
}

FileReader::ColumnStats FileReader::Statistics(int g, size_t i) const {
  ColumnStats out;
  const LeafInfo& leaf = columns_[i];
  if (leaf.element == nullptr || !leaf.unsupported.empty()) return out;
  const auto& chunk =
      metadata_.row_groups[static_cast<size_t>(g)].columns[static_cast<size_t>(leaf.leaf_index)];
  if (!chunk.meta_data) return out;
  out.value_count = chunk.meta_data->num_values;
  if (!chunk.meta_data->statistics) return out;
  const format::Statistics& s = *chunk.meta_data->statistics;
  out.null_count = s.null_count;
  const DataType& type = schema_->fields[i].type;
  const std::string *mn = nullptr, *mx = nullptr;
  if (s.min_value && s.max_value) {
    mn = &*s.min_value;
    mx = &*s.max_value;
  } else if (s.min && s.max) {
    // Legacy min/max were written in signed order: only trust them where that is the type's order.
    auto pt = *leaf.element->type;
    bool signed_order = pt == format::Type::kBoolean || pt == format::Type::kInt32 ||
                        pt == format::Type::kInt64 || pt == format::Type::kFloat ||
                        pt == format::Type::kDouble;
    if (signed_order) {
      mn = &*s.min;
      mx = &*s.max;
    }
  }
  if (mn != nullptr) out.min = StatValue(*leaf.element, type, *mn);
  if (mx != nullptr) out.max = StatValue(*leaf.element, type, *mx);
  return out;
}

bool FileReader::RowGroupMightMatch(int g, const Predicate& predicate) const {
  for (size_t t = 0; t < predicate.terms.size(); ++t) {
    size_t i = predicate.terms[t].field_index;
    if (i >= columns_.size()) continue;
    ColumnStats st = Statistics(g, i);
    if (!predicate.MightMatch(t, st.min ? &*st.min : nullptr, st.max ? &*st.max : nullptr,
                              st.null_count.value_or(-1), st.value_count)) {
      return false;
    }
  }
  return true;
}

Result<std::unique_ptr<BatchReader>> FileReader::Read(const ReadOptions& options) {
  std::vector<int> cols = options.columns;
  if (cols.empty()) {
    for (size_t i = 0; i < columns_.size(); ++i) cols.push_back(static_cast<int>(i));
  }
  for (int c : cols) {
    if (c < 0 || static_cast<size_t>(c) >= columns_.size()) {
      return MakeError(ErrorKind::kInvalidInput, "{}: column index {} out of range (0..{})", path(),
                       c, columns_.size());
    }
    if (!columns_[static_cast<size_t>(c)].unsupported.empty()) {
      return MakeError(ErrorKind::kUnsupported, "{}: {}", path(),
                       columns_[static_cast<size_t>(c)].unsupported);
    }
  }
  std::vector<int> groups;
  for (int g = 0; g < num_row_groups(); ++g) {
    if (options.predicate != nullptr && !RowGroupMightMatch(g, *options.predicate)) continue;
    groups.push_back(g);
  }
  return std::unique_ptr<BatchReader>(new ParquetBatchReader(this, in_.get(), size_, columns_,
                                                             std::move(cols), std::move(groups),
                                                             options.batch_rows, options.coalesce));
}

}  // namespace k2::parquet
