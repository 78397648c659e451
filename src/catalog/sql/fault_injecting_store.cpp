#include "catalog/sql/fault_injecting_store.h"

namespace k2::sql {

void FaultInjectingStore::FailNext(std::string sql_prefix, ErrorKind kind, bool apply_first) {
  std::lock_guard lock(mu_);
  faults_.push_back(Fault{std::move(sql_prefix), kind, apply_first});
}

void FaultInjectingStore::ThenFail(std::string sql_prefix, ErrorKind kind, bool apply_first) {
  std::lock_guard lock(mu_);
  faults_.push_back(Fault{std::move(sql_prefix), kind, apply_first, /*armed=*/faults_.empty()});
}

int FaultInjectingStore::fired() const {
  std::lock_guard lock(mu_);
  return fired_;
}

std::optional<FaultInjectingStore::Fault> FaultInjectingStore::Take(std::string_view sql) {
  std::lock_guard lock(mu_);
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->armed && sql.starts_with(it->prefix)) {
      Fault fault = std::move(*it);
      it = faults_.erase(it);
      if (it != faults_.end()) it->armed = true;  // a ThenFail waiting for this one
      ++fired_;
      return fault;
    }
  }
  return std::nullopt;
}

Error FaultInjectingStore::Injected(const Fault& fault, std::string_view sql) const {
  return Error{
      fault.kind,
      fmt::format("{}: injected {} fault{} (in '{}')", display_name(), ErrorKindName(fault.kind),
                  fault.apply_first ? " after applying the statement" : "", sql.substr(0, 80))};
}

Result<int64_t> FaultInjectingStore::Execute(std::string_view sql,
                                             const std::vector<SqlValue>& params) {
  auto fault = Take(sql);
  if (!fault) return inner_->Execute(sql, params);
  if (fault->apply_first) K2_RETURN_IF_ERROR(inner_->Execute(sql, params));
  return std::unexpected(Injected(*fault, sql));
}

Result<std::vector<SqlRow>> FaultInjectingStore::Query(std::string_view sql,
                                                       const std::vector<SqlValue>& params) {
  auto fault = Take(sql);
  if (!fault) return inner_->Query(sql, params);
  if (fault->apply_first) K2_RETURN_IF_ERROR(inner_->Query(sql, params));
  return std::unexpected(Injected(*fault, sql));
}

Status FaultInjectingStore::InTransaction(const std::function<Status()>& body) {
  auto fault = Take("COMMIT");
  if (!fault) return inner_->InTransaction(body);
  if (fault->apply_first) {
    K2_RETURN_IF_ERROR(inner_->InTransaction(body));
    return std::unexpected(Injected(*fault, "COMMIT"));
  }
  // Fail at the end of the body: the inner store rolls the transaction back.
  return inner_->InTransaction([&]() -> Status {
    K2_RETURN_IF_ERROR(body());
    return std::unexpected(Injected(*fault, "COMMIT"));
  });
}

}  // namespace k2::sql
