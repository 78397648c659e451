#include "jobs/warm_source.h"

#include <cctype>

#include "warm/reference_schema.h"

namespace k2::jobs {

namespace {

bool ContainsWordFinal(const std::string& sql) {
  std::string upper = sql;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (size_t pos = upper.find("FINAL"); pos != std::string::npos;
       pos = upper.find("FINAL", pos + 1)) {
    bool left = pos == 0 || !(std::isalnum(static_cast<unsigned char>(upper[pos - 1])) ||
                              upper[pos - 1] == '_');
    bool right =
        pos + 5 >= upper.size() ||
        !(std::isalnum(static_cast<unsigned char>(upper[pos + 5])) || upper[pos + 5] == '_');
    if (left && right) return true;
  }
  return false;
}

/// `database` and `table` of a source name as SQL string expressions.
std::pair<std::string, std::string> SourceParts(const std::string& source) {
  auto dot = source.find('.');
  if (dot == std::string::npos) return {"currentDatabase()", warm::QuoteLiteral(source)};
  return {warm::QuoteLiteral(source.substr(0, dot)), warm::QuoteLiteral(source.substr(dot + 1))};
}

}  // namespace

bool IsMergingEngine(const std::string& engine) {
  std::string e = engine.starts_with("Replicated") ? engine.substr(10) : engine;
  return e == "ReplacingMergeTree" || e == "CollapsingMergeTree" ||
         e == "VersionedCollapsingMergeTree" || e == "AggregatingMergeTree" ||
         e == "SummingMergeTree" || e == "CoalescingMergeTree";
}

std::string WarmSource::WindowSql(const Window& window) const {
  return warm::FillWindow(query_template, time, window.start_us, window.end_us);
}

std::string WarmSource::AllRowsSql() const {
  return WindowSql({0, int64_t{4102444800} * kMicrosPerSecond});  // 1970 .. 2100
}

Result<WarmSource> ResolveWarmSource(warm::WarmDriver& driver, const TableConfig& t) {
  WarmSource s;
  s.table = t.name;
  // A reference table (no query, no time column in the config) reads with
  // the query of the server's dialect (the legacy flavour before 22.x); its
  // queries are written for their engines (silver reads FINAL, gold merges
  // its aggregate states).
  bool reference = false;
  if (t.query.empty() && t.time_column.empty()) {
    for (const auto& r : warm::ReferenceTables()) reference = reference || r.name == t.source;
  }
  std::string time_name = t.time_column;
  if (reference) {
    K2_ASSIGN_OR_RETURN(warm::SchemaFlavor flavor, warm::DetectSchemaFlavor(driver));
    for (const auto& r : warm::ReferenceTables(flavor)) {
      if (r.name != t.source) continue;
      s.query_template = r.offload_select;
      time_name = r.time_column;
    }
  }
  if (time_name.empty()) {
    return MakeError(ErrorKind::kInvalidInput,
                     "no time_column (and no reference table of that name) in the config");
  }

  // The source table's engine and its time column's type (when the source is
  // a table; a custom query may read anything).
  auto [db, name] = SourceParts(t.source);
  K2_ASSIGN_OR_RETURN(
      std::string engine_text,
      driver.Execute(fmt::format(
          "SELECT engine FROM system.tables WHERE database = {} AND name = {}", db, name)));
  auto engine_fields = warm::TsvFirstRow(engine_text);
  std::string engine = engine_fields.empty() ? "" : engine_fields[0];
  K2_ASSIGN_OR_RETURN(
      std::string type_text,
      driver.Execute(fmt::format(
          "SELECT type FROM system.columns WHERE database = {} AND table = {} AND name = {}", db,
          name, warm::QuoteLiteral(time_name))));
  auto type_fields = warm::TsvFirstRow(type_text);
  if (!type_fields.empty() && !type_fields[0].empty()) {
    K2_ASSIGN_OR_RETURN(
        s.time, warm::ResolveTimeColumn({{time_name, type_fields[0]}}, time_name, t.time_unit));
  } else {
    s.time.name = time_name;  // until DESCRIBE tells the query's type
  }

  s.final =
      !reference && (t.final_mode == "on" || (t.final_mode == "auto" && IsMergingEngine(engine)));
  if (s.query_template.empty() && t.query.empty()) {
    s.query_template =
        fmt::format("SELECT * FROM {}{} WHERE {} >= {{start}} AND {} < {{end}}",
                    warm::QuoteTableName(t.source), s.final ? " FINAL" : "",
                    warm::QuoteIdentifier(time_name), warm::QuoteIdentifier(time_name));
  } else if (!t.query.empty()) {
    s.query_template = t.query;
    if (s.final && !ContainsWordFinal(t.query)) {
      // A custom query over a merging engine: ClickHouse's `final` setting
      // applies FINAL to every table the query reads.
      K2_ASSIGN_OR_RETURN(std::string has, driver.Execute("SELECT count() FROM system.settings "
                                                          "WHERE name = 'final'"));
      auto f = warm::TsvFirstRow(has);
      if (f.empty() || f[0] != "1") {
        return MakeError(ErrorKind::kInvalidInput,
                         "source {} is a {} (rows are deduplicated at merge time), and this "
                         "ClickHouse has no 'final' setting to read the custom query with FINAL: "
                         "add FINAL to the query, or set final: off",
                         t.source, engine);
      }
      s.query_template = fmt::format("SELECT * FROM ({}) SETTINGS final = 1", t.query);
    }
  }

  // The query's columns; the time column's type as the query returns it.
  K2_ASSIGN_OR_RETURN(s.columns, driver.Describe(s.WindowSql({0, 0})));
  K2_ASSIGN_OR_RETURN(s.time, warm::ResolveTimeColumn(s.columns, time_name, t.time_unit));
  return s;
}

Result<std::optional<int64_t>> OldestWarmUs(warm::WarmDriver& driver, const WarmSource& source) {
  std::string sql = fmt::format(
      "SELECT count(), {} FROM ({})",
      source.time.WarmEpochSeconds(fmt::format("min({})", warm::QuoteIdentifier(source.time.name))),
      source.AllRowsSql());
  K2_ASSIGN_OR_RETURN(std::string out, driver.Execute(sql));
  auto f = warm::TsvFirstRow(out);
  if (f.size() < 2) return MakeError(ErrorKind::kRemote, "unexpected answer to '{}': {}", sql, out);
  K2_ASSIGN_OR_RETURN(int64_t rows, warm::ParseTsvInt(f[0], "row count of " + source.table));
  if (rows == 0) return std::optional<int64_t>{};
  K2_ASSIGN_OR_RETURN(int64_t oldest_s, warm::ParseTsvInt(f[1], "oldest row of " + source.table));
  return std::optional<int64_t>{oldest_s * kMicrosPerSecond};
}

Result<std::map<int64_t, int64_t>> WarmRowsByWindow(warm::WarmDriver& driver,
                                                    const WarmSource& source, int64_t from_us,
                                                    int64_t to_us, int64_t window_s) {
  std::string sql =
      fmt::format("SELECT intDiv({}, {}) AS w, count() FROM ({}) GROUP BY w ORDER BY w",
                  source.time.WarmEpochSeconds(warm::QuoteIdentifier(source.time.name)), window_s,
                  source.WindowSql({from_us, to_us}));
  K2_ASSIGN_OR_RETURN(std::string out, driver.Execute(sql));
  std::map<int64_t, int64_t> rows;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t eol = out.find('\n', pos);
    if (eol == std::string::npos) eol = out.size();
    std::string line = out.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.empty()) continue;
    auto f = warm::TsvFirstRow(line);
    if (f.size() < 2)
      return MakeError(ErrorKind::kRemote, "unexpected answer to '{}': {}", sql, line);
    K2_ASSIGN_OR_RETURN(int64_t w, warm::ParseTsvInt(f[0], "window of " + source.table));
    K2_ASSIGN_OR_RETURN(int64_t n, warm::ParseTsvInt(f[1], "row count of " + source.table));
    rows[w * window_s * kMicrosPerSecond] = n;
  }
  return rows;
}

}  // namespace k2::jobs
