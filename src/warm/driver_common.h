#pragma once
/// Helpers shared by the HTTP and embedded drivers (not part of the public API).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "columnar/column_batch.h"
#include "common/result.h"
#include "warm/type_mapping.h"

namespace k2::warm::internal {

/// The DESCRIBE statement for a table name or a query.
std::string DescribeStatement(std::string_view query_or_table);
/// Parses DESCRIBE output in TabSeparated (name \t type \t ...), unescaping.
Result<std::vector<std::pair<std::string, std::string>>> ParseDescribe(std::string_view tsv);
/// Unescapes one TabSeparated field (\\, \t, \n, \', \0 ...).
std::string UnescapeTsv(std::string_view field);

/// A prepared insert: the statement ("INSERT INTO `t` (`a`, `b`)") and the
/// target types of the batch's columns, in batch order. kInvalidInput names a
/// batch column missing from the table.
struct InsertPlan {
  std::string statement;
  std::vector<ClickHouseType> types;
};
Result<InsertPlan> PlanInsert(const std::string& table, const ColumnBatch& batch,
                              const std::vector<std::pair<std::string, std::string>>& table_columns,
                              const TypeMappingOptions& options);

}  // namespace k2::warm::internal
