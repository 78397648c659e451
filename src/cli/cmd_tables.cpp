// k2 tables: every table of the catalog, with its snapshot totals.
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/table_session.h"

namespace k2::cli {

namespace {

using nlohmann::json;

Status CollectTables(Catalog& catalog, const Namespace& parent, std::vector<TableIdentifier>& out) {
  if (!parent.empty()) {
    K2_ASSIGN_OR_RETURN(auto tables, catalog.ListTables(parent));
    out.insert(out.end(), tables.begin(), tables.end());
  }
  K2_ASSIGN_OR_RETURN(auto children, catalog.ListNamespaces(parent));
  for (const auto& ns : children) K2_RETURN_IF_ERROR(CollectTables(catalog, ns, out));
  return OkStatus();
}

Status RunTables(const CliContext& ctx, bool as_json) {
  K2_ASSIGN_OR_RETURN(auto s, OpenTableSession(ctx, true));
  std::vector<TableIdentifier> ids;
  K2_RETURN_IF_ERROR(CollectTables(*s->catalog, {}, ids));
  json out = json::array();
  for (const auto& id : ids) {
    json row = {{"table", id.ToString()}};
    auto t = iceberg::Table::Load(*s->catalog, *s->io, id);
    if (t) {
      const auto* snap = t->metadata().CurrentSnapshot();
      row["location"] = t->metadata().location;
      row["snapshots"] = t->metadata().snapshots.size();
      auto total = [snap](const char* key) -> int64_t {
        if (!snap || !snap->summary.contains(key)) return 0;
        const std::string& text = snap->summary.at(key);
        int64_t v = 0;
        std::from_chars(text.data(), text.data() + text.size(), v);
        return v;
      };
      row["records"] = total("total-records");
      row["data_files"] = total("total-data-files");
      row["delete_files"] = total("total-delete-files");
      row["bytes"] = total("total-files-size");
    } else {
      row["error"] = t.error().ToString();
    }
    out.push_back(std::move(row));
  }
  if (as_json) {
    fmt::print("{}\n", out.dump(2));
    return OkStatus();
  }
  constexpr const char* kRow = "{:<32} {:>9} {:>12} {:>10} {:>12} {:>12}  {}\n";
  fmt::print(kRow, "TABLE", "SNAPSHOTS", "RECORDS", "DATA FILES", "DELETE FILES", "BYTES",
             "LOCATION");
  auto num = [](const json& r, const char* key) {
    return r.contains(key) ? r[key].dump() : std::string("-");
  };
  for (const auto& r : out) {
    fmt::print(kRow, r["table"].get<std::string>(), num(r, "snapshots"), num(r, "records"),
               num(r, "data_files"), num(r, "delete_files"), num(r, "bytes"),
               r.value("location", r.value("error", std::string())));
  }
  return OkStatus();
}

}  // namespace

void RegisterTablesCommands(CLI::App& root, CliContext& ctx) {
  auto json_flag = std::make_shared<bool>(false);
  auto* tables = root.add_subcommand("tables", "List the catalog's Iceberg tables");
  tables->add_flag("--json", *json_flag, "Print JSON");
  tables->callback([&ctx, json_flag] { ctx.Finish(RunTables(ctx, *json_flag)); });
}

}  // namespace k2::cli
