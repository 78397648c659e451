#include "jobs/tiered_query.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <regex>

#include "iceberg/table.h"
#include "jobs/offload_ledger.h"

namespace k2::jobs {

namespace {

bool IsWordStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}

/// The type inside Nullable(...), if it is one.
bool IsNullableType(const std::string& type) {
  return type.starts_with("Nullable(");
}

/// `type` able to hold NULL: Nullable(T), LowCardinality(Nullable(T)).
std::string NullableOf(const std::string& type) {
  if (IsNullableType(type)) return type;
  if (type.starts_with("LowCardinality(") && type.ends_with(")")) {
    std::string inner = type.substr(15, type.size() - 16);
    return "LowCardinality(" + NullableOf(inner) + ")";
  }
  return "Nullable(" + type + ")";
}

/// `text` percent-encoded for a URL's query string.
std::string Encode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

/// The FROM source of warm SQL `sql`: a subquery on the embedded engine, the
/// url() function over a server's HTTP interface.
std::string WarmFrom(const WarmAccess& access, const std::string& sql) {
  if (access.url.empty()) return "(" + sql + ")";
  static constexpr const char* kFormat = "TabSeparatedWithNamesAndTypes";
  std::string url = access.url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  // Credentials as URL parameters: every server version takes them.
  url += "/?query=" + Encode(sql + " FORMAT " + kFormat) + "&user=" + Encode(access.user);
  if (!access.password.empty()) url += "&password=" + Encode(access.password);
  if (!access.database.empty()) url += "&database=" + Encode(access.database);
  return fmt::format("url({}, '{}')", warm::QuoteLiteral(url), kFormat);
}

}  // namespace

std::string QualifyTables(const std::string& sql, const std::vector<std::string>& names,
                          const std::string& database) {
  auto tokens = QueryTokens(sql);
  if (!tokens) return sql;
  std::string out;
  size_t from = 0;
  const auto& tk = *tokens;
  for (size_t i = 0; i < tk.size(); ++i) {
    if (!tk[i].IsIdentifier()) continue;
    if (std::find(names.begin(), names.end(), tk[i].value) == names.end()) continue;
    if ((i > 0 && tk[i - 1].Is('.')) || (i + 1 < tk.size() && tk[i + 1].Is('.'))) continue;
    out += sql.substr(from, tk[i].begin - from);
    out += warm::QuoteIdentifier(database) + "." + warm::QuoteIdentifier(tk[i].value);
    from = tk[i].end;
  }
  return out + sql.substr(from);
}

std::string ColdColumnsAs(const Schema& cold, const std::vector<WarmColumn>& warm) {
  std::string cols;
  for (const auto& [name, type] : warm) {
    auto idx = cold.IndexOf(name);
    std::string expr;
    if (!idx) {
      expr = fmt::format("CAST(NULL, {})", warm::QuoteLiteral(NullableOf(type)));
    } else {
      bool nullable = cold.fields[*idx].nullable && !IsNullableType(type) &&
                      type.find("Nullable(") == std::string::npos;
      expr = fmt::format("CAST({}, {})", warm::QuoteIdentifier(name),
                         warm::QuoteLiteral(nullable ? NullableOf(type) : type));
    }
    cols += fmt::format("{}{} AS {}", cols.empty() ? "" : ", ", expr, warm::QuoteIdentifier(name));
  }
  return cols;
}

namespace {

/// The CTEs of one table.
std::string TableCtes(const TierTable& t, const WarmAccess& access,
                      const std::vector<std::string>& cte_names) {
  const std::string all_warm =
      access.url.empty() ? QualifyTables(t.warm.AllRowsSql(), cte_names, access.local_database)
                         : t.warm.AllRowsSql();
  std::string names;
  for (const auto& [name, type] : t.warm.columns) {
    names += (names.empty() ? "" : ", ") + warm::QuoteIdentifier(name);
  }
  // cold.t: the Iceberg table at the pinned metadata file, in the warm
  // column order and types (UNION ALL matches columns by position).
  std::string cold;
  if (t.cold && t.cold->has_snapshot) {
    const std::string cols = ColdColumnsAs(t.cold->schema, t.warm.columns);
    cold = fmt::format("SELECT {} FROM icebergLocal({}, SETTINGS iceberg_metadata_file_path = {})",
                       cols, warm::QuoteLiteral(t.cold->location),
                       warm::QuoteLiteral(t.cold->metadata_location));
  } else {
    cold = fmt::format("SELECT {} FROM {} WHERE 0", names, WarmFrom(access, all_warm + " LIMIT 0"));
  }
  const std::string in_ranges = InRangesSql(t.warm.time, t.ranges);
  const std::string warm_rest =
      fmt::format("SELECT * FROM ({}) WHERE NOT ({})", all_warm, in_ranges);
  std::string both;
  if (t.ranges.empty()) {
    both = fmt::format("SELECT * FROM {}", warm::QuoteIdentifier("warm." + t.name));
  } else {
    both = fmt::format(
        "SELECT * FROM {} WHERE {}\n  UNION ALL SELECT {} FROM {}",
        warm::QuoteIdentifier("cold." + t.name), in_ranges, names,
        access.url.empty()
            ? fmt::format("{} WHERE NOT ({})", warm::QuoteIdentifier("warm." + t.name), in_ranges)
            : WarmFrom(access, warm_rest));
  }
  return fmt::format("{} AS ({}),\n{} AS (SELECT {} FROM {}),\n{} AS ({})",
                     warm::QuoteIdentifier("cold." + t.name), cold,
                     warm::QuoteIdentifier("warm." + t.name), names, WarmFrom(access, all_warm),
                     warm::QuoteIdentifier(t.name), both);
}

}  // namespace

bool SqlToken::IsKeyword(std::string_view kw) const {
  if (kind != Kind::kWord || value.size() != kw.size()) return false;
  for (size_t i = 0; i < kw.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(value[i])) !=
        std::toupper(static_cast<unsigned char>(kw[i]))) {
      return false;
    }
  }
  return true;
}

Result<std::vector<SqlToken>> QueryTokens(std::string_view sql) {
  std::vector<SqlToken> out;
  size_t i = 0;
  const size_t n = sql.size();
  while (i < n) {
    char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (sql.substr(i, 2) == "--" || c == '#') {
      while (i < n && sql[i] != '\n') ++i;
    } else if (sql.substr(i, 2) == "/*") {
      size_t end = sql.find("*/", i + 2);
      if (end == std::string_view::npos) {
        return MakeError(ErrorKind::kInvalidInput, "unterminated comment at position {}", i + 1);
      }
      i = end + 2;
    } else if (c == '\'' || c == '`' || c == '"') {
      SqlToken t;
      t.kind = c == '\'' ? SqlToken::Kind::kString : SqlToken::Kind::kQuotedIdentifier;
      t.begin = i;
      size_t j = i + 1;
      for (;; ++j) {
        if (j >= n) {
          return MakeError(ErrorKind::kInvalidInput, "unterminated {} at position {}",
                           c == '\'' ? "string" : "quoted identifier", i + 1);
        }
        if (sql[j] == '\\' && j + 1 < n) {
          t.value.push_back(sql[++j]);
          continue;
        }
        if (sql[j] == c) {
          if (j + 1 < n && sql[j + 1] == c) {
            t.value.push_back(c);
            ++j;
            continue;
          }
          break;
        }
        t.value.push_back(sql[j]);
      }
      t.end = j + 1;
      i = t.end;
      out.push_back(std::move(t));
    } else if (IsWordStart(c)) {
      size_t j = i;
      while (j < n && IsWordChar(sql[j])) ++j;
      out.push_back({SqlToken::Kind::kWord, i, j, std::string(sql.substr(i, j - i))});
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t j = i;
      while (j < n && (IsWordChar(sql[j]) || sql[j] == '.')) ++j;
      out.push_back({SqlToken::Kind::kNumber, i, j, std::string(sql.substr(i, j - i))});
      i = j;
    } else {
      out.push_back({SqlToken::Kind::kPunct, i, i + 1, std::string(1, c)});
      ++i;
    }
  }
  return out;
}

std::map<std::string, std::vector<Tier>> ReferencedTables(const std::vector<SqlToken>& tokens,
                                                          const std::vector<std::string>& names) {
  std::map<std::string, std::vector<Tier>> out;
  auto known = [&](const std::string& v) {
    return std::find(names.begin(), names.end(), v) != names.end();
  };
  auto add = [&](const std::string& name, Tier tier) {
    auto& tiers = out[name];
    if (std::find(tiers.begin(), tiers.end(), tier) == tiers.end()) tiers.push_back(tier);
  };
  for (size_t i = 0; i < tokens.size(); ++i) {
    const SqlToken& t = tokens[i];
    if (!t.IsIdentifier()) continue;
    bool after_dot = i > 0 && tokens[i - 1].Is('.');
    if (after_dot) continue;
    if ((t.value == "warm" || t.value == "cold") && i + 2 < tokens.size() &&
        tokens[i + 1].Is('.') && tokens[i + 2].IsIdentifier() && known(tokens[i + 2].value)) {
      add(tokens[i + 2].value, t.value == "warm" ? Tier::kWarm : Tier::kCold);
      i += 2;
      continue;
    }
    bool before_dot = i + 1 < tokens.size() && tokens[i + 1].Is('.');
    if (!before_dot && known(t.value)) add(t.value, Tier::kBoth);
  }
  return out;
}

std::string InRangesSql(const warm::TimeColumn& time, const std::map<int64_t, int64_t>& ranges) {
  if (ranges.empty()) return "0";
  std::string col = warm::QuoteIdentifier(time.name);
  std::string out;
  for (const auto& [start, end] : ranges) {
    out += fmt::format("{}({} >= {} AND {} < {})", out.empty() ? "" : " OR ", col,
                       time.WarmLiteral(start), col, time.WarmLiteral(end));
  }
  return out;
}

Result<TierTable> ResolveTierTable(warm::WarmDriver& driver, Catalog& catalog, FileIO& io,
                                   const Config& config, const TableConfig& table) {
  (void)config;
  TierTable t;
  t.name = table.name;
  K2_ASSIGN_OR_RETURN(t.warm, ResolveWarmSource(driver, table));
  K2_ASSIGN_OR_RETURN(TableIdentifier id, TableIdentifier::Parse(table.target));
  auto loaded = iceberg::Table::Load(catalog, io, id);
  if (!loaded && loaded.error().kind == ErrorKind::kNotFound) return t;  // warm only
  if (!loaded) return std::unexpected(loaded.error().WithContext("table " + table.target));
  // One metadata file: the ledger and the snapshot come from the same version.
  const iceberg::TableMetadata& m = loaded->metadata();
  K2_ASSIGN_OR_RETURN(OffloadLedger ledger, OffloadLedger::FromMetadata(m));
  t.ranges = ledger.ranges();
  ColdSide cold;
  cold.location = m.location;
  cold.metadata_location = loaded->metadata_location();
  cold.last_updated_ms = m.last_updated_ms;
  cold.schema = m.CurrentSchema().schema;
  cold.data_files = -1;
  if (m.current_snapshot_id) {
    cold.has_snapshot = true;
    cold.snapshot_id = *m.current_snapshot_id;
    for (const auto& s : m.snapshots) {
      if (s.snapshot_id != cold.snapshot_id) continue;
      auto it = s.summary.find("total-data-files");
      if (it == s.summary.end()) continue;
      int64_t files = 0;
      auto [end, ec] =
          std::from_chars(it->second.data(), it->second.data() + it->second.size(), files);
      if (ec == std::errc()) cold.data_files = files;
    }
  }
  if (cold.location.find("://") != std::string::npos && !cold.location.starts_with("file://")) {
    return MakeError(ErrorKind::kUnsupported,
                     "table {} is at {}: k2 query and k2 warm views read local warehouses only "
                     "(icebergLocal)",
                     table.target, cold.location);
  }
  if (cold.location.starts_with("file://")) cold.location = cold.location.substr(7);
  if (cold.metadata_location.starts_with("file://")) {
    cold.metadata_location = cold.metadata_location.substr(7);
  }
  t.cold = std::move(cold);
  return t;
}

size_t TieredSql::MapPosition(size_t out) const {
  size_t best = 0;
  for (const Span& s : spans) {
    if (out >= s.out && out < s.out + s.len) return s.in + (out - s.out);
    if (out >= s.out + s.len) best = s.in + s.len;  // added text after this span
    if (out < s.out) return best == 0 ? s.in : best;
  }
  return best;
}

Result<TieredSql> RewriteTieredQuery(std::string_view user_sql, const std::vector<SqlToken>& tokens,
                                     const std::vector<TierTable>& tables,
                                     const WarmAccess& access) {
  // One statement: a trailing ';' is dropped, any other is refused.
  size_t end_tok = tokens.size();
  while (end_tok > 0 && tokens[end_tok - 1].Is(';')) --end_tok;
  if (end_tok == 0) return MakeError(ErrorKind::kInvalidInput, "the query is empty");
  for (size_t i = 0; i < end_tok; ++i) {
    if (tokens[i].Is(';')) {
      return MakeError(ErrorKind::kInvalidInput,
                       "one statement per query: ';' at position {} ends the first",
                       tokens[i].begin + 1);
    }
  }
  const size_t user_end = tokens[end_tok - 1].end;
  const SqlToken& first = tokens[0];
  if (!first.IsKeyword("SELECT") && !first.IsKeyword("WITH") && !first.Is('(')) {
    return MakeError(ErrorKind::kInvalidInput,
                     "k2 query runs one SELECT (or WITH ... SELECT); '{}' at position {} starts "
                     "something else",
                     first.value, first.begin + 1);
  }
  TieredSql out;
  int depth = 0;
  for (size_t i = 0; i < end_tok; ++i) {
    if (tokens[i].Is('(')) ++depth;
    if (tokens[i].Is(')')) --depth;
    if (depth == 0 && tokens[i].IsKeyword("FORMAT")) out.has_format = true;
  }

  // Replacements of `warm.t` / `cold.t` by the quoted CTE names.
  struct Replace {
    size_t begin, end;
    std::string text;
  };
  std::vector<Replace> replaces;
  auto configured = [&](const std::string& v) {
    return std::any_of(tables.begin(), tables.end(),
                       [&](const TierTable& t) { return t.name == v; });
  };
  for (size_t i = 0; i + 2 < end_tok; ++i) {
    const SqlToken& t = tokens[i];
    if (!t.IsIdentifier() || (t.value != "warm" && t.value != "cold")) continue;
    if (i > 0 && tokens[i - 1].Is('.')) continue;
    if (!tokens[i + 1].Is('.') || !tokens[i + 2].IsIdentifier()) continue;
    if (!configured(tokens[i + 2].value)) continue;
    replaces.push_back(
        {t.begin, tokens[i + 2].end, warm::QuoteIdentifier(t.value + "." + tokens[i + 2].value)});
    i += 2;
  }

  std::vector<std::string> cte_names;
  for (const TierTable& t : tables) cte_names.push_back(t.name);
  std::string ctes;
  for (const TierTable& t : tables) {
    ctes += (ctes.empty() ? "" : ",\n") + TableCtes(t, access, cte_names);
  }

  auto emit_user = [&](size_t from, size_t to) {
    for (const Replace& r : replaces) {
      if (r.begin < from || r.end > to) continue;
      if (r.begin > from) {
        out.spans.push_back({out.sql.size(), from, r.begin - from});
        out.sql.append(user_sql.substr(from, r.begin - from));
      }
      out.sql += r.text;
      from = r.end;
    }
    if (to > from) {
      out.spans.push_back({out.sql.size(), from, to - from});
      out.sql.append(user_sql.substr(from, to - from));
    }
  };

  if (tables.empty()) {
    emit_user(0, user_end);
  } else if (first.IsKeyword("WITH")) {
    emit_user(0, first.end);
    out.sql += "\n" + ctes + ",\n";
    emit_user(first.end, user_end);
  } else if (first.IsKeyword("SELECT")) {
    out.sql = "WITH\n" + ctes + "\n";
    emit_user(0, user_end);
  } else {
    out.sql = "WITH\n" + ctes + "\nSELECT * FROM (";
    emit_user(0, user_end);
    out.sql += ")";
  }
  return out;
}

Result<TieredSql> PlanTieredQuery(warm::WarmDriver& driver, Catalog& catalog, FileIO& io,
                                  const Config& config, std::string_view user_sql,
                                  const WarmAccess& access, std::vector<TierTable>* tables_out) {
  K2_ASSIGN_OR_RETURN(auto tokens, QueryTokens(user_sql));
  std::vector<std::string> names;
  for (const auto& t : config.tables) names.push_back(t.name);
  std::vector<TierTable> tables;
  for (const auto& [name, tiers] : ReferencedTables(tokens, names)) {
    K2_ASSIGN_OR_RETURN(const TableConfig* cfg, config.FindTable(name));
    auto t = ResolveTierTable(driver, catalog, io, config, *cfg);
    if (!t) return std::unexpected(t.error().WithContext("table " + name));
    tables.push_back(std::move(*t));
  }
  WarmAccess resolved = access;
  if (access.url.empty() && !tables.empty()) {
    K2_ASSIGN_OR_RETURN(std::string db, driver.Execute("SELECT currentDatabase()"));
    auto f = warm::TsvFirstRow(db);
    if (!f.empty() && !f[0].empty()) resolved.local_database = f[0];
  }
  auto out = RewriteTieredQuery(user_sql, tokens, tables, resolved);
  if (tables_out) *tables_out = std::move(tables);
  return out;
}

std::string MapEngineError(const std::string& engine_message, const TieredSql& rewritten,
                           std::string_view user_sql) {
  std::string message = engine_message;
  // "in scope <the whole rewritten query>": name the scope, not the rewrite.
  if (auto scope = message.find(" in scope WITH `"); scope != std::string::npos) {
    auto code = message.rfind(". (");
    message = message.substr(0, scope) + " (in the rewritten query: see k2 query --explain)" +
              (code != std::string::npos && code > scope ? message.substr(code) : "");
  }
  // "(line N, col M)" counts in the rewritten query.
  static const std::regex kLineCol(R"( \(line [0-9]+, col [0-9]+\))");
  message = std::regex_replace(message, kLineCol, "");
  static const std::regex kPosition("position ([0-9]+)");
  std::smatch m;
  if (!std::regex_search(message, m, kPosition)) return message;
  size_t out_pos = std::stoull(m[1].str());
  if (out_pos == 0) return message;
  size_t pos = rewritten.MapPosition(out_pos - 1);  // ClickHouse counts from 1
  std::string text = m.prefix().str() + fmt::format("position {}", pos + 1);
  // The message quotes the rest of the rewritten query after the position:
  // cut it at the next ". Expected" / ": " part if it runs long.
  std::string rest = m.suffix().str();
  if (rest.size() > 600) rest = rest.substr(0, 600) + "...";
  text += rest;
  // The user's line holding the position, and a caret under it.
  pos = std::min(pos, user_sql.size());
  size_t line_begin = user_sql.rfind('\n', pos == 0 ? 0 : pos - 1);
  line_begin = line_begin == std::string_view::npos ? 0 : line_begin + 1;
  if (pos > 0 && user_sql[pos - 1] == '\n') line_begin = pos;
  size_t line_end = user_sql.find('\n', pos);
  if (line_end == std::string_view::npos) line_end = user_sql.size();
  size_t line_no = std::count(user_sql.begin(), user_sql.begin() + line_begin, '\n') + 1;
  text += fmt::format(
      "\n  line {}: {}\n  {}^", line_no, user_sql.substr(line_begin, line_end - line_begin),
      std::string(fmt::format("line {}: ", line_no).size() + (pos - line_begin), ' '));
  return text;
}

}  // namespace k2::jobs
