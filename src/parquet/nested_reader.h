#pragma once
/// Nested Parquet columns (groups, LIST, MAP, repeated fields) -> k2 struct,
/// list and map Columns.
///
/// Phases: BuildNestedColumn turns the schema subtree of one top-level field
/// into a logical tree (struct/list/map/primitive nodes, each with the
/// definition level at which it is present and, for lists and maps, the
/// repetition level of its repeated group), following the Parquet
/// LogicalTypes.md rules, including the legacy two-level list forms. At read
/// time NestedChunkReader reads the same number of records from every leaf
/// (levels plus a dense value per level) and assembles each record top-down,
/// splitting list/map ranges where a leaf's repetition level returns to the
/// list's level.

#include <memory>
#include <string>
#include <vector>

#include "columnar/column_batch.h"
#include "common/result.h"
#include "parquet/column_reader.h"
#include "parquet/metadata.h"

namespace k2::parquet {

/// One node of a nested column's logical tree.
struct NestedNode {
  enum class Kind { kPrimitive, kStruct, kList, kMap };
  Kind kind = Kind::kPrimitive;
  std::string name;
  int field_id = 0;
  bool optional = false;
  int def = 0;                         ///< definition level at which the node is present (non-null)
  int rep = 0;                         ///< list/map: repetition level of the repeated group
  int elem_def = 0;                    ///< list/map: definition level at which an element exists
  int first_leaf = 0, num_leaves = 0;  ///< the leaves under the node (indices into leaves)
  DataType type;
  std::vector<NestedNode> children;  ///< struct fields; list {element}; map {key, value}
};

/// A leaf of a nested column.
struct NestedLeaf {
  const format::SchemaElement* element = nullptr;
  int leaf_index = 0;  ///< index in RowGroup::columns
  int max_def = 0, max_rep = 0;
  DataType type;
  std::string path;  ///< dotted, for messages
};

/// A top-level nested field.
struct NestedColumn {
  NestedNode root;
  std::vector<NestedLeaf> leaves;
};

/// Builds the logical tree of the top-level field at `elems[*idx]`, advancing
/// `*idx` past its subtree and `*leaf` past its leaves. kUnsupported (naming
/// the column) for shapes or leaf types k2 cannot read; kCorrupt for a
/// malformed schema.
Result<NestedColumn> BuildNestedColumn(const std::vector<format::SchemaElement>& elems, size_t* idx,
                                       int* leaf, const std::string& file);

/// Reads one nested column of one row group: `leaf_readers` are the chunk
/// readers of `column.leaves` (ChunkContext::max_rep set), in order.
/// `column` must outlive the reader.
std::unique_ptr<ColumnChunkReader> NewNestedChunkReader(
    const NestedColumn& column, std::vector<std::unique_ptr<ColumnChunkReader>> leaf_readers,
    std::string file);

}  // namespace k2::parquet
