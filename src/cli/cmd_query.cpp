// k2 query: ClickHouse SQL over both tiers, run by the embedded engine, in
// which each configured table's name means the whole table (jobs/tiered_query).

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "catalog/catalog_factory.h"
#include "cli/cli_config.h"
#include "cli/commands.h"
#include "cli/ticker.h"
#include "columnar/value.h"
#include "io/file_io.h"
#include "jobs/offload.h"
#include "jobs/tiered_query.h"

namespace k2::cli {
namespace {

struct QueryArgs {
  std::string sql;
  std::string file;
  std::string format;
  std::string output;
  bool stats = false;
  bool explain = false;
};

/// chDB's output format (and settings) for --format.
Result<std::string> FormatClause(const std::string& format, bool terminal) {
  if (format == "table") {
    return fmt::format(
        "FORMAT PrettyCompactMonoBlock SETTINGS output_format_pretty_color = {}, "
        "output_format_pretty_max_rows = 100000",
        terminal ? 1 : 0);
  }
  if (format == "csv") return std::string("FORMAT CSVWithNames");
  if (format == "tsv") return std::string("FORMAT TabSeparatedWithNames");
  if (format == "json") {
    return std::string(
        "FORMAT JSONEachRow SETTINGS output_format_json_quote_64bit_integers = 0, "
        "output_format_json_quote_decimals = 0");
  }
  if (format == "parquet") return std::string("FORMAT Parquet");
  return MakeError(ErrorKind::kInvalidInput,
                   "--format must be table, csv, tsv, json or parquet, not '{}'", format);
}

/// The engine's counters that tell how many Iceberg data files a query read.
Result<std::map<std::string, int64_t>> IcebergEvents(warm::WarmDriver& engine) {
  K2_ASSIGN_OR_RETURN(std::string text,
                      engine.Execute("SELECT event, value FROM system.events WHERE event IN "
                                     "('IcebergMetadataReturnedObjectInfos', "
                                     "'IcebergMinMaxIndexPrunedFiles', "
                                     "'IcebergPartitionPrunedFiles', 'SelectedRows')"));
  std::map<std::string, int64_t> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto f = warm::TsvFirstRow(line);
    if (f.size() < 2) continue;
    K2_ASSIGN_OR_RETURN(out[f[0]], warm::ParseTsvInt(f[1], "system.events " + f[0]));
  }
  return out;
}

/// The SQL from the argument or -f FILE (exactly one). kInvalidInput otherwise.
Result<std::string> ReadQueryText(const QueryArgs& a) {
  if (a.sql.empty() == a.file.empty()) {
    return MakeError(ErrorKind::kInvalidInput, "give the SQL as an argument or -f FILE (one)");
  }
  if (a.file.empty()) return a.sql;
  std::ifstream in(a.file, std::ios::binary);
  if (!in) return MakeError(ErrorKind::kInvalidInput, "-f {}: cannot read the file", a.file);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// The FORMAT clause for --format (default: table on a terminal, tsv
/// otherwise). kInvalidInput for an unknown format or parquet to a terminal.
Result<std::string> OutputFormatClause(const QueryArgs& a) {
  const bool terminal = a.output.empty() && isatty(STDOUT_FILENO) != 0;
  std::string format = a.format.empty() ? (terminal ? "table" : "tsv") : a.format;
  K2_ASSIGN_OR_RETURN(std::string format_clause, FormatClause(format, terminal));
  if (format == "parquet" && terminal) {
    return MakeError(ErrorKind::kInvalidInput,
                     "--format parquet writes binary: give --output FILE or redirect stdout");
  }
  return format_clause;
}

/// The engine that runs the query is always embedded ClickHouse; a server's
/// warm rows are read by it over HTTP (url()), with `access`.
struct QueryEngines {
  std::unique_ptr<warm::WarmDriver> embedded;  ///< set when the warm tier is a server
  std::unique_ptr<warm::WarmDriver> warm;      ///< the configured warm tier
  jobs::WarmAccess access;

  warm::WarmDriver& exec() { return embedded ? *embedded : *warm; }
};

Result<QueryEngines> OpenQueryEngines(const Config& config) {
  QueryEngines engines;
  K2_ASSIGN_OR_RETURN(engines.warm, jobs::OpenWarmDriver(config));
  if (config.warm.kind == WarmKind::kHttp) {
    engines.access.url = config.warm.url;
    engines.access.user = config.warm.user;
    engines.access.password = config.warm.password;
    engines.access.database = config.warm.database;
    K2_ASSIGN_OR_RETURN(
        engines.embedded,
        warm::OpenEmbeddedDriver({.data_dir = "", .library_path = config.warm.chdb_library}));
  }
  return engines;
}

/// Cold data files the query may read (for the progress line).
int64_t ColdDataFiles(const std::vector<jobs::TierTable>& tables) {
  int64_t files = 0;
  for (const auto& t : tables) {
    if (t.cold && t.cold->has_snapshot) files += std::max<int64_t>(0, t.cold->data_files);
  }
  return files;
}

/// Runs the rewritten statement `full` (a ticker on a terminal's stderr). Its
/// error names the user's text `sql`, not the rewrite, and hides the warm password.
Result<std::string> ExecuteTieredQuery(warm::WarmDriver& exec, const std::string& full,
                                       const jobs::TieredSql& rewritten, const std::string& sql,
                                       const jobs::WarmAccess& access,
                                       const std::vector<jobs::TierTable>& tables) {
  std::optional<Ticker> ticker;
  if (isatty(STDERR_FILENO) != 0) {
    ticker.emplace(stderr, [files = ColdDataFiles(tables), n = tables.size()](double s) {
      return fmt::format("k2 query: running {:.1f} s over {} table(s), {} cold data file(s)...", s,
                         n, files);
    });
  }
  auto result = exec.Execute(full);
  ticker.reset();
  if (result) return result;
  Error e = result.error();
  // The driver appends the statement it ran: the rewrite, not the user's text.
  std::string message = e.message;
  if (auto cut = message.rfind(" [embedded ClickHouse, statement:"); cut != std::string::npos) {
    message.erase(cut);
  }
  message = jobs::MapEngineError(message, rewritten, sql);
  if (!access.password.empty()) {
    for (size_t p; (p = message.find(access.password)) != std::string::npos;) {
      message.replace(p, access.password.size(), "***");
    }
  }
  e.message = "query failed: " + message;
  return std::unexpected(e);
}

/// Writes the result to stdout, or to `output` (absolute). kIo names --output.
Status WriteQueryResult(const std::string& result, const std::string& output,
                        const std::string& output_arg) {
  if (output.empty()) {
    std::fwrite(result.data(), 1, result.size(), stdout);
    std::fflush(stdout);
    return OkStatus();
  }
  std::ofstream out(output, std::ios::binary | std::ios::trunc);
  out.write(result.data(), static_cast<std::streamsize>(result.size()));
  out.close();
  if (!out) return MakeError(ErrorKind::kIo, "--output {}: cannot write the file", output_arg);
  return OkStatus();
}

/// --stats on stderr: each table's pinned snapshot and cold windows, and the
/// cold files read of the total (engine counters `after` minus `before`).
void PrintQueryStats(const std::vector<jobs::TierTable>& tables,
                     std::map<std::string, int64_t> before, std::map<std::string, int64_t> after) {
  auto delta = [&](const char* k) { return after[k] - before[k]; };
  int64_t total = 0;
  bool known = true;
  for (const auto& t : tables) {
    std::string split;
    for (const auto& [s, e] : t.ranges) {
      split += fmt::format("{}{}/{}", split.empty() ? "" : ", ", FormatTimestampMicros(s),
                           FormatTimestampMicros(e));
    }
    if (t.cold && t.cold->has_snapshot) {
      if (t.cold->data_files < 0) known = false;
      total += std::max<int64_t>(0, t.cold->data_files);
      fmt::print(stderr, "{}: cold snapshot {} ({} data files, {}), cold windows {}\n", t.name,
                 t.cold->snapshot_id, t.cold->data_files, t.cold->metadata_location,
                 split.empty() ? "none" : split);
    } else {
      fmt::print(stderr, "{}: no cold snapshot (warm only)\n", t.name);
    }
  }
  fmt::print(stderr,
             "cold files read: {} of {}{} (pruned by min/max {}, by partition {}); rows read "
             "(both tiers): {}\n",
             delta("IcebergMetadataReturnedObjectInfos"), total, known ? "" : "+",
             delta("IcebergMinMaxIndexPrunedFiles"), delta("IcebergPartitionPrunedFiles"),
             delta("SelectedRows"));
}

/// Phases: read the SQL and the output format, open the engines, plan the
/// tiered rewrite against the catalog (--explain stops here), run it, write
/// the result, print --stats.
Status RunTieredQuery(const CliContext& ctx, const QueryArgs& a) {
  K2_ASSIGN_OR_RETURN(std::string sql, ReadQueryText(a));
  K2_ASSIGN_OR_RETURN(std::string format_clause, OutputFormatClause(a));
  K2_ASSIGN_OR_RETURN(Config config, LoadCliConfig(ctx));
  K2_ASSIGN_OR_RETURN(QueryEngines engines, OpenQueryEngines(config));

  std::vector<jobs::TierTable> tables;
  K2_RETURN_IF_ERROR(RequireSqlCatalog(config, "k2 query"));
  K2_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> catalog, OpenCatalog(config));
  K2_ASSIGN_OR_RETURN(auto io, NewFileIOFor(config.warehouse.location, config.warehouse));
  K2_ASSIGN_OR_RETURN(
      jobs::TieredSql rewritten,
      jobs::PlanTieredQuery(*engines.warm, *catalog, *io, config, sql, engines.access, &tables));
  if (a.explain) {
    fmt::print("{}\n", rewritten.sql);
    return OkStatus();
  }
  if (rewritten.has_format && !a.format.empty()) {
    return MakeError(ErrorKind::kInvalidInput,
                     "the query has its own FORMAT clause: drop --format");
  }
  std::string full = rewritten.sql;
  if (!rewritten.has_format) full += "\n" + format_clause;

  // chDB lets icebergLocal read only under the working directory (its
  // user_files_path setting is not consulted for it): run from the root.
  std::string output = a.output;
  if (!output.empty()) output = std::filesystem::absolute(output).string();
  std::error_code ec;
  std::filesystem::current_path("/", ec);
  std::map<std::string, int64_t> before;
  if (a.stats) {
    K2_ASSIGN_OR_RETURN(before, IcebergEvents(engines.exec()));
  }
  K2_ASSIGN_OR_RETURN(std::string result, ExecuteTieredQuery(engines.exec(), full, rewritten, sql,
                                                             engines.access, tables));
  K2_RETURN_IF_ERROR(WriteQueryResult(result, output, a.output));
  if (a.stats) {
    K2_ASSIGN_OR_RETURN(auto after, IcebergEvents(engines.exec()));
    PrintQueryStats(tables, std::move(before), std::move(after));
  }
  return OkStatus();
}

}  // namespace

void RegisterQueryCommands(CLI::App& root, CliContext& ctx) {
  auto args = std::make_shared<QueryArgs>();
  auto* q = root.add_subcommand(
      "query",
      "Run ClickHouse SQL over both tiers: each table's name means the whole table (cold rows "
      "of committed windows, warm rows of the others); warm.<name> / cold.<name> name one tier");
  q->add_option("sql", args->sql, "SQL (one SELECT)");
  q->add_option("-f,--file", args->file, "Read the SQL from this file");
  q->add_option("--format", args->format,
                "table (default on a terminal), tsv (default otherwise), csv, json (one object "
                "per line) or parquet");
  q->add_option("-o,--output", args->output, "Write the result to this file");
  q->add_flag("--stats", args->stats,
              "On stderr: each table's pinned snapshot and cold windows, cold files read of the "
              "total");
  q->add_flag("--explain", args->explain, "Print the rewritten SQL instead of running it");
  q->callback([&ctx, args] { ctx.Finish(RunTieredQuery(ctx, *args)); });
}

}  // namespace k2::cli
