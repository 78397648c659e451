#include <filesystem>

#include "cli/cli_config.h"
#include "common/config.h"
#include "service/job_schedule.h"

namespace k2::cli {

Result<Config> LoadCliConfig(const CliContext& ctx) {
  if (!ctx.config_path.empty()) return LoadConfig(ctx.config_path);
  std::error_code ec;
  if (std::filesystem::exists("k2.yaml", ec)) return LoadConfig("k2.yaml");
  return DefaultConfig("k2-data");
}

Status RequireSqlCatalog(const Config& config, std::string_view command) {
  if (config.catalog.type == CatalogKind::kSql) return OkStatus();
  return MakeError(ErrorKind::kUnsupported, "{} reads SQL catalogs (catalog.type '{}')", command,
                   CatalogKindName(config.catalog.type));
}

namespace {

void PrintConfigSummary(const Config& c) {
  fmt::print("config ok: {}\n", c.path.empty() ? "(built-in defaults)" : c.path);
  fmt::print("  warm:      {} {}\n", WarmKindName(c.warm.kind),
             c.warm.kind == WarmKind::kHttp ? RedactUri(c.warm.url) : c.warm.data_dir);
  fmt::print("  catalog:   {} {} (name {})\n", CatalogKindName(c.catalog.type),
             RedactUri(c.catalog.uri), c.catalog.name);
  fmt::print("  warehouse: {}\n", c.warehouse.location);
  fmt::print("  tables:    {}\n", c.tables.size());
  for (const auto& t : c.tables) {
    fmt::print("    {:<16} {:<7} -> {:<24} window {}s, schedule \"{}\"{}\n", t.name, t.layer,
               t.target, t.window_s, t.schedule, t.enabled ? "" : " (disabled)");
  }
}

}  // namespace

void RegisterConfigCommands(CLI::App& root, CliContext& ctx) {
  auto* config = root.add_subcommand("config", "Check or print k2.yaml");
  config->require_subcommand(1);

  auto* check = config->add_subcommand(
      "check", "Validate the config (unknown keys and bad values fail with the key and line)");
  static std::string check_path;
  check->add_option("file", check_path, "Config file (default: --config, $K2_CONFIG, ./k2.yaml)");
  check->callback([&ctx] {
    CliContext local = ctx;
    if (!check_path.empty()) local.config_path = check_path;
    if (local.config_path.empty()) local.config_path = "k2.yaml";
    auto cfg = LoadConfig(local.config_path);
    if (!cfg) {
      ctx.Finish(std::unexpected(cfg.error()));
      if (cfg.error().kind == ErrorKind::kNotFound) ctx.Finish(kExitUsage);
      return;
    }
    // What `serve` checks too: every job's cron in its time zone.
    auto schedule = service::ScheduleFromConfig(*cfg);
    Status valid = schedule ? OkStatus() : Status(std::unexpected(schedule.error()));
    if (schedule) {
      for (const auto& s : *schedule) {
        valid = service::ValidateSchedule(s);
        if (!valid) break;
      }
    }
    if (!valid) {
      ctx.Finish(std::unexpected(valid.error().WithContext(local.config_path)));
      ctx.Finish(kExitUsage);
      return;
    }
    PrintConfigSummary(*cfg);
    ctx.Finish(kExitOk);
  });

  auto* example = config->add_subcommand(
      "example", "Print a commented k2.yaml that runs as-is on the embedded defaults");
  example->callback([&ctx] {
    fmt::print("{}", ExampleConfigYaml());
    ctx.Finish(kExitOk);
  });
}

}  // namespace k2::cli
