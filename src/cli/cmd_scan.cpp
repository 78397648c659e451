// k2 scan NAME|METADATA_PATH: a table's rows (deletes applied) as CSV or JSON lines.
#include <charconv>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/table_session.h"
#include "columnar/value.h"
#include "columnar/value_json.h"
#include "iceberg/scan.h"

namespace k2::cli {

namespace {

using nlohmann::json;

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

void RegisterScanCommands(CLI::App& root, CliContext& ctx) {
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
