// k2 tables | table show NAME | snapshots NAME | scan NAME|METADATA_PATH
#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>

#include "catalog/catalog_factory.h"
#include "cli/cli_config.h"
#include "columnar/value_json.h"
#include "common/config.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"

namespace k2::cli {

namespace {

using nlohmann::json;

/// What a command needs to reach a table: the config, catalog and FileIO
/// (kept alive together because Table borrows them).
struct Session {
  Config config;
  std::unique_ptr<Catalog> catalog;
  std::unique_ptr<FileIO> io;
  std::optional<iceberg::Table> table;
};

Result<std::unique_ptr<Session>> OpenSession(const CliContext& ctx, bool need_catalog) {
  auto s = std::make_unique<Session>();
  K2_ASSIGN_OR_RETURN(s->config, LoadCliConfig(ctx));
  if (need_catalog) {
    K2_ASSIGN_OR_RETURN(s->catalog, OpenCatalog(s->config));
  }
  K2_ASSIGN_OR_RETURN(s->io, NewFileIOFor(s->config.warehouse.location, s->config.warehouse));
  return s;
}

bool LooksLikeMetadataPath(const std::string& name) {
  return name.find('/') != std::string::npos || name.ends_with(".json") ||
         name.ends_with(".json.gz");
}

/// Opens NAME: a metadata file path directly, else a catalog table (k2 table
/// name from the config, or namespace.table; a bare name uses offload.namespace).
Result<std::unique_ptr<Session>> OpenTable(const CliContext& ctx, const std::string& name) {
  if (LooksLikeMetadataPath(name)) {
    auto s = std::make_unique<Session>();
    K2_ASSIGN_OR_RETURN(s->io, NewFileIOFor(name));
    K2_ASSIGN_OR_RETURN(auto t, iceberg::Table::LoadMetadataFile(*s->io, LocalPathOf(name)));
    s->table.emplace(std::move(t));
    return s;
  }
  K2_ASSIGN_OR_RETURN(auto s, OpenSession(ctx, true));
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
  K2_ASSIGN_OR_RETURN(auto s, OpenSession(ctx, true));
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

/// The offload window a snapshot committed ("k2.window-start-us"/"-end-us"
/// in its summary, jobs/offload_ledger.h), as RFC 3339 UTC times, if any.
std::optional<std::pair<std::string, std::string>> SnapshotWindow(const iceberg::Snapshot& s) {
  auto start = s.summary.find("k2.window-start-us");
  auto end = s.summary.find("k2.window-end-us");
  if (start == s.summary.end() || end == s.summary.end()) return std::nullopt;
  int64_t a = 0, b = 0;
  std::from_chars(start->second.data(), start->second.data() + start->second.size(), a);
  std::from_chars(end->second.data(), end->second.data() + end->second.size(), b);
  return std::make_pair(FormatTimestampMicros(a).substr(0, 19) + "Z",
                        FormatTimestampMicros(b).substr(0, 19) + "Z");
}

json SnapshotJson(const iceberg::Snapshot& s) {
  json j = {
      {"snapshot-id", s.snapshot_id},   {"sequence-number", s.sequence_number},
      {"timestamp-ms", s.timestamp_ms}, {"timestamp", FormatTimestampMicros(s.timestamp_ms * 1000)},
      {"operation", s.operation},       {"summary", s.summary}};
  j["parent-snapshot-id"] = s.parent_snapshot_id ? json(*s.parent_snapshot_id) : json(nullptr);
  auto window = SnapshotWindow(s);
  j["window"] = window ? json{{"start", window->first}, {"end", window->second}} : json(nullptr);
  return j;
}

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

Status RunSnapshots(const CliContext& ctx, const std::string& name, bool as_json) {
  K2_ASSIGN_OR_RETURN(auto s, OpenTable(ctx, name));
  const auto& m = s->table->metadata();
  json out = json::array();
  for (const auto& snap : m.snapshots) out.push_back(SnapshotJson(snap));
  if (as_json) {
    fmt::print("{}\n", out.dump(2));
    return OkStatus();
  }
  constexpr const char* kRow = "{:<20} {:>5} {:<20} {:<10} {:<37} {:>10} {:>12}\n";
  fmt::print(kRow, "SNAPSHOT", "SEQ", "TIME", "OPERATION", "WINDOW", "ADDED", "RECORDS");
  for (const auto& snap : m.snapshots) {
    auto window = SnapshotWindow(snap);
    auto summary = [&snap](const char* key) {
      return snap.summary.contains(key) ? snap.summary.at(key) : std::string("-");
    };
    // Seconds are enough to tell commits apart; the JSON has milliseconds.
    std::string time = FormatTimestampMicros(snap.timestamp_ms * 1000).substr(0, 19) + "Z";
    fmt::print(
        kRow, snap.snapshot_id, snap.sequence_number, time,
        snap.summary.contains("k2.replace") ? snap.operation + "*" : snap.operation,
        window ? window->first.substr(0, 16) + "Z .. " + window->second.substr(11, 5) + "Z" : "-",
        summary("added-records"), summary("total-records"));
  }
  return OkStatus();
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

json JsonValue(const Value& v) {
  if (v.is_null()) return nullptr;
  switch (v.type.id) {
    case TypeId::kBoolean:
      return std::get<bool>(v.data);
    case TypeId::kInt32:
      return std::get<int32_t>(v.data);
    case TypeId::kInt64:
      return std::get<int64_t>(v.data);
    case TypeId::kFloat:
      return std::get<float>(v.data);
    case TypeId::kDouble:
      return std::get<double>(v.data);
    default:
      return v.ToString();
  }
}

struct ScanArgs {
  std::string name;
  std::optional<int64_t> snapshot;
  std::string as_of;
  std::string columns;
  std::string where;
  std::string format = "csv";
};

Status RunScan(const CliContext& ctx, const ScanArgs& a) {
  if (a.format != "csv" && a.format != "json") {
    return MakeError(ErrorKind::kInvalidInput, "--format must be csv or json, not '{}'", a.format);
  }
  K2_ASSIGN_OR_RETURN(auto s, OpenTable(ctx, a.name));
  iceberg::TableScan scan = s->table->NewScan();
  if (a.snapshot) scan.UseSnapshot(*a.snapshot);
  if (!a.as_of.empty()) {
    int64_t ms = 0;
    auto [p, ec] = std::from_chars(a.as_of.data(), a.as_of.data() + a.as_of.size(), ms);
    if (ec != std::errc() || p != a.as_of.data() + a.as_of.size()) {
      auto micros = ParseTimestampMicros(a.as_of);
      if (!micros) {
        return MakeError(ErrorKind::kInvalidInput, "--as-of '{}': not ms or a timestamp", a.as_of);
      }
      ms = *micros / 1000;
    }
    scan.AsOf(ms);
  }
  if (!a.columns.empty()) {
    std::vector<std::string> cols;
    size_t start = 0;
    while (start <= a.columns.size()) {
      size_t comma = a.columns.find(',', start);
      std::string c = a.columns.substr(start, comma == std::string::npos ? comma : comma - start);
      if (!c.empty()) cols.push_back(c);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    scan.Select(cols);
  }
  if (!a.where.empty()) {
    K2_ASSIGN_OR_RETURN(Predicate p, Predicate::Parse(a.where));
    scan.Filter(std::move(p));
  }
  K2_ASSIGN_OR_RETURN(auto reader, scan.ToBatchReader());
  const Schema& schema = reader->schema();
  if (a.format == "csv") {
    std::string header;
    for (size_t i = 0; i < schema.fields.size(); ++i) {
      header += (i ? "," : "") + CsvField(schema.fields[i].name);
    }
    fmt::print("{}\n", header);
  }
  while (true) {
    K2_ASSIGN_OR_RETURN(const ColumnBatch* b, reader->Next());
    if (b == nullptr) break;
    std::string out;
    for (size_t r = 0; r < b->num_rows(); ++r) {
      if (a.format == "csv") {
        for (size_t c = 0; c < b->num_columns(); ++c) {
          Value v = Value::FromColumn(b->columns[c], r);
          if (c) out += ',';
          if (!v.is_null()) out += CsvField(v.ToString());
        }
      } else {
        json row = json::object();
        for (size_t c = 0; c < b->num_columns(); ++c) {
          const Column& col = b->columns[c];
          row[schema.fields[c].name] = col.type().IsNested() ? ColumnValueToJson(col, r)
                                                             : JsonValue(Value::FromColumn(col, r));
        }
        out += row.dump(-1, ' ', false, json::error_handler_t::replace);
      }
      out += '\n';
    }
    fmt::print("{}", out);
  }
  return OkStatus();
}

}  // namespace

void RegisterIcebergCommands(CLI::App& root, CliContext& ctx) {
  auto json_flag = std::make_shared<bool>(false);

  auto* tables = root.add_subcommand("tables", "List the catalog's Iceberg tables");
  tables->add_flag("--json", *json_flag, "Print JSON");
  tables->callback([&ctx, json_flag] { ctx.Finish(RunTables(ctx, *json_flag)); });

  auto* table = root.add_subcommand("table", "Iceberg table details");
  table->require_subcommand(1);
  auto show_name = std::make_shared<std::string>();
  auto* show = table->add_subcommand("show", "Schema, partition spec, properties, refs");
  show->add_option("name", *show_name, "Table (k2 name, namespace.table or metadata path)")
      ->required();
  show->add_flag("--json", *json_flag, "Print the table metadata JSON");
  show->callback(
      [&ctx, show_name, json_flag] { ctx.Finish(RunShow(ctx, *show_name, *json_flag)); });

  auto snap_name = std::make_shared<std::string>();
  auto* snapshots = root.add_subcommand("snapshots", "List a table's snapshots");
  snapshots->add_option("name", *snap_name, "Table (k2 name, namespace.table or metadata path)")
      ->required();
  snapshots->add_flag("--json", *json_flag, "Print JSON");
  snapshots->callback(
      [&ctx, snap_name, json_flag] { ctx.Finish(RunSnapshots(ctx, *snap_name, *json_flag)); });

  auto args = std::make_shared<ScanArgs>();
  auto snapshot_id = std::make_shared<int64_t>(0);
  auto* scan = root.add_subcommand("scan", "Read a table's rows (deletes applied)");
  scan->add_option("name", args->name, "Table (k2 name, namespace.table or metadata path)")
      ->required();
  auto* snap_opt = scan->add_option("--snapshot", *snapshot_id, "Snapshot id to read");
  scan->add_option("--as-of", args->as_of, "Read main as of a time (ms or timestamp)")
      ->excludes(snap_opt);
  scan->add_option("--columns", args->columns, "Comma-separated columns");
  scan->add_option("--where", args->where, "Filter: col OP literal [AND ...]");
  scan->add_option("--format", args->format, "csv (default) or json (one object per line)");
  scan->callback([&ctx, args, snapshot_id, snap_opt] {
    if (snap_opt->count() > 0) args->snapshot = *snapshot_id;
    ctx.Finish(RunScan(ctx, *args));
  });
}

}  // namespace k2::cli
