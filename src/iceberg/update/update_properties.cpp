#include "iceberg/update/update_properties.h"

#include "iceberg/table.h"

namespace k2::iceberg {

UpdateProperties& UpdateProperties::Set(std::string key, std::string value) {
  remove_.erase(key);
  set_[std::move(key)] = std::move(value);
  return *this;
}
UpdateProperties& UpdateProperties::Remove(std::string key) {
  set_.erase(key);
  remove_.insert(std::move(key));
  return *this;
}
Status UpdateProperties::Commit() {
  return table_->CommitUpdate(*this);
}
Result<TableMetadata> UpdateProperties::Apply(const TableMetadata& base) {
  TableMetadata m = base;
  for (const auto& k : remove_) m.properties.erase(k);
  for (const auto& [k, v] : set_) m.properties[k] = v;
  return m;
}

}  // namespace k2::iceberg
