#pragma once
/// UpdateSchema: schema evolution by field id (spec "Schema Evolution"): add
/// optional columns, widen types (int->long, float->double, decimal precision),
/// make columns optional, rename. Applied to the latest schema on every retry.

#include <string>
#include <vector>

#include "iceberg/update/pending_update.h"

namespace k2::iceberg {

class Table;

class UpdateSchema : public PendingUpdate {
 public:
  /// `table` must outlive this object.
  explicit UpdateSchema(Table* table) : table_(table) {}
  /// Adds an optional column with a fresh field id (required columns need a default:
  /// kInvalidInput).
  UpdateSchema& AddColumn(std::string name, DataType type, std::string doc = "");
  /// Widens a column's type; kInvalidInput at commit for a disallowed change.
  UpdateSchema& UpdateColumnType(std::string name, DataType type);
  UpdateSchema& MakeOptional(std::string name);
  UpdateSchema& RenameColumn(std::string name, std::string new_name);
  /// Commits; kInvalidInput names the column of an invalid change.
  Status Commit();

  Result<TableMetadata> Apply(const TableMetadata& base) override;

 private:
  enum class OpKind { kAdd, kType, kOptional, kRename };
  struct Op {
    OpKind kind;
    std::string name;
    DataType type;
    std::string text;  ///< doc for add, new name for rename
  };
  Table* table_;
  std::vector<Op> ops_;
};

/// True if Iceberg allows promoting `from` to `to`.
bool IsAllowedPromotion(const DataType& from, const DataType& to);

}  // namespace k2::iceberg
