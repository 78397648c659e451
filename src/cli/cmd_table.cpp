// k2 table show NAME: a table's schema, partition spec, properties and refs.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/table_session.h"

namespace k2::cli {

namespace {

using nlohmann::json;

Status RunShow(const CliContext& ctx, const std::string& name, bool as_json) {
  K2_ASSIGN_OR_RETURN(auto s, OpenTable(ctx, name));
  const auto& m = s->table->metadata();
  if (as_json) {
    json j = json::parse(m.ToJson());
    j["metadata-location"] = s->table->metadata_location();
    fmt::print("{}\n", j.dump(2));
    return OkStatus();
  }
  fmt::print("table:     {}\nlocation:  {}\nmetadata:  {}\nformat:    v{}\nuuid:      {}\n", name,
             m.location, s->table->metadata_location(), m.format_version, m.table_uuid);
  fmt::print("schema {}:\n", m.current_schema_id);
  for (const Field& f : m.CurrentSchema().schema.fields) {
    fmt::print("  {:>4}  {:<28} {:<20} {}\n", f.id, f.name, f.type.ToString(),
               f.nullable ? "optional" : "required");
  }
  fmt::print("partition spec {}:\n", m.default_spec_id);
  for (const auto& f : m.DefaultSpec().fields) {
    fmt::print("  {:>4}  {:<28} {}(source {})\n", f.field_id, f.name, f.transform.ToString(),
               f.source_id);
  }
  fmt::print("properties:\n");
  for (const auto& [k, v] : m.properties) fmt::print("  {} = {}\n", k, v);
  fmt::print("refs:\n");
  for (const auto& [k, r] : m.refs) {
    fmt::print("  {} ({}) -> {}\n", k, r.type == iceberg::RefType::kTag ? "tag" : "branch",
               r.snapshot_id);
  }
  if (const auto* snap = m.CurrentSnapshot()) {
    fmt::print("current snapshot: {} ({}, {} records)\n", snap->snapshot_id, snap->operation,
               snap->summary.count("total-records") ? snap->summary.at("total-records") : "?");
  } else {
    fmt::print("current snapshot: none\n");
  }
  return OkStatus();
}

}  // namespace

void RegisterTableCommands(CLI::App& root, CliContext& ctx) {
  auto json_flag = std::make_shared<bool>(false);
  auto* table = root.add_subcommand("table", "Iceberg table details");
  table->require_subcommand(1);
  auto show_name = std::make_shared<std::string>();
  auto* show = table->add_subcommand("show", "Schema, partition spec, properties, refs");
  show->add_option("name", *show_name, "Table (k2 name, namespace.table or metadata path)")
      ->required();
  show->add_flag("--json", *json_flag, "Print the table metadata JSON");
  show->callback(
      [&ctx, show_name, json_flag] { ctx.Finish(RunShow(ctx, *show_name, *json_flag)); });
}

}  // namespace k2::cli
