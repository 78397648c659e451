// k2: one binary, a table of subcommands (each area registers its own).
#include <spdlog/spdlog.h>

#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/ranges.h>

#include "cli/commands.h"
#include "common/logging.h"
#include "warm/warm_driver.h"

namespace k2::cli {

int ExitCodeFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidInput:
      return kExitUsage;
    case ErrorKind::kCancelled:
      return kExitInterrupted;
    default:
      return kExitFailed;
  }
}

void CliContext::Finish(const Status& status) {
  if (status) {
    exit_code = kExitOk;
    return;
  }
  spdlog::error("{}", status.error().ToString());
  exit_code = ExitCodeFor(status.error().kind);
}

namespace {

using Registrar = void (*)(CLI::App&, CliContext&);

/// The dispatch table: every area of k2 and the subcommands it owns.
constexpr Registrar kAreas[] = {
    RegisterConfigCommands,     // config check | example
    RegisterGenerateCommands,   // generate
    RegisterLoadCommands,       // load binance
    RegisterWarmCommands,       // warm schema | query | views
    RegisterOffloadCommands,    // offload
    RegisterMaintainCommands,   // maintain compact | expire | orphans | manifests | all
    RegisterTablesCommands,     // tables
    RegisterTableCommands,      // table show
    RegisterSnapshotsCommands,  // snapshots
    RegisterScanCommands,       // scan
    RegisterParquetCommands,    // parquet inspect
    RegisterServeCommands,      // serve
    RegisterJobsCommands,       // jobs [history | run]
    RegisterAuditCommands,      // audit
    RegisterQueryCommands,      // query
    RegisterBackfillCommands,   // backfill
};

constexpr const char* kExitCodesHelp = R"(
Exit codes: 0 ok, 1 job/command failed, 2 usage or config error,
            3 partial (some tables failed), 130 interrupted.
Config: --config, else $K2_CONFIG, else ./k2.yaml if present, else the built-in
        embedded defaults (data under ./k2-data).)";

/// --help-all: the help of every command and nested subcommand, each with its
/// options (CLI11's own lists nested subcommands by name only).
void PrintAllHelp(CLI::App& app, const std::string& path) {
  if (app.get_parent() == nullptr) {
    fmt::print("{}", app.help());
  } else {
    fmt::print("\n{:=<78}\n{}", path + " ", app.help(path.substr(0, path.rfind(' '))));
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    PrintAllHelp(*sub, path + " " + sub->get_name());
  }
}

std::vector<std::string> CommandNames(CLI::App& app) {
  std::vector<std::string> names;
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

/// A word on the command line that should name a subcommand but names none
/// (CLI11 would only say "A subcommand is required"): the words up to it and
/// the commands that were possible there.
struct UnknownCommandError {
  std::string words;
  std::vector<std::string> known;
};

/// The first such word, walking down nested subcommands; nullopt if the
/// command line names known commands (CLI11 checks the rest).
std::optional<UnknownCommandError> UnknownCommand(CLI::App& app, int argc, char** argv) {
  CLI::App* current = &app;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") return std::nullopt;
    if (arg.starts_with("-")) {
      // A global option's value is the next word ("--config k2.yaml").
      if (current == &app && arg.find('=') == std::string_view::npos &&
          (arg == "-c" || arg == "--config" || arg == "--log-format" || arg == "--log-level")) {
        ++i;
      }
      if (current != &app) return std::nullopt;
      continue;
    }
    auto subs = current->get_subcommands([](CLI::App*) { return true; });
    if (subs.empty()) return std::nullopt;  // a positional argument of a leaf command
    CLI::App* next = nullptr;
    for (CLI::App* sub : subs) {
      if (sub->check_name(std::string(arg))) next = sub;
    }
    if (!next) {
      // Commands that take positionals of their own as well as subcommands
      // (e.g. "k2 table NAME") are left to CLI11.
      if (current != &app &&
          !current->get_options([](const CLI::Option* o) { return o->get_positional(); }).empty()) {
        return std::nullopt;
      }
      if (current != &app && !current->get_require_subcommand_min()) return std::nullopt;
      return UnknownCommandError{
          current == &app ? std::string(arg) : current->get_name() + " " + std::string(arg),
          CommandNames(*current)};
    }
    current = next;
  }
  return std::nullopt;
}

int Main(int argc, char** argv) {
  CliContext ctx;
  if (const char* env = std::getenv("K2_CONFIG"); env && *env) ctx.config_path = env;

  CLI::App app{
      "k2: moves ClickHouse tables into Apache Iceberg every hour and keeps them healthy."};
  app.footer(kExitCodesHelp);
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print help for every subcommand");
  app.add_option("-c,--config", ctx.config_path, "Path to k2.yaml");
  app.add_option("--log-format", ctx.log_format,
                 "Log format: text, json, or auto (text on a terminal)")
      ->check(CLI::IsMember({"text", "json", "auto"}));
  app.add_option("--log-level", ctx.log_level, "Log level")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.parse_complete_callback([&ctx] {
    auto st = InitLogging(ctx.log_format, ctx.log_level);
    (void)st;  // values were checked by CLI11 above
  });

  auto* version = app.add_subcommand("version", "Print k2's version");
  version->callback([] { fmt::print("k2 {}\n", K2_VERSION); });

  for (Registrar reg : kAreas) reg(app, ctx);

  if (auto unknown = UnknownCommand(app, argc, argv)) {
    fmt::print(stderr, "k2: unknown command '{}'; the commands there are: {} (see k2 --help)\n",
               unknown->words, fmt::join(unknown->known, ", "));
    return kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp&) {
    PrintAllHelp(app, "k2");
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  return ctx.exit_code;
}

}  // namespace
}  // namespace k2::cli

int main(int argc, char** argv) {
  // Page and row-group buffers of a few MiB are freed and allocated again all
  // the time while an hour streams: keep freed memory in the heap for reuse
  // (no fresh page faults) instead of unmapping and trimming it at once; the
  // daemon trims after each job.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  int code = k2::cli::kExitFailed;
  try {
    code = k2::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    spdlog::error("internal error: {}", e.what());
  }
  // The process ends here with the command's status, without static
  // destructors: libchdb's crash when its background threads (merges after
  // a large insert) still run. Its connection is closed first, which waits
  // for that work; a watchdog ends the process if the close ever hangs.
  std::fflush(nullptr);
  spdlog::shutdown();
  std::thread([code] {
    std::this_thread::sleep_for(std::chrono::seconds(30));
    std::_Exit(code);
  }).detach();
  k2::warm::CloseEmbeddedEngine();
  std::_Exit(code);
}
