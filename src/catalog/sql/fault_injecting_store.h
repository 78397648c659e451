#pragma once
/// FaultInjectingStore: wraps a CatalogStore and fails chosen statements, so
/// tests of commit logic (jobs, table operations) can meet the faults a real
/// database produces: a lost race, a lock timeout, a connection that breaks
/// before or after the server applied a statement.
///
///   auto faulty = std::make_unique<FaultInjectingStore>(std::move(store));
///   FaultInjectingStore* faults = faulty.get();  // stays valid while the catalog lives
///   K2_ASSIGN_OR_RETURN(auto catalog, SqlCatalog::Open(std::move(faulty), "k2"));
///   faults->FailNext("UPDATE iceberg_tables", ErrorKind::kCommitStateUnknown,
///                    /*apply_first=*/true);   // the swap happens, the reply is lost

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "catalog/sql/catalog_store.h"

namespace k2::sql {

class FaultInjectingStore final : public CatalogStore {
 public:
  explicit FaultInjectingStore(std::unique_ptr<CatalogStore> inner) : inner_(std::move(inner)) {}

  /// The next statement (Execute or Query) whose SQL starts with `sql_prefix`
  /// fails with `kind`. With `apply_first` it runs on the database first and
  /// its result is then replaced by the error (a reply lost after the commit).
  /// A prefix of "COMMIT" targets the commit of the next InTransaction (without
  /// `apply_first` the transaction is rolled back). Faults queue up in order;
  /// each fires once. Thread-safe.
  void FailNext(std::string sql_prefix, ErrorKind kind, bool apply_first = false);
  /// Like FailNext, but armed only once the fault queued just before it has
  /// fired: a fault that follows another (the read-back of a commit whose
  /// reply was lost fails too, and its outcome stays unknown).
  void ThenFail(std::string sql_prefix, ErrorKind kind, bool apply_first = false);
  /// How many injected faults have fired.
  int fired() const;

  SqlDialect dialect() const override { return inner_->dialect(); }
  const std::string& display_name() const override { return inner_->display_name(); }
  Result<int64_t> Execute(std::string_view sql, const std::vector<SqlValue>& params) override;
  Result<std::vector<SqlRow>> Query(std::string_view sql,
                                    const std::vector<SqlValue>& params) override;
  Status InTransaction(const std::function<Status()>& body) override;

 private:
  struct Fault {
    std::string prefix;
    ErrorKind kind;
    bool apply_first;
    bool armed = true;  ///< false until the fault before it fires (ThenFail)
  };
  /// Removes and returns the first queued fault matching `sql`, if any.
  std::optional<Fault> Take(std::string_view sql);
  Error Injected(const Fault& fault, std::string_view sql) const;

  std::unique_ptr<CatalogStore> inner_;
  mutable std::mutex mu_;
  std::vector<Fault> faults_;
  int fired_ = 0;
};

}  // namespace k2::sql
