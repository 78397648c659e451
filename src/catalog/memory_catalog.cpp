#include "catalog/memory_catalog.h"

#include <map>
#include <mutex>

namespace k2 {

namespace {

class MemoryCatalog : public Catalog {
 public:
  MemoryCatalog(std::string name, std::function<SwapFault(int)> fault)
      : name_(std::move(name)), fault_(std::move(fault)) {}

  const std::string& name() const override { return name_; }

  Status CreateNamespace(const Namespace& ns,
                         const std::map<std::string, std::string>& properties) override {
    std::lock_guard lock(mu_);
    if (ns.empty()) return MakeError(ErrorKind::kInvalidInput, "empty namespace");
    if (!namespaces_.emplace(ns, properties).second) {
      return MakeError(ErrorKind::kAlreadyExists, "namespace '{}' already exists",
                       NamespaceToString(ns));
    }
    return OkStatus();
  }

  Result<std::vector<Namespace>> ListNamespaces(const Namespace& parent) override {
    std::lock_guard lock(mu_);
    std::vector<Namespace> out;
    for (const auto& [ns, props] : namespaces_) {
      if (ns.size() == parent.size() + 1 && std::equal(parent.begin(), parent.end(), ns.begin())) {
        out.push_back(ns);
      }
    }
    return out;
  }

  Result<std::map<std::string, std::string>> LoadNamespaceProperties(const Namespace& ns) override {
    std::lock_guard lock(mu_);
    auto it = namespaces_.find(ns);
    if (it == namespaces_.end()) {
      return MakeError(ErrorKind::kNotFound, "namespace '{}' not found", NamespaceToString(ns));
    }
    return it->second;
  }

  Status UpdateNamespaceProperties(const Namespace& ns,
                                   const std::map<std::string, std::string>& set,
                                   const std::vector<std::string>& remove) override {
    std::lock_guard lock(mu_);
    auto it = namespaces_.find(ns);
    if (it == namespaces_.end()) {
      return MakeError(ErrorKind::kNotFound, "namespace '{}' not found", NamespaceToString(ns));
    }
    for (const auto& k : remove) it->second.erase(k);
    for (const auto& [k, v] : set) it->second[k] = v;
    return OkStatus();
  }

  Status DropNamespace(const Namespace& ns) override {
    std::lock_guard lock(mu_);
    if (namespaces_.count(ns) == 0) {
      return MakeError(ErrorKind::kNotFound, "namespace '{}' not found", NamespaceToString(ns));
    }
    for (const auto& [id, loc] : tables_) {
      if (id.ns == ns) {
        return MakeError(ErrorKind::kInvalidInput, "namespace '{}' still holds table '{}'",
                         NamespaceToString(ns), id.ToString());
      }
    }
    namespaces_.erase(ns);
    return OkStatus();
  }

  Result<std::vector<TableIdentifier>> ListTables(const Namespace& ns) override {
    std::lock_guard lock(mu_);
    std::vector<TableIdentifier> out;
    for (const auto& [id, loc] : tables_) {
      if (id.ns == ns) out.push_back(id);
    }
    return out;
  }

  Status CreateTable(const TableIdentifier& id, const std::string& metadata_location) override {
    std::lock_guard lock(mu_);
    if (namespaces_.count(id.ns) == 0) {
      return MakeError(ErrorKind::kNotFound, "namespace '{}' not found", NamespaceToString(id.ns));
    }
    if (!tables_.emplace(id, metadata_location).second) {
      return MakeError(ErrorKind::kAlreadyExists, "table '{}' already exists", id.ToString());
    }
    return OkStatus();
  }

  Result<std::string> LoadTable(const TableIdentifier& id) override {
    std::lock_guard lock(mu_);
    auto it = tables_.find(id);
    if (it == tables_.end()) {
      return MakeError(ErrorKind::kNotFound, "table '{}' not found", id.ToString());
    }
    return it->second;
  }

  Status SwapTable(const TableIdentifier& id, const std::string& expected,
                   const std::string& next) override {
    std::lock_guard lock(mu_);
    SwapFault fault = fault_ ? fault_(swap_calls_++) : SwapFault::kNone;
    auto it = tables_.find(id);
    if (it == tables_.end()) {
      return MakeError(ErrorKind::kNotFound, "table '{}' not found", id.ToString());
    }
    switch (fault) {
      case SwapFault::kConflict:
        return MakeError(ErrorKind::kCommitConflict, "table '{}': injected conflict",
                         id.ToString());
      case SwapFault::kUnknownWithoutSwap:
        return MakeError(ErrorKind::kCommitStateUnknown, "table '{}': injected unknown state",
                         id.ToString());
      default:
        break;
    }
    if (it->second != expected) {
      return MakeError(ErrorKind::kCommitConflict,
                       "table '{}': metadata location is '{}', expected '{}'", id.ToString(),
                       it->second, expected);
    }
    it->second = next;
    if (fault == SwapFault::kUnknownAfterSwap) {
      return MakeError(ErrorKind::kCommitStateUnknown, "table '{}': injected unknown state",
                       id.ToString());
    }
    return OkStatus();
  }

  Status RenameTable(const TableIdentifier& from, const TableIdentifier& to) override {
    std::lock_guard lock(mu_);
    auto it = tables_.find(from);
    if (it == tables_.end()) {
      return MakeError(ErrorKind::kNotFound, "table '{}' not found", from.ToString());
    }
    if (namespaces_.count(to.ns) == 0) {
      return MakeError(ErrorKind::kNotFound, "namespace '{}' not found", NamespaceToString(to.ns));
    }
    if (tables_.count(to)) {
      return MakeError(ErrorKind::kAlreadyExists, "table '{}' already exists", to.ToString());
    }
    std::string loc = it->second;
    tables_.erase(it);
    tables_[to] = loc;
    return OkStatus();
  }

  Result<std::string> DropTable(const TableIdentifier& id) override {
    std::lock_guard lock(mu_);
    auto it = tables_.find(id);
    if (it == tables_.end()) {
      return MakeError(ErrorKind::kNotFound, "table '{}' not found", id.ToString());
    }
    std::string loc = it->second;
    tables_.erase(it);
    return loc;
  }

 private:
  std::string name_;
  std::function<SwapFault(int)> fault_;
  std::mutex mu_;
  int swap_calls_ = 0;
  std::map<Namespace, std::map<std::string, std::string>> namespaces_;
  std::map<TableIdentifier, std::string> tables_;
};

}  // namespace

std::unique_ptr<Catalog> NewMemoryCatalog(std::string name) {
  return std::make_unique<MemoryCatalog>(std::move(name), nullptr);
}

std::unique_ptr<Catalog> NewFaultyMemoryCatalog(std::string name,
                                                std::function<SwapFault(int call)> fault) {
  return std::make_unique<MemoryCatalog>(std::move(name), std::move(fault));
}

}  // namespace k2
