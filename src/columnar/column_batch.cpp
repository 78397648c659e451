#include "columnar/column_batch.h"

#include <cassert>

namespace k2 {

Column::Column(DataType type) : type_(std::move(type)) {
  if (type_.IsVariableWidth() || type_.id == TypeId::kList || type_.id == TypeId::kMap) {
    offsets_.push_back(0);
  }
  if (type_.IsNested()) {
    children_.reserve(type_.children.size());
    for (const Field& f : type_.children) children_.emplace_back(f.type);
  }
}

void Column::AppendNestedRow() {
  if (type_.id == TypeId::kList || type_.id == TypeId::kMap) {
    offsets_.push_back(static_cast<uint32_t>(children_.empty() ? 0 : children_[0].length()));
  }
  MarkValid();
}

int128_t Column::DecimalValue(size_t row) const {
  if (type_.FixedWidth() == 8) return static_cast<int128_t>(Value<int64_t>(row));
  return Value<int128_t>(row);
}

void Column::AppendBytes(std::string_view bytes) {
  if (type_.IsVariableWidth()) {
    data_.insert(data_.end(), bytes.begin(), bytes.end());
    offsets_.push_back(static_cast<uint32_t>(data_.size()));
  } else {
    assert(bytes.size() == static_cast<size_t>(type_.FixedWidth()));
    data_.insert(data_.end(), bytes.begin(), bytes.end());
  }
  MarkValid();
}

void Column::AppendDecimal(int128_t unscaled) {
  if (type_.FixedWidth() == 8) {
    Append<int64_t>(static_cast<int64_t>(unscaled));
  } else {
    Append<int128_t>(unscaled);
  }
}

void Column::AppendNull() {
  if (validity_.empty()) validity_.assign(length_, 1);
  validity_.push_back(0);
  if (type_.id == TypeId::kStruct) {
    for (Column& c : children_) c.AppendNull();
  } else if (type_.id == TypeId::kList || type_.id == TypeId::kMap) {
    offsets_.push_back(offsets_.back());
  } else if (type_.IsVariableWidth()) {
    offsets_.push_back(static_cast<uint32_t>(data_.size()));
  } else {
    data_.resize(data_.size() + static_cast<size_t>(type_.FixedWidth()), 0);
  }
  ++length_;
  ++null_count_;
}

void Column::AppendFrom(const Column& other, size_t row) {
  if (!other.IsValid(row)) {
    AppendNull();
    return;
  }
  if (type_.id == TypeId::kStruct) {
    for (size_t c = 0; c < children_.size(); ++c) children_[c].AppendFrom(other.children_[c], row);
    MarkValid();
  } else if (type_.id == TypeId::kList || type_.id == TypeId::kMap) {
    auto [begin, end] = other.ChildRange(row);
    for (size_t c = 0; c < children_.size(); ++c) {
      for (size_t i = begin; i < end; ++i) children_[c].AppendFrom(other.children_[c], i);
    }
    AppendNestedRow();
  } else if (type_.IsVariableWidth()) {
    AppendBytes(other.Bytes(row));
  } else {
    size_t w = static_cast<size_t>(type_.FixedWidth());
    const uint8_t* src = other.data_.data() + row * w;
    data_.insert(data_.end(), src, src + w);
    MarkValid();
  }
}

void Column::Reserve(size_t rows, size_t bytes) {
  if (type_.IsNested()) {
    if (type_.id != TypeId::kStruct) offsets_.reserve(rows + 1);
  } else if (type_.IsVariableWidth()) {
    offsets_.reserve(rows + 1);
    data_.reserve(bytes);
  } else {
    data_.reserve(rows * static_cast<size_t>(type_.FixedWidth()));
  }
}

void Column::Clear() {
  length_ = 0;
  null_count_ = 0;
  validity_.clear();
  data_.clear();
  offsets_.clear();
  if (type_.IsVariableWidth() || type_.id == TypeId::kList || type_.id == TypeId::kMap) {
    offsets_.push_back(0);
  }
  for (Column& c : children_) c.Clear();
}

size_t Column::MemoryUsage() const {
  size_t total = validity_.capacity() + data_.capacity() + offsets_.capacity() * sizeof(uint32_t);
  for (const Column& c : children_) total += c.MemoryUsage();
  return total;
}

ColumnBatch::ColumnBatch(std::shared_ptr<const Schema> s) : schema(std::move(s)) {
  columns.reserve(schema->fields.size());
  for (const auto& f : schema->fields) columns.emplace_back(f.type);
}

void ColumnBatch::Clear() {
  for (auto& c : columns) c.Clear();
}

size_t ColumnBatch::MemoryUsage() const {
  size_t total = 0;
  for (const auto& c : columns) total += c.MemoryUsage();
  return total;
}

Status ColumnBatch::Validate() const {
  if (!schema) return MakeError(ErrorKind::kInternal, "batch has no schema");
  if (columns.size() != schema->fields.size()) {
    return MakeError(ErrorKind::kInvalidInput, "batch has {} columns, schema has {}",
                     columns.size(), schema->fields.size());
  }
  size_t rows = num_rows();
  for (size_t i = 0; i < columns.size(); ++i) {
    const Field& f = schema->fields[i];
    const Column& c = columns[i];
    if (c.type() != f.type) {
      return MakeError(ErrorKind::kInvalidInput, "column '{}' has type {}, schema says {}", f.name,
                       c.type().ToString(), f.type.ToString());
    }
    if (c.length() != rows) {
      return MakeError(ErrorKind::kInvalidInput, "column '{}' has {} rows, expected {}", f.name,
                       c.length(), rows);
    }
    if (!f.nullable && c.has_nulls()) {
      return MakeError(ErrorKind::kInvalidInput, "required column '{}' has {} nulls", f.name,
                       c.null_count());
    }
  }
  return {};
}

}  // namespace k2
