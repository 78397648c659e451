// k2.yaml's parser: one function per section, in file order (ParseWarm ...
// ParseTables), each reading its keys with MapReader (yaml_map_reader.h), and
// the built-in defaults the parser starts from. Durations, byte sizes, kind
// names and redaction are in config_values.cpp; the example file in
// config_example.cpp.
#include "common/config.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/yaml_map_reader.h"

namespace k2 {

namespace fs = std::filesystem;

namespace {

std::string Absolute(const std::string& p, const fs::path& base) {
  if (p.empty() || p.find("://") != std::string::npos) return p;
  if (p.starts_with("sqlite:")) {
    std::string rest = p.substr(p.starts_with("sqlite:///") ? 9 : 7);
    return "sqlite://" + Absolute(rest, base);
  }
  fs::path path(p);
  if (path.is_absolute()) return path.lexically_normal().string();
  return (base / path).lexically_normal().string();
}

struct DefaultTable {
  const char* name;
  const char* layer;
  const char* schedule;
  int64_t window_s;
  const char* partition;
};

constexpr DefaultTable kPlatformTables[] = {
    {"raw_trades", "raw", "0 5 * * * *", 3600, "day"},
    {"bronze_trades", "bronze", "0 6 * * * *", 3600, "day"},
    {"silver_trades", "silver", "0 7 * * * *", 3600, "day"},
    {"gold_ohlcv_1m", "gold", "0 9 * * * *", 3600, "day"},
    {"gold_ohlcv_5m", "gold", "0 9 * * * *", 3600, "day"},
    {"gold_ohlcv_15m", "gold", "0 9 * * * *", 3600, "day"},
    {"gold_ohlcv_30m", "gold", "0 9 * * * *", 3600, "day"},
    {"gold_ohlcv_1h", "gold", "0 9 * * * *", 3600, "day"},
    {"gold_ohlcv_1d", "gold", "0 9 * * * *", 86400, "month"},
};

std::string DefaultScheduleFor(const std::string& layer) {
  if (layer == "raw") return "0 5 * * * *";
  if (layer == "bronze") return "0 6 * * * *";
  if (layer == "silver") return "0 7 * * * *";
  return "0 9 * * * *";
}

Status CheckCron(MapReader& r, const std::string& key, const std::string& value) {
  // Full cron validation lives in the scheduler; here: 5 or 6 fields or an @alias.
  if (value.empty() || value[0] == '@') return {};
  std::stringstream ss(value);
  std::string f;
  int n = 0;
  while (ss >> f) {
    // A leading CRON_TZ=<zone> (or TZ=) names the schedule's time zone.
    if (n == 0 && (f.starts_with("CRON_TZ=") || f.starts_with("TZ="))) continue;
    ++n;
  }
  if (n != 5 && n != 6) {
    return MapReader::Fail(r.path() + "." + key, r.Raw(key),
                           fmt::format("'{}' has {} fields; a schedule has 5 (classic cron) or 6 "
                                       "(with seconds)",
                                       value, n));
  }
  return {};
}

Status ReadTable(MapReader& r, const OffloadPolicy& policy, TableConfig& t) {
  K2_RETURN_IF_ERROR(r.CheckIsMap());
  K2_RETURN_IF_ERROR(r.String("name", t.name));
  if (t.name.empty()) return MapReader::Fail(r.path() + ".name", r.Raw("name"), "is required");
  K2_RETURN_IF_ERROR(r.OneOf("layer", t.layer, {"raw", "bronze", "silver", "gold"}));
  K2_RETURN_IF_ERROR(r.String("source", t.source));
  // A platform table's window and partitioning unless the config says
  // otherwise (daily candles: 1d windows in monthly partitions).
  for (const auto& d : kPlatformTables) {
    if ((t.source.empty() ? t.name : t.source) == d.name) {
      t.window_s = d.window_s;
      t.partition = {d.partition};
    }
  }
  K2_RETURN_IF_ERROR(r.String("query", t.query));
  K2_RETURN_IF_ERROR(r.String("time_column", t.time_column));
  K2_RETURN_IF_ERROR(r.OneOf("time_unit", t.time_unit, {"s", "ms", "us", "ns"}));
  K2_RETURN_IF_ERROR(r.OneOf("final", t.final_mode, {"auto", "on", "off"}));
  K2_RETURN_IF_ERROR(r.String("target", t.target));
  K2_RETURN_IF_ERROR(r.StringList("partition", t.partition));
  for (const auto& p : t.partition) {
    // Time transforms of the time column: each window must fall in one partition.
    static const std::set<std::string> kTransforms = {"hour", "day", "month", "year"};
    if (!kTransforms.count(p)) {
      return MapReader::Fail(r.path() + ".partition", r.Raw("partition"),
                             fmt::format("'{}' is not one of: hour, day, month, year", p));
    }
  }
  K2_RETURN_IF_ERROR(r.StringList("sort", t.sort));
  K2_RETURN_IF_ERROR(r.Duration("window", t.window_s, 60));
  if (86400 % t.window_s != 0 && t.window_s % 86400 != 0) {
    return MapReader::Fail(r.path() + ".window", r.Raw("window"),
                           "must divide a day (e.g. 1h) or be whole days");
  }
  K2_RETURN_IF_ERROR(r.String("schedule", t.schedule));
  K2_RETURN_IF_ERROR(CheckCron(r, "schedule", t.schedule));
  K2_RETURN_IF_ERROR(r.Bool("enabled", t.enabled));
  K2_RETURN_IF_ERROR(r.CheckNoUnknownKeys());
  // Names become paths and SQL: plain identifiers only (no '../', quotes, ';').
  auto identifiers = [&](const char* key, const std::string& value, size_t max_parts) -> Status {
    if (value.empty()) return {};
    size_t parts = 1;
    bool ok = true;
    for (size_t i = 0, start = 0; i <= value.size(); ++i) {
      if (i == value.size() || value[i] == '.') {
        if (i == start || std::isdigit(static_cast<unsigned char>(value[start]))) ok = false;
        if (i < value.size()) ++parts;
        start = i + 1;
      } else if (!std::isalnum(static_cast<unsigned char>(value[i])) && value[i] != '_') {
        ok = false;
      }
    }
    if (ok && parts <= max_parts) return {};
    return MapReader::Fail(
        r.path() + "." + key, r.Raw(key),
        fmt::format("'{}' is not {}: letters, digits and '_', not starting with a digit", value,
                    max_parts == 1 ? "a plain identifier" : "identifiers joined by '.'"));
  };
  K2_RETURN_IF_ERROR(identifiers("name", t.name, 1));
  K2_RETURN_IF_ERROR(identifiers("source", t.source, 2));
  K2_RETURN_IF_ERROR(identifiers("target", t.target, 8));
  if (t.source.empty()) t.source = t.name;
  if (t.target.empty()) t.target = policy.ns + "." + t.name;
  if (t.layer.empty()) {
    for (const char* l : {"raw", "bronze", "silver", "gold"}) {
      if (t.name.starts_with(l)) t.layer = l;
    }
  }
  if (t.schedule.empty()) t.schedule = DefaultScheduleFor(t.layer);
  return {};
}

}  // namespace

Config DefaultConfig(const std::string& data_dir) {
  Config c;
  std::error_code ec;
  fs::path base = fs::absolute(data_dir, ec).lexically_normal();
  c.data_dir = base.string();
  c.warm.data_dir = (base / "clickhouse").string();
  c.catalog.uri = (base / "catalog.db").string();
  c.state.uri = (base / "state.db").string();
  c.warehouse.location = (base / "warehouse").string();
  for (const auto& d : kPlatformTables) {
    TableConfig t;
    t.name = d.name;
    t.layer = d.layer;
    t.source = d.name;
    t.target = c.offload.ns + "." + d.name;
    t.schedule = d.schedule;
    t.window_s = d.window_s;
    t.partition = {d.partition};
    c.tables.push_back(std::move(t));
  }
  return c;
}

Result<const TableConfig*> Config::FindTable(const std::string& name) const {
  std::string known;
  for (const auto& t : tables) {
    if (t.name == name || t.target == name) return &t;
    known += known.empty() ? t.name : ", " + t.name;
  }
  return MakeError(ErrorKind::kNotFound, "no table '{}' in the config (tables: {})", name, known);
}

Result<std::vector<const TableConfig*>> Config::SelectTables(const std::vector<std::string>& names,
                                                             const std::string& layer) const {
  if (!layer.empty() && layer != "raw" && layer != "bronze" && layer != "silver" &&
      layer != "gold") {
    return MakeError(ErrorKind::kInvalidInput, "--layer '{}' is not raw, bronze, silver or gold",
                     layer);
  }
  std::vector<const TableConfig*> selected;
  for (const auto& name : names) {
    K2_ASSIGN_OR_RETURN(const TableConfig* t, FindTable(name));
    selected.push_back(t);
  }
  if (names.empty()) {
    for (const auto& t : tables) {
      if (t.enabled && (layer.empty() || t.layer == layer)) selected.push_back(&t);
    }
  }
  return selected;
}

namespace {

std::optional<VendCredentials> ParseVendCredentials(std::string_view name) {
  for (VendCredentials v :
       {VendCredentials::kOff, VendCredentials::kReadWrite, VendCredentials::kAll}) {
    if (VendCredentialsName(v) == name) return v;
  }
  return std::nullopt;
}

/// warm: where ClickHouse is.
Status ParseWarm(MapReader warm, YAML::Node root, const fs::path& base, Config& c) {
  K2_RETURN_IF_ERROR(warm.CheckIsMap());
  K2_RETURN_IF_ERROR(warm.OneOf("kind", c.warm.kind,
                                {{"embedded", WarmKind::kEmbedded}, {"http", WarmKind::kHttp}}));
  K2_RETURN_IF_ERROR(warm.String("url", c.warm.url));
  K2_RETURN_IF_ERROR(warm.String("user", c.warm.user));
  K2_RETURN_IF_ERROR(warm.String("password", c.warm.password));
  K2_RETURN_IF_ERROR(warm.String("database", c.warm.database));
  K2_RETURN_IF_ERROR(warm.String("data_dir", c.warm.data_dir));
  K2_RETURN_IF_ERROR(warm.String("chdb_library", c.warm.chdb_library));
  int64_t connect_s = c.warm.connect_timeout_s, query_s = c.warm.query_timeout_s;
  K2_RETURN_IF_ERROR(warm.Duration("connect_timeout", connect_s, 1));
  K2_RETURN_IF_ERROR(warm.Duration("query_timeout", query_s, 1));
  c.warm.connect_timeout_s = static_cast<int>(connect_s);
  c.warm.query_timeout_s = static_cast<int>(query_s);
  K2_RETURN_IF_ERROR(warm.Integer("retries", c.warm.retries, 0, 100));
  K2_RETURN_IF_ERROR(warm.OneOf("compression", c.warm.compression, {"auto", "on", "off"}));
  K2_RETURN_IF_ERROR(warm.String("ca_file", c.warm.ca_file));
  K2_RETURN_IF_ERROR(warm.CheckNoUnknownKeys());
  if (c.warm.kind == WarmKind::kHttp && !c.warm.url.starts_with("http://") &&
      !c.warm.url.starts_with("https://")) {
    return MapReader::Fail("warm.url", root["warm"]["url"], "must start with http:// or https://");
  }
  c.warm.data_dir = Absolute(c.warm.data_dir, base);
  c.warm.chdb_library = Absolute(c.warm.chdb_library, base);
  c.warm.ca_file = Absolute(c.warm.ca_file, base);
  return OkStatus();
}

/// catalog: the Iceberg catalog.
Status ParseCatalog(MapReader cat, YAML::Node root, const fs::path& base, Config& c) {
  K2_RETURN_IF_ERROR(cat.CheckIsMap());
  K2_RETURN_IF_ERROR(cat.OneOf("type", c.catalog.type,
                               {{"sql", CatalogKind::kSql}, {"rest", CatalogKind::kRest}}));
  K2_RETURN_IF_ERROR(cat.String("name", c.catalog.name));
  K2_RETURN_IF_ERROR(cat.String("uri", c.catalog.uri));
  K2_RETURN_IF_ERROR(cat.String("credential", c.catalog.credential));
  K2_RETURN_IF_ERROR(cat.String("token", c.catalog.token));
  K2_RETURN_IF_ERROR(cat.String("warehouse", c.catalog.warehouse));
  K2_RETURN_IF_ERROR(cat.String("prefix", c.catalog.prefix));
  K2_RETURN_IF_ERROR(cat.String("oauth2_server_uri", c.catalog.oauth2_server_uri));
  K2_RETURN_IF_ERROR(cat.String("scope", c.catalog.scope));
  MapReader headers = cat.Child("headers");
  K2_RETURN_IF_ERROR(headers.CheckIsMap());
  if (YAML::Node h = cat.Raw("headers"); h && h.IsMap()) {
    for (const auto& kv : h) {
      std::string value;
      K2_RETURN_IF_ERROR(headers.String(kv.first.Scalar(), value));
      c.catalog.headers[kv.first.Scalar()] = value;
    }
  }
  K2_RETURN_IF_ERROR(cat.CheckNoUnknownKeys());
  if (c.catalog.type == CatalogKind::kSql) c.catalog.uri = Absolute(c.catalog.uri, base);
  if (c.catalog.type == CatalogKind::kRest && !c.catalog.uri.starts_with("http://") &&
      !c.catalog.uri.starts_with("https://")) {
    return MapReader::Fail("catalog.uri", root["catalog"]["uri"],
                           "a rest catalog's uri starts with http:// or https://");
  }
  if (!c.catalog.credential.empty() && c.catalog.credential.find(':') == std::string::npos) {
    return MapReader::Fail("catalog.credential", root["catalog"]["credential"],
                           "expected client_id:client_secret");
  }
  return OkStatus();
}

/// state: the job history database of a REST-catalog deployment.
Status ParseState(MapReader state, const fs::path& base, Config& c) {
  K2_RETURN_IF_ERROR(state.CheckIsMap());
  K2_RETURN_IF_ERROR(state.String("uri", c.state.uri));
  K2_RETURN_IF_ERROR(state.CheckNoUnknownKeys());
  c.state.uri = Absolute(c.state.uri, base);
  return OkStatus();
}

/// warehouse: where data and metadata files go, and its S3 settings.
Status ParseWarehouse(MapReader wh, const fs::path& base, Config& c) {
  K2_RETURN_IF_ERROR(wh.CheckIsMap());
  K2_RETURN_IF_ERROR(wh.String("location", c.warehouse.location));
  MapReader s3 = wh.Child("s3");
  K2_RETURN_IF_ERROR(s3.CheckIsMap());
  K2_RETURN_IF_ERROR(s3.String("endpoint", c.warehouse.s3_endpoint));
  if (const std::string& e = c.warehouse.s3_endpoint;
      !e.empty() && !e.starts_with("http://") && !e.starts_with("https://")) {
    return MapReader::Fail("warehouse.s3.endpoint", s3.Raw("endpoint"),
                           fmt::format("'{}' is not an http:// or https:// URL", e));
  }
  K2_RETURN_IF_ERROR(s3.String("region", c.warehouse.s3_region));
  K2_RETURN_IF_ERROR(s3.OneOf("path_style", c.warehouse.s3_path_style, {"auto", "true", "false"}));
  K2_RETURN_IF_ERROR(s3.String("access_key_id", c.warehouse.s3_access_key_id));
  K2_RETURN_IF_ERROR(s3.String("secret_access_key", c.warehouse.s3_secret_access_key));
  K2_RETURN_IF_ERROR(s3.String("session_token", c.warehouse.s3_session_token));
  K2_RETURN_IF_ERROR(s3.String("ca_file", c.warehouse.s3_ca_file));
  K2_RETURN_IF_ERROR(s3.Size("part_size", c.warehouse.s3_part_size));
  if (c.warehouse.s3_part_size < (5LL << 20) || c.warehouse.s3_part_size > (5LL << 30)) {
    return MapReader::Fail("warehouse.s3.part_size", s3.Raw("part_size"),
                           fmt::format("{} bytes is outside S3's part size range 5MiB..5GiB",
                                       c.warehouse.s3_part_size));
  }
  K2_RETURN_IF_ERROR(
      s3.OneOf("conditional_writes", c.warehouse.s3_conditional_writes, {"auto", "on", "off"}));
  K2_RETURN_IF_ERROR(s3.Duration("request_timeout", c.warehouse.s3_request_timeout_s, 1));
  K2_RETURN_IF_ERROR(s3.Integer("retries", c.warehouse.s3_retries, 0, 20));
  K2_RETURN_IF_ERROR(s3.CheckNoUnknownKeys());
  c.warehouse.s3_ca_file = Absolute(c.warehouse.s3_ca_file, base);
  K2_RETURN_IF_ERROR(wh.CheckNoUnknownKeys());
  c.warehouse.location = Absolute(c.warehouse.location, base);
  return OkStatus();
}

/// offload: the offload policy.
Status ParseOffload(MapReader off, Config& c) {
  K2_RETURN_IF_ERROR(off.CheckIsMap());
  K2_RETURN_IF_ERROR(off.String("namespace", c.offload.ns));
  K2_RETURN_IF_ERROR(off.Duration("settle_delay", c.offload.settle_delay_s));
  K2_RETURN_IF_ERROR(off.Integer("max_windows_per_run", c.offload.max_windows_per_run, 1, 100000));
  K2_RETURN_IF_ERROR(off.Integer("late_check_windows", c.offload.late_check_windows, 0, 10000));
  K2_RETURN_IF_ERROR(off.Integer("max_parallel_tables", c.offload.max_parallel_tables, 1, 64));
  K2_RETURN_IF_ERROR(off.Size("target_file_size", c.offload.target_file_size_bytes));
  K2_RETURN_IF_ERROR(
      off.OneOf("compression", c.offload.compression, {"zstd", "snappy", "gzip", "none"}));
  K2_RETURN_IF_ERROR(off.Integer("compression_level", c.offload.compression_level, 1, 22));
  K2_RETURN_IF_ERROR(off.OneOf("uint64", c.offload.uint64_mode, {"error", "decimal"}));
  K2_RETURN_IF_ERROR(
      off.OneOf("datetime64_nanos", c.offload.datetime64_ns_mode, {"truncate", "nanos"}));
  K2_RETURN_IF_ERROR(off.OneOf("row_hash", c.offload.row_hash, {"server", "k2"}));
  K2_RETURN_IF_ERROR(off.CheckNoUnknownKeys());
  return OkStatus();
}

/// maintenance: each operation's schedule and thresholds.
Status ParseMaintenance(MapReader m, Config& c) {
  K2_RETURN_IF_ERROR(m.CheckIsMap());
  MapReader comp = m.Child("compaction");
  K2_RETURN_IF_ERROR(comp.CheckIsMap());
  K2_RETURN_IF_ERROR(comp.String("schedule", c.maintenance.compaction_schedule));
  K2_RETURN_IF_ERROR(CheckCron(comp, "schedule", c.maintenance.compaction_schedule));
  K2_RETURN_IF_ERROR(
      comp.Size("target_file_size", c.maintenance.compaction_target_file_size_bytes));
  K2_RETURN_IF_ERROR(comp.Size("min_file_size", c.maintenance.compaction_min_file_size_bytes));
  K2_RETURN_IF_ERROR(
      comp.Integer("min_input_files", c.maintenance.compaction_min_input_files, 1, 100000));
  K2_RETURN_IF_ERROR(comp.Size("sort_memory", c.maintenance.compaction_sort_memory_bytes));
  K2_RETURN_IF_ERROR(comp.String("sort_spill_dir", c.maintenance.compaction_sort_spill_dir));
  K2_RETURN_IF_ERROR(comp.CheckNoUnknownKeys());
  MapReader exp = m.Child("expire");
  K2_RETURN_IF_ERROR(exp.CheckIsMap());
  K2_RETURN_IF_ERROR(exp.String("schedule", c.maintenance.expire_schedule));
  K2_RETURN_IF_ERROR(CheckCron(exp, "schedule", c.maintenance.expire_schedule));
  K2_RETURN_IF_ERROR(exp.Duration("older_than", c.maintenance.expire_older_than_s));
  K2_RETURN_IF_ERROR(exp.Integer("retain_last", c.maintenance.expire_retain_last, 1, 1000000));
  K2_RETURN_IF_ERROR(exp.CheckNoUnknownKeys());
  MapReader orph = m.Child("orphans");
  K2_RETURN_IF_ERROR(orph.CheckIsMap());
  K2_RETURN_IF_ERROR(orph.String("schedule", c.maintenance.orphans_schedule));
  K2_RETURN_IF_ERROR(CheckCron(orph, "schedule", c.maintenance.orphans_schedule));
  K2_RETURN_IF_ERROR(orph.Duration("older_than", c.maintenance.orphans_older_than_s, 86400));
  K2_RETURN_IF_ERROR(orph.CheckNoUnknownKeys());
  MapReader man = m.Child("manifests");
  K2_RETURN_IF_ERROR(man.CheckIsMap());
  K2_RETURN_IF_ERROR(man.String("schedule", c.maintenance.manifests_schedule));
  K2_RETURN_IF_ERROR(CheckCron(man, "schedule", c.maintenance.manifests_schedule));
  K2_RETURN_IF_ERROR(man.CheckNoUnknownKeys());
  MapReader aud = m.Child("audit");
  K2_RETURN_IF_ERROR(aud.CheckIsMap());
  K2_RETURN_IF_ERROR(aud.String("schedule", c.maintenance.audit_schedule));
  K2_RETURN_IF_ERROR(CheckCron(aud, "schedule", c.maintenance.audit_schedule));
  K2_RETURN_IF_ERROR(aud.CheckNoUnknownKeys());
  K2_RETURN_IF_ERROR(m.CheckNoUnknownKeys());
  return OkStatus();
}

/// service.rest_catalog: the REST catalog `k2 serve` serves (after catalog:).
Status ParseRestCatalogServer(MapReader rc, YAML::Node root, Config& c) {
  K2_RETURN_IF_ERROR(rc.CheckIsMap());
  RestCatalogServerConfig& rcc = c.service.rest_catalog;
  K2_RETURN_IF_ERROR(rc.Bool("enabled", rcc.enabled));
  K2_RETURN_IF_ERROR(rc.String("listen", rcc.listen));
  K2_RETURN_IF_ERROR(rc.StringList("tokens", rcc.tokens));
  K2_RETURN_IF_ERROR(rc.StringList("read_only_tokens", rcc.read_only_tokens));
  K2_RETURN_IF_ERROR(rc.StringList("clients", rcc.clients));
  K2_RETURN_IF_ERROR(rc.Duration("token_ttl", rcc.token_ttl_s, 60));
  K2_RETURN_IF_ERROR(rc.Size("max_body", rcc.max_body_bytes));
  std::string vend = std::string(VendCredentialsName(rcc.vend_credentials));
  K2_RETURN_IF_ERROR(rc.String("vend_credentials", vend));
  if (auto v = ParseVendCredentials(vend)) {
    rcc.vend_credentials = *v;
  } else {
    return MapReader::Fail("service.rest_catalog.vend_credentials",
                           root["service"]["rest_catalog"]["vend_credentials"],
                           "expected off, read-write or all");
  }
  K2_RETURN_IF_ERROR(rc.CheckNoUnknownKeys());
  if (!rcc.listen.empty() && rcc.listen.find(':') == std::string::npos) {
    return MapReader::Fail("service.rest_catalog.listen", root["service"]["rest_catalog"]["listen"],
                           "must be host:port");
  }
  for (const auto& client : rcc.clients) {
    if (client.find(':') == std::string::npos) {
      return MapReader::Fail("service.rest_catalog.clients",
                             root["service"]["rest_catalog"]["clients"],
                             "each client is client_id:client_secret");
    }
  }
  if (rcc.enabled && c.catalog.type != CatalogKind::kSql) {
    return MapReader::Fail("service.rest_catalog.enabled",
                           root["service"]["rest_catalog"]["enabled"],
                           "k2 serves its REST catalog over a sql catalog (catalog.type: sql)");
  }
  return OkStatus();
}

/// service: `k2 serve`'s API, retries, timeouts, REST catalog and alerts.
Status ParseService(MapReader svc, YAML::Node root, Config& c) {
  K2_RETURN_IF_ERROR(svc.CheckIsMap());
  K2_RETURN_IF_ERROR(svc.String("listen", c.service.listen));
  K2_RETURN_IF_ERROR(svc.String("token", c.service.token));
  K2_RETURN_IF_ERROR(svc.Integer("retry_max_attempts", c.service.retry_max_attempts, 1, 100));
  K2_RETURN_IF_ERROR(svc.Duration("retry_base", c.service.retry_base_s));
  K2_RETURN_IF_ERROR(svc.Duration("retry_max", c.service.retry_max_s));
  K2_RETURN_IF_ERROR(svc.Duration("job_timeout", c.service.job_timeout_s, 1));
  K2_RETURN_IF_ERROR(svc.Duration("shutdown_grace", c.service.shutdown_grace_s));
  K2_RETURN_IF_ERROR(ParseRestCatalogServer(svc.Child("rest_catalog"), root, c));
  MapReader alerts = svc.Child("alerts");
  K2_RETURN_IF_ERROR(alerts.CheckIsMap());
  K2_RETURN_IF_ERROR(alerts.String("webhook", c.service.alert_webhook));
  K2_RETURN_IF_ERROR(alerts.String("command", c.service.alert_command));
  K2_RETURN_IF_ERROR(alerts.Duration("lag_threshold", c.service.lag_alert_threshold_s, 60));
  K2_RETURN_IF_ERROR(alerts.CheckNoUnknownKeys());
  K2_RETURN_IF_ERROR(svc.CheckNoUnknownKeys());
  if (c.service.listen.find(':') == std::string::npos) {
    return MapReader::Fail("service.listen", root["service"]["listen"], "must be host:port");
  }
  return OkStatus();
}

/// tables: the tables to offload (absent: the platform's, in offload.namespace).
Status ParseTables(YAML::Node tables, Config& c) {
  if (tables && !tables.IsNull()) {
    if (!tables.IsSequence()) return MapReader::Fail("tables", tables, "expected a list of tables");
    c.tables.clear();
    std::set<std::string> names;
    for (size_t i = 0; i < tables.size(); ++i) {
      MapReader tr(tables[i], fmt::format("tables[{}]", i));
      TableConfig t;
      K2_RETURN_IF_ERROR(ReadTable(tr, c.offload, t));
      if (!names.insert(t.name).second) {
        return MapReader::Fail(tr.path() + ".name", tables[i]["name"],
                               fmt::format("table '{}' is listed twice", t.name));
      }
      c.tables.push_back(std::move(t));
    }
  } else {
    for (auto& t : c.tables) t.target = c.offload.ns + "." + t.name;
  }
  return OkStatus();
}

}  // namespace

Result<Config> ParseConfig(const std::string& yaml_text, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return MakeError(ErrorKind::kInvalidInput, "{} (line {}): {}", path, e.mark.line + 1, e.msg);
  }
  fs::path base = path.empty() ? fs::current_path() : fs::absolute(path).parent_path();
  MapReader r(root, "");
  K2_RETURN_IF_ERROR(r.CheckIsMap());

  std::string data_dir = "k2-data";
  K2_RETURN_IF_ERROR(r.String("data_dir", data_dir));
  Config c = DefaultConfig(Absolute(data_dir, base));
  c.path = path.empty() ? "" : fs::absolute(path).string();

  // In file order; the offload section comes before the tables (their default
  // namespace) and the catalog before service (its REST catalog needs sql).
  K2_RETURN_IF_ERROR(ParseWarm(r.Child("warm"), root, base, c));
  K2_RETURN_IF_ERROR(ParseCatalog(r.Child("catalog"), root, base, c));
  K2_RETURN_IF_ERROR(ParseState(r.Child("state"), base, c));
  K2_RETURN_IF_ERROR(ParseWarehouse(r.Child("warehouse"), base, c));
  K2_RETURN_IF_ERROR(ParseOffload(r.Child("offload"), c));
  K2_RETURN_IF_ERROR(ParseMaintenance(r.Child("maintenance"), c));
  K2_RETURN_IF_ERROR(ParseService(r.Child("service"), root, c));
  K2_RETURN_IF_ERROR(ParseTables(r.Raw("tables"), c));
  K2_RETURN_IF_ERROR(r.CheckNoUnknownKeys());
  return c;
}

Result<Config> LoadConfig(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return MakeError(ErrorKind::kInvalidInput, "config {} is a directory, not a k2.yaml file",
                     path);
  }
  std::ifstream in(path);
  if (!in) return MakeError(ErrorKind::kNotFound, "config file {} not found", path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseConfig(ss.str(), path);
}

}  // namespace k2
