#include "parquet/nested_reader.h"

#include "parquet/schema_mapping.h"

namespace k2::parquet {

namespace {

using format::ConvertedType;
using format::Repetition;
using K = format::LogicalType::Kind;

constexpr int kMaxDepth = 64;
constexpr int kMaxLevel = 255;  // levels are decoded into bytes

class Builder {
 public:
  Builder(const std::vector<format::SchemaElement>& elems, size_t* idx, int* leaf,
          const std::string& file, NestedColumn* out)
      : elems_(elems), idx_(*idx), leaf_(*leaf), file_(file), out_(out) {}

  /// Converts the element at idx_. `as_element`: the element is the repeated
  /// node of a list/map (its repetition is accounted for by the caller).
  Result<NestedNode> Convert(int parent_def, int parent_rep, bool as_element, int depth,
                             const std::string& prefix) {
    if (depth > kMaxDepth || parent_def > kMaxLevel - 2 || parent_rep > kMaxLevel - 2) {
      return MakeError(ErrorKind::kCorrupt, "{}: schema nested too deeply", file_);
    }
    if (idx_ >= elems_.size()) {
      return MakeError(ErrorKind::kCorrupt, "{}: schema ends inside a group", file_);
    }
    const format::SchemaElement& e = elems_[idx_];
    const std::string path = prefix.empty() ? e.name : prefix + "." + e.name;
    const int children = e.num_children.value_or(0);
    if (children < 0 || static_cast<size_t>(children) > elems_.size()) {
      return MakeError(ErrorKind::kCorrupt, "{}: schema element {} has {} children", file_, path,
                       children);
    }
    if (!as_element && e.repetition == Repetition::kRepeated) {
      // An unannotated repeated field: a list of required elements.
      NestedNode list;
      list.kind = NestedNode::Kind::kList;
      list.name = e.name;
      list.field_id = e.field_id.value_or(0);
      list.def = parent_def;
      list.rep = parent_rep + 1;
      list.elem_def = parent_def + 1;
      K2_ASSIGN_OR_RETURN(NestedNode elem,
                          Convert(list.elem_def, list.rep, /*as_element=*/true, depth + 1, prefix));
      return FinishList(std::move(list), std::move(elem));
    }
    NestedNode n;
    n.name = e.name;
    n.field_id = e.field_id.value_or(0);
    n.optional = !as_element && e.repetition == Repetition::kOptional;
    n.def = parent_def + (n.optional ? 1 : 0);
    n.first_leaf = static_cast<int>(out_->leaves.size());
    ++idx_;
    if (children == 0 && e.type) {
      NestedLeaf leaf;
      leaf.element = &e;
      leaf.leaf_index = leaf_++;
      leaf.max_def = n.def;
      leaf.max_rep = parent_rep;
      leaf.path = path;
      K2_ASSIGN_OR_RETURN(leaf.type, FromSchemaElement(e));
      if (leaf.type.id == TypeId::kFixed && leaf.type.width <= 0) {
        return MakeError(ErrorKind::kUnsupported, "{}: column {} has a bad width", file_, path);
      }
      n.kind = NestedNode::Kind::kPrimitive;
      n.type = leaf.type;
      n.num_leaves = 1;
      out_->leaves.push_back(std::move(leaf));
      return n;
    }
    if (children == 0) {
      return MakeError(ErrorKind::kUnsupported, "{}: column {} is an empty group", file_, path);
    }
    const bool is_list =
        e.logical_type.kind == K::kList || e.converted_type == ConvertedType::kList;
    const bool is_map = e.logical_type.kind == K::kMap || e.converted_type == ConvertedType::kMap ||
                        e.converted_type == ConvertedType::kMapKeyValue;
    if ((is_list || is_map) && children == 1 && idx_ < elems_.size() &&
        elems_[idx_].repetition == Repetition::kRepeated) {
      const format::SchemaElement& r = elems_[idx_];
      const int r_children = r.num_children.value_or(0);
      n.rep = parent_rep + 1;
      n.elem_def = n.def + 1;
      if (is_list) {
        n.kind = NestedNode::Kind::kList;
        // Three-level form: repeated group with one child that is the element.
        // Legacy two-level forms: a repeated primitive, a repeated group with
        // several fields, or one named "array" / "<name>_tuple", is the element.
        const bool three_level =
            !r.type && r_children == 1 && r.name != "array" && r.name != e.name + "_tuple";
        if (three_level) ++idx_;
        K2_ASSIGN_OR_RETURN(NestedNode elem, Convert(n.elem_def, n.rep, /*as_element=*/!three_level,
                                                     depth + 1, path));
        return FinishList(std::move(n), std::move(elem));
      }
      if (r.type || r_children != 2) {
        return MakeError(ErrorKind::kUnsupported,
                         "{}: map column {} does not have a key_value group with key and value",
                         file_, path);
      }
      n.kind = NestedNode::Kind::kMap;
      ++idx_;
      K2_ASSIGN_OR_RETURN(NestedNode key, Convert(n.elem_def, n.rep, false, depth + 1, path));
      K2_ASSIGN_OR_RETURN(NestedNode value, Convert(n.elem_def, n.rep, false, depth + 1, path));
      n.type = DataType::Map(Field{key.field_id, "key", key.type, false, ""},
                             Field{value.field_id, "value", value.type, value.optional, ""});
      n.children.push_back(std::move(key));
      n.children.push_back(std::move(value));
      n.num_leaves = static_cast<int>(out_->leaves.size()) - n.first_leaf;
      return n;
    }
    // A struct (also a LIST/MAP annotation that does not follow the rules).
    n.kind = NestedNode::Kind::kStruct;
    std::vector<Field> fields;
    for (int c = 0; c < children; ++c) {
      K2_ASSIGN_OR_RETURN(NestedNode child, Convert(n.def, parent_rep, false, depth + 1, path));
      fields.push_back(Field{child.field_id, child.name, child.type, child.optional, ""});
      n.children.push_back(std::move(child));
    }
    n.type = DataType::Struct(std::move(fields));
    n.num_leaves = static_cast<int>(out_->leaves.size()) - n.first_leaf;
    return n;
  }

 private:
  NestedNode FinishList(NestedNode list, NestedNode elem) {
    list.first_leaf = elem.first_leaf;
    list.num_leaves = elem.num_leaves;
    list.type = DataType::List(Field{elem.field_id, "element", elem.type, elem.optional, ""});
    list.children.push_back(std::move(elem));
    return list;
  }

  const std::vector<format::SchemaElement>& elems_;
  size_t& idx_;
  int& leaf_;
  const std::string& file_;
  NestedColumn* out_;
};

/// One leaf's levels and dense values for the records being assembled.
struct LeafData {
  Column dense;
  std::vector<uint8_t> defs, reps;
};

struct Range {
  size_t begin = 0, end = 0;
};

class NestedChunkReader final : public ColumnChunkReader {
 public:
  NestedChunkReader(const NestedColumn& column,
                    std::vector<std::unique_ptr<ColumnChunkReader>> readers, std::string file)
      : column_(column), readers_(std::move(readers)), file_(std::move(file)) {
    for (const NestedLeaf& l : column_.leaves) data_.push_back({Column(l.type), {}, {}});
  }

  Status Read(size_t rows, Column* out) override {
    for (size_t l = 0; l < readers_.size(); ++l) {
      LeafData& d = data_[l];
      d.dense = Column(column_.leaves[l].type);
      d.defs.clear();
      d.reps.clear();
      K2_RETURN_IF_ERROR(readers_[l]->ReadRecords(rows, &d.dense, &d.defs, &d.reps));
    }
    std::vector<Range> ranges(data_.size());
    std::vector<size_t> cursor(data_.size(), 0);
    for (size_t row = 0; row < rows; ++row) {
      for (size_t l = 0; l < data_.size(); ++l) {
        const LeafData& d = data_[l];
        size_t b = cursor[l];
        if (b >= d.defs.size()) return Corrupt(l, "fewer records than the row group has");
        size_t e = b + 1;
        while (e < d.reps.size() && d.reps[e] != 0) ++e;
        ranges[l] = {b, e};
        cursor[l] = e;
      }
      K2_RETURN_IF_ERROR(Build(column_.root, ranges, *out));
    }
    return OkStatus();
  }

 private:
  std::unexpected<Error> Corrupt(size_t leaf, std::string_view why) const {
    return MakeError(ErrorKind::kCorrupt, "{}: nested column {}: {}", file_,
                     column_.leaves[leaf].path, why);
  }

  /// Appends one value of `n` to `out`; `r` holds, for each leaf under `n`,
  /// the level entries of that value.
  Status Build(const NestedNode& n, std::vector<Range>& r, Column& out) {
    const auto first = static_cast<size_t>(n.first_leaf);
    const LeafData& d0 = data_[first];
    if (r[first].begin >= r[first].end) return Corrupt(first, "empty level range");
    const int def = d0.defs[r[first].begin];
    if (n.optional && def < n.def) {
      out.AppendNull();
      return OkStatus();
    }
    switch (n.kind) {
      case NestedNode::Kind::kPrimitive:
        out.AppendFrom(d0.dense, r[first].begin);
        return OkStatus();
      case NestedNode::Kind::kStruct:
        for (size_t c = 0; c < n.children.size(); ++c) {
          K2_RETURN_IF_ERROR(Build(n.children[c], r, out.mutable_children()[c]));
        }
        out.AppendNestedRow();
        return OkStatus();
      case NestedNode::Kind::kList:
      case NestedNode::Kind::kMap:
        break;
    }
    if (def < n.elem_def) {  // present but empty
      out.AppendNestedRow();
      return OkStatus();
    }
    const size_t last = first + static_cast<size_t>(n.num_leaves);
    std::vector<Range> sub = r;
    std::vector<size_t> cur(last);
    for (size_t l = first; l < last; ++l) cur[l] = r[l].begin;
    const auto rep = static_cast<uint8_t>(n.rep);
    while (cur[first] < r[first].end) {
      for (size_t l = first; l < last; ++l) {
        const LeafData& d = data_[l];
        if (cur[l] >= r[l].end) return Corrupt(l, "leaves disagree on a list's length");
        size_t e = cur[l] + 1;
        while (e < r[l].end && d.reps[e] > rep) ++e;
        sub[l] = {cur[l], e};
        cur[l] = e;
      }
      for (size_t c = 0; c < n.children.size(); ++c) {
        K2_RETURN_IF_ERROR(Build(n.children[c], sub, out.mutable_children()[c]));
      }
    }
    for (size_t l = first; l < last; ++l) {
      if (cur[l] != r[l].end) return Corrupt(l, "leaves disagree on a list's length");
    }
    out.AppendNestedRow();
    return OkStatus();
  }

  const NestedColumn& column_;
  std::vector<std::unique_ptr<ColumnChunkReader>> readers_;
  std::string file_;
  std::vector<LeafData> data_;
};

}  // namespace

Result<NestedColumn> BuildNestedColumn(const std::vector<format::SchemaElement>& elems, size_t* idx,
                                       int* leaf, const std::string& file) {
  NestedColumn out;
  Builder b(elems, idx, leaf, file, &out);
  K2_ASSIGN_OR_RETURN(out.root, b.Convert(0, 0, false, 0, ""));
  return out;
}

std::unique_ptr<ColumnChunkReader> NewNestedChunkReader(
    const NestedColumn& column, std::vector<std::unique_ptr<ColumnChunkReader>> leaf_readers,
    std::string file) {
  return std::make_unique<NestedChunkReader>(column, std::move(leaf_readers), std::move(file));
}

}  // namespace k2::parquet
