#pragma once
/// UpdateProperties: sets and removes table properties.

#include <map>
#include <set>
#include <string>

#include "iceberg/update/pending_update.h"

namespace k2::iceberg {

class Table;

class UpdateProperties : public PendingUpdate {
 public:
  /// `table` must outlive this object.
  explicit UpdateProperties(Table* table) : table_(table) {}
  UpdateProperties& Set(std::string key, std::string value);
  UpdateProperties& Remove(std::string key);
  Status Commit();

  Result<TableMetadata> Apply(const TableMetadata& base) override;

 private:
  Table* table_;
  std::map<std::string, std::string> set_;
  std::set<std::string> remove_;
};

}  // namespace k2::iceberg
