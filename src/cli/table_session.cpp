#include "cli/table_session.h"

#include "catalog/catalog_factory.h"
#include "cli/cli_config.h"

namespace k2::cli {

namespace {

bool LooksLikeMetadataPath(const std::string& name) {
  return name.find('/') != std::string::npos || name.ends_with(".json") ||
         name.ends_with(".json.gz");
}

}  // namespace

Result<std::unique_ptr<TableSession>> OpenTableSession(const CliContext& ctx, bool need_catalog) {
  auto s = std::make_unique<TableSession>();
  K2_ASSIGN_OR_RETURN(s->config, LoadCliConfig(ctx));
  if (need_catalog) {
    K2_ASSIGN_OR_RETURN(s->catalog, OpenCatalog(s->config));
  }
  K2_ASSIGN_OR_RETURN(s->io, NewFileIOFor(s->config.warehouse.location, s->config.warehouse));
  return s;
}

Result<std::unique_ptr<TableSession>> OpenTable(const CliContext& ctx, const std::string& name) {
  if (LooksLikeMetadataPath(name)) {
    auto s = std::make_unique<TableSession>();
    K2_ASSIGN_OR_RETURN(s->io, NewFileIOFor(name));
    K2_ASSIGN_OR_RETURN(auto t, iceberg::Table::LoadMetadataFile(*s->io, LocalPathOf(name)));
    s->table.emplace(std::move(t));
    return s;
  }
  K2_ASSIGN_OR_RETURN(auto s, OpenTableSession(ctx, true));
  std::string target = name;
  if (auto tc = s->config.FindTable(name)) {
    target = (*tc)->target.empty() ? s->config.offload.ns + "." + (*tc)->name : (*tc)->target;
  }
  K2_ASSIGN_OR_RETURN(TableIdentifier id, TableIdentifier::Parse(target));
  if (id.ns.empty()) id.ns = {s->config.offload.ns};
  K2_ASSIGN_OR_RETURN(auto t, iceberg::Table::Load(*s->catalog, *s->io, id));
  s->table.emplace(std::move(t));
  return s;
}

}  // namespace k2::cli
