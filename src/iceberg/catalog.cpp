#include "iceberg/catalog.h"

namespace k2 {

std::string NamespaceToString(const Namespace& ns) {
  std::string out;
  for (size_t i = 0; i < ns.size(); ++i) {
    if (i > 0) out.push_back('.');
    out += ns[i];
  }
  return out;
}

std::string TableIdentifier::ToString() const {
  return ns.empty() ? name : NamespaceToString(ns) + "." + name;
}

Result<TableIdentifier> TableIdentifier::Parse(std::string_view text) {
  if (text.empty()) return MakeError(ErrorKind::kInvalidInput, "empty table identifier");
  TableIdentifier id;
  size_t start = 0;
  while (true) {
    size_t dot = text.find('.', start);
    std::string_view part = text.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (part.empty()) {
      return MakeError(ErrorKind::kInvalidInput, "table identifier '{}' has an empty level", text);
    }
    if (dot == std::string_view::npos) {
      id.name = std::string(part);
      break;
    }
    id.ns.emplace_back(part);
    start = dot + 1;
  }
  return id;
}

Status Catalog::SwapTables(const std::vector<TableSwap>& swaps) {
  return MakeError(ErrorKind::kUnsupported, "catalog '{}' cannot swap {} tables atomically", name(),
                   swaps.size());
}

Result<LoadedMetadata> Catalog::LoadTableMetadata(const TableIdentifier& id) {
  K2_ASSIGN_OR_RETURN(std::string location, LoadTable(id));
  return LoadedMetadata{std::move(location), nullptr};
}

Result<LoadedMetadata> Catalog::CommitMetadata(const TableIdentifier& id,
                                               const iceberg::TableMetadata&, const std::string&,
                                               const iceberg::TableMetadata&) {
  return MakeError(ErrorKind::kUnsupported,
                   "catalog '{}' does not write metadata: commit {} by writing a file and "
                   "swapping it in",
                   name(), id.ToString());
}

}  // namespace k2
