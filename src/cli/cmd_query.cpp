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

Status RunTieredQuery(const CliContext& ctx, const QueryArgs& a) {
  if (a.sql.empty() == a.file.empty()) {
    return MakeError(ErrorKind::kInvalidInput, "give the SQL as an argument or -f FILE (one)");
  }
  std::string sql = a.sql;
  if (!a.file.empty()) {
    std::ifstream in(a.file, std::ios::binary);
    if (!in) return MakeError(ErrorKind::kInvalidInput, "-f {}: cannot read the file", a.file);
    sql.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const bool terminal = a.output.empty() && isatty(STDOUT_FILENO) != 0;
  std::string format = a.format.empty() ? (terminal ? "table" : "tsv") : a.format;
  K2_ASSIGN_OR_RETURN(std::string format_clause, FormatClause(format, terminal));
  if (format == "parquet" && terminal) {
    return MakeError(ErrorKind::kInvalidInput,
                     "--format parquet writes binary: give --output FILE or redirect stdout");
  }
  K2_ASSIGN_OR_RETURN(Config config, LoadCliConfig(ctx));
  // The engine that runs the query is always embedded ClickHouse; a server's
  // warm rows are read by it over HTTP (url()).
  jobs::WarmAccess access;
  std::unique_ptr<warm::WarmDriver> engine;
  K2_ASSIGN_OR_RETURN(auto warm_driver, jobs::OpenWarmDriver(config));
  if (config.warm.kind == "http") {
    access.url = config.warm.url;
    access.user = config.warm.user;
    access.password = config.warm.password;
    access.database = config.warm.database;
    K2_ASSIGN_OR_RETURN(engine, warm::OpenEmbeddedDriver(
                                    {.data_dir = "", .library_path = config.warm.chdb_library}));
  }
  warm::WarmDriver& exec = engine ? *engine : *warm_driver;

  std::vector<jobs::TierTable> tables;
  std::unique_ptr<Catalog> catalog;
  std::unique_ptr<FileIO> io;
  if (config.catalog.type != "sql") {
    return MakeError(ErrorKind::kUnsupported, "k2 query reads SQL catalogs (catalog.type '{}')",
                     config.catalog.type);
  }
  K2_ASSIGN_OR_RETURN(catalog, OpenSqlCatalog(config.catalog.uri, config.catalog.name));
  K2_ASSIGN_OR_RETURN(io, NewFileIOFor(config.warehouse.location, config.warehouse));
  K2_ASSIGN_OR_RETURN(
      jobs::TieredSql rewritten,
      jobs::PlanTieredQuery(*warm_driver, *catalog, *io, config, sql, access, &tables));
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
    K2_ASSIGN_OR_RETURN(before, IcebergEvents(exec));
  }
  std::optional<Ticker> ticker;
  if (isatty(STDERR_FILENO) != 0) {
    int64_t files = 0;
    for (const auto& t : tables) {
      if (t.cold && t.cold->has_snapshot) files += std::max<int64_t>(0, t.cold->data_files);
    }
    ticker.emplace(stderr, [files, n = tables.size()](double s) {
      return fmt::format("k2 query: running {:.1f} s over {} table(s), {} cold data file(s)...", s,
                         n, files);
    });
  }
  auto result = exec.Execute(full);
  ticker.reset();
  if (!result) {
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
  if (output.empty()) {
    std::fwrite(result->data(), 1, result->size(), stdout);
    std::fflush(stdout);
  } else {
    std::ofstream out(output, std::ios::binary | std::ios::trunc);
    out.write(result->data(), static_cast<std::streamsize>(result->size()));
    out.close();
    if (!out) return MakeError(ErrorKind::kIo, "--output {}: cannot write the file", a.output);
  }
  if (a.stats) {
    K2_ASSIGN_OR_RETURN(auto after, IcebergEvents(exec));
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
