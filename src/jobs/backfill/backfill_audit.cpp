#include "jobs/backfill/backfill_audit.h"

#include <fmt/format.h>

#include <map>
#include <set>
#include <sstream>

#include "common/strings.h"
#include "iceberg/table.h"
#include "jobs/backfill/producer.h"
#include "jobs/offload_ledger.h"
#include "jobs/tiered_query.h"
#include "jobs/window_stats.h"
#include "warm/reference_schema.h"
#include "warm/warm_driver.h"

namespace k2::jobs {

namespace {

/// The lines of a TabSeparated answer, split into fields.
std::vector<std::vector<std::string>> TsvRows(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(warm::TsvFirstRow(line));
  }
  return out;
}

/// What the audit reads: one table's rows at a snapshot, in the producer's
/// column types, restricted to the backfill's range.
struct RowsAt {
  const Producer& p;
  const iceberg::TableMetadata& m;
  const std::string& metadata_location;
  Window span;

  Result<std::string> Sql(int64_t snapshot) const {
    K2_ASSIGN_OR_RETURN(std::string from,
                        IcebergAtSnapshotSql(m.location, metadata_location, snapshot));
    const warm::TimeColumn& t = p.ctx.source.time;
    const std::string q = warm::QuoteIdentifier(t.name);
    return fmt::format("SELECT * FROM (SELECT {} FROM {}) WHERE {} >= {} AND {} < {}",
                       ColdColumnsAs(m.CurrentSchema().schema, p.ctx.columns), from, q,
                       t.WarmLiteral(span.start_us), q, t.WarmLiteral(span.end_us));
  }
};

/// Rows and checksum per window start.
Result<std::map<int64_t, std::pair<int64_t, std::string>>> StatsByWindow(
    warm::WarmDriver& engine, const Producer& p, const std::string& rows_sql, int64_t window_s) {
  const warm::TimeColumn& t = p.ctx.source.time;
  std::string sql =
      fmt::format("SELECT intDiv({}, {}) AS w, count(), sum({}) FROM ({}) GROUP BY w ORDER BY w",
                  t.WarmEpochSeconds(warm::QuoteIdentifier(t.name)), window_s,
                  RowHashSql(p.ctx.columns, kCommitChecksumKind), rows_sql);
  K2_ASSIGN_OR_RETURN(std::string out, engine.Execute(sql));
  std::map<int64_t, std::pair<int64_t, std::string>> stats;
  for (const auto& f : TsvRows(out)) {
    if (f.size() < 3) return MakeError(ErrorKind::kRemote, "unexpected answer: {}", out);
    K2_ASSIGN_OR_RETURN(int64_t w, warm::ParseTsvInt(f[0], "window"));
    K2_ASSIGN_OR_RETURN(int64_t n, warm::ParseTsvInt(f[1], "row count"));
    stats[w * window_s * kMicrosPerSecond] = {n, f[2]};
  }
  return stats;
}

bool IsMeasureType(const std::string& type) {
  for (const char* p : {"Decimal", "Int", "UInt", "Float", "Nullable(Decimal", "Nullable(Int",
                        "Nullable(UInt", "Nullable(Float"}) {
    if (type.starts_with(p)) return true;
  }
  return false;
}

const std::vector<std::string> kCandleKey = {"exchange", "symbol", "candle_time"};

/// Whether the producer's columns are those of a candle table.
bool IsCandleTable(const Producer& p) {
  std::set<std::string> names;
  for (const auto& [n, t] : p.ctx.columns) names.insert(n);
  for (const char* c : {"exchange", "symbol", "candle_time", "open", "high", "low", "close",
                        "volume", "trade_count"}) {
    if (!names.count(c)) return false;
  }
  return true;
}

/// Per measure: rows whose value differs between main and the branch, the
/// largest change, and the candle where it is.
Status DiffMeasures(warm::WarmDriver& engine, const Producer& p, const std::string& branch_rows,
                    const std::string& main_rows, BackfillAudit& a) {
  std::string select;
  std::vector<std::string> measures;
  std::string key = "concat(";
  for (size_t i = 0; i < kCandleKey.size(); ++i) {
    key += fmt::format("{}toString({})", i ? ", ' ', " : "", warm::QuoteIdentifier(kCandleKey[i]));
  }
  key += ")";
  for (const auto& [name, type] : p.ctx.columns) {
    if (std::find(kCandleKey.begin(), kCandleKey.end(), name) != kCandleKey.end()) continue;
    if (!IsMeasureType(type)) continue;
    const std::string q = warm::QuoteIdentifier(name);
    const std::string d = fmt::format("abs(toFloat64(b.{0}) - toFloat64(m.{0}))", q);
    select += fmt::format(", countIf(b.{0} != m.{0}), max({1}), argMax({2}, {1})", q, d, key);
    measures.push_back(name);
  }
  if (measures.empty()) return OkStatus();
  std::string using_cols;
  for (const auto& k : kCandleKey) {
    using_cols += (using_cols.empty() ? "" : ", ") + warm::QuoteIdentifier(k);
  }
  std::string sql = fmt::format("SELECT count(){} FROM ({}) AS b INNER JOIN ({}) AS m USING ({})",
                                select, branch_rows, main_rows, using_cols);
  K2_ASSIGN_OR_RETURN(std::string out, engine.Execute(sql));
  auto f = warm::TsvFirstRow(out);
  if (f.size() != 1 + 3 * measures.size()) {
    return MakeError(ErrorKind::kRemote, "unexpected answer to the measure diff: {}", out);
  }
  for (size_t i = 0; i < measures.size(); ++i) {
    MeasureChange c;
    c.column = measures[i];
    K2_ASSIGN_OR_RETURN(c.rows_changed, warm::ParseTsvInt(f[1 + 3 * i], "rows changed"));
    c.max_abs_change = std::strtod(f[2 + 3 * i].c_str(), nullptr);
    if (c.rows_changed > 0) c.key = f[3 + 3 * i];
    a.measures.push_back(std::move(c));
  }
  return OkStatus();
}

/// The source trades of a candle backfill, as a FROM source: the pinned
/// source of a derivation; for --from-warm the cold table of the upstream
/// reference table when its ledger holds every written window.
Result<std::optional<std::string>> CandleSource(const BackfillEnv& env, const BackfillState& st,
                                                const warm::ReferenceTable& ref,
                                                std::string& why_not) {
  if (st.mode == "derive") {
    K2_ASSIGN_OR_RETURN(
        std::string from,
        IcebergAtSnapshotSql(st.source_location, st.source_metadata, st.source_snapshot_id));
    return std::optional<std::string>(from);
  }
  for (const auto& t : env.config.tables) {
    if (t.source != ref.derive_from) continue;
    K2_ASSIGN_OR_RETURN(TableIdentifier id, TableIdentifier::Parse(t.target));
    auto table = iceberg::Table::Load(env.catalog, env.io, id);
    if (!table || !table->metadata().current_snapshot_id) break;
    K2_ASSIGN_OR_RETURN(OffloadLedger ledger, OffloadLedger::FromMetadata(table->metadata()));
    for (const Window& w : st.Written()) {
      if (!ledger.Contains(w)) {
        why_not = fmt::format("{}'s cold tier does not hold {}", t.name, w.ToString());
        return std::optional<std::string>{};
      }
    }
    K2_ASSIGN_OR_RETURN(std::string from,
                        IcebergAtSnapshotSql(table->metadata().location, table->metadata_location(),
                                             *table->metadata().current_snapshot_id));
    return std::optional<std::string>(from);
  }
  why_not = fmt::format("no cold {} to compare with", ref.derive_from);
  return std::optional<std::string>{};
}

/// The candle invariants, on their own and against the source trades.
Status CheckCandles(const BackfillEnv& env, warm::WarmDriver& engine, const Producer& p,
                    const BackfillState& st, const std::string& branch_rows, const Window& span,
                    BackfillAudit& a) {
  K2_ASSIGN_OR_RETURN(
      std::string out,
      engine.Execute(fmt::format("SELECT count(), countIf(high < greatest(open, close)), "
                                 "countIf(low > least(open, close)), countIf(trade_count = 0) "
                                 "FROM ({})",
                                 branch_rows)));
  auto f = warm::TsvFirstRow(out);
  if (f.size() != 4) return MakeError(ErrorKind::kRemote, "unexpected answer: {}", out);
  a.checks.push_back(fmt::format(
      "{} candles: high >= max(open, close), low <= min(open, close), trade_count > 0", f[0]));
  const char* names[] = {"", "high below open or close", "low above open or close", "no trades"};
  for (int i = 1; i < 4; ++i) {
    if (f[i] != "0") a.failures.push_back(fmt::format("{} candle(s) with {}", f[i], names[i]));
  }

  const warm::ReferenceTable* ref = warm::FindReferenceTable(p.ctx.cfg->source);
  if (!ref || ref->candle_bucket.empty()) return OkStatus();
  std::string why_not;
  K2_ASSIGN_OR_RETURN(auto source, CandleSource(env, st, *ref, why_not));
  if (!source) {
    a.checks.push_back("candles against their source trades: skipped (" + why_not + ")");
    return OkStatus();
  }
  // The view's aggregates over the source trades of the range.
  WarmSource derived = p.ctx.source;
  derived.query_template = ReplaceAll(ref->derive_select, "{source}", *source);
  const std::string trades = derived.WindowSql(span);
  K2_ASSIGN_OR_RETURN(
      out, engine.Execute(fmt::format(
               "SELECT count(), countIf(isNull(g.trade_count)), countIf(isNull(s.trade_count)), "
               "countIf(g.open != s.open), countIf(g.close != s.close), "
               "countIf(g.volume != s.volume), countIf(g.trade_count != s.trade_count) "
               "FROM ({}) AS g FULL OUTER JOIN ({}) AS s USING (exchange, symbol, candle_time) "
               "SETTINGS join_use_nulls = 1",
               branch_rows, trades)));
  f = warm::TsvFirstRow(out);
  if (f.size() != 7) return MakeError(ErrorKind::kRemote, "unexpected answer: {}", out);
  a.checks.push_back(fmt::format(
      "{} candles against the source trades: open/close = first/last trade, volume = sum of "
      "quantity, trade_count = trades",
      f[0]));
  const char* what[] = {"",
                        "trades without a candle",
                        "candles without trades",
                        "open is not the first trade",
                        "close is not the last trade",
                        "volume is not the trades' quantity",
                        "trade_count is not the number of trades"};
  for (int i = 1; i < 7; ++i) {
    if (f[i] != "0") a.failures.push_back(fmt::format("{} candle(s): {}", f[i], what[i]));
  }
  return OkStatus();
}

}  // namespace

nlohmann::json BackfillAudit::ToJson() const {
  nlohmann::json ws = nlohmann::json::array();
  for (const auto& w : windows) {
    ws.push_back({{"window", w.window.ToString()},
                  {"written_rows", w.written_rows},
                  {"branch_rows", w.branch_rows},
                  {"main_rows", w.main_rows},
                  {"ok", w.ok()},
                  {"changed", w.changed()}});
  }
  nlohmann::json ms = nlohmann::json::array();
  for (const auto& m : measures) {
    ms.push_back({{"column", m.column},
                  {"rows_changed", m.rows_changed},
                  {"max_abs_change", m.max_abs_change},
                  {"at", m.key}});
  }
  return {{"id", id},
          {"table", table},
          {"ok", ok()},
          {"branch_snapshot_id", branch_snapshot_id},
          {"main_snapshot_id", main_snapshot_id},
          {"checks", checks},
          {"failures", failures},
          {"windows_changed", windows_changed},
          {"rows_added", rows_added},
          {"rows_removed", rows_removed},
          {"measures", std::move(ms)},
          {"windows", std::move(ws)}};
}

Result<BackfillAudit> AuditBackfill(const BackfillEnv& env, const std::string& id) {
  K2_ASSIGN_OR_RETURN(FoundBackfill found, LocateBackfill(env, id));
  const BackfillState& st = found.state;
  if (st.status != "running" && st.status != "written") {
    return MakeError(ErrorKind::kInvalidInput, "backfill {} is {}: its branch is gone", id,
                     st.status);
  }
  K2_ASSIGN_OR_RETURN(Producer p, OpenProducer(env, *found.table, st, false));
  K2_ASSIGN_OR_RETURN(auto engine, env.engine());
  const iceberg::TableMetadata& m = p.ctx.table->metadata();
  auto branch = m.refs.find(st.Branch());
  if (branch == m.refs.end()) {
    return MakeError(ErrorKind::kNotFound, "backfill {}: its branch {} is gone", id, st.Branch());
  }
  BackfillAudit a;
  a.id = id;
  a.table = st.table;
  a.branch_snapshot_id = branch->second.snapshot_id;
  a.main_snapshot_id = m.current_snapshot_id.value_or(0);
  if (st.done.empty()) {
    a.failures.push_back("no window is written yet");
    return a;
  }
  const Window span{st.done.begin()->first,
                    st.done.rbegin()->first + st.window_s * kMicrosPerSecond};
  RowsAt rows{p, m, p.ctx.table->metadata_location(), span};
  K2_ASSIGN_OR_RETURN(std::string branch_rows, rows.Sql(a.branch_snapshot_id));
  K2_ASSIGN_OR_RETURN(auto on_branch, StatsByWindow(*engine, p, branch_rows, st.window_s));
  std::map<int64_t, std::pair<int64_t, std::string>> on_main;
  std::string main_rows;
  if (m.current_snapshot_id) {
    K2_ASSIGN_OR_RETURN(main_rows, rows.Sql(*m.current_snapshot_id));
    K2_ASSIGN_OR_RETURN(on_main, StatsByWindow(*engine, p, main_rows, st.window_s));
  }
  int64_t bad = 0;
  for (const auto& [start, w] : st.done) {
    BackfillWindowCheck c;
    c.window = {start, start + st.window_s * kMicrosPerSecond};
    c.written_rows = w.rows;
    c.written_checksum = w.checksum;
    if (auto it = on_branch.find(start); it != on_branch.end()) {
      std::tie(c.branch_rows, c.branch_checksum) = it->second;
    }
    if (auto it = on_main.find(start); it != on_main.end()) {
      std::tie(c.main_rows, c.main_checksum) = it->second;
    }
    if (!c.ok()) {
      if (bad++ < 3) {
        a.failures.push_back(fmt::format(
            "window {}: the branch holds {} rows (checksum {}), the backfill wrote {} ({})",
            c.window.ToString(), c.branch_rows, c.branch_checksum, c.written_rows,
            c.written_checksum));
      }
    }
    if (c.changed()) {
      ++a.windows_changed;
      a.rows_added += std::max<int64_t>(0, c.branch_rows - c.main_rows);
      a.rows_removed += std::max<int64_t>(0, c.main_rows - c.branch_rows);
    }
    a.windows.push_back(std::move(c));
  }
  if (bad > 3) a.failures.push_back(fmt::format("... {} windows differ in all", bad));
  a.checks.push_back(
      fmt::format("{} window(s): rows and checksum read back from the branch", st.done.size()));
  if (IsCandleTable(p)) {
    K2_RETURN_IF_ERROR(CheckCandles(env, *engine, p, st, branch_rows, span, a));
    if (!main_rows.empty()) K2_RETURN_IF_ERROR(DiffMeasures(*engine, p, branch_rows, main_rows, a));
  }
  return a;
}

}  // namespace k2::jobs
