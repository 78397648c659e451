#pragma once
/// UpdateSpec: partition spec evolution. The new spec becomes the default for
/// new data; files written under older specs keep theirs.

#include <string>
#include <utility>
#include <vector>

#include "iceberg/update/pending_update.h"

namespace k2::iceberg {

class Table;

class UpdateSpec : public PendingUpdate {
 public:
  /// `table` must outlive this object.
  explicit UpdateSpec(Table* table) : table_(table) {}
  /// Adds a partition field `transform` ("day", "bucket[16]", ...) of `column`.
  UpdateSpec& AddField(std::string column, std::string transform);
  /// Commits; kInvalidInput for unknown columns/fields or a bad transform.
  Status Commit();

  Result<TableMetadata> Apply(const TableMetadata& base) override;

 private:
  Table* table_;
  std::vector<std::pair<std::string, std::string>> adds_;
  std::vector<std::string> removes_;
};

}  // namespace k2::iceberg
