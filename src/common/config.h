#pragma once
/// k2.yaml: one file for the warm source, the catalog, the warehouse, the
/// tables and the maintenance and service policies. Every key is checked:
/// unknown keys and bad values are errors naming the key path and line.
/// `${ENV_VAR}` in any scalar is replaced from the environment (secrets stay
/// out of the file). Relative paths resolve against the config file's folder.
/// Without a file, the defaults describe the platform's nine tables (raw,
/// bronze, silver and six gold) on the embedded engine, a SQLite catalog and a
/// local warehouse under one data dir.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace k2 {

/// warm.kind: which ClickHouse driver reads the warm tier.
enum class WarmKind {
  kEmbedded,  ///< "embedded": chDB in-process
  kHttp,      ///< "http": a ClickHouse server
};
/// catalog.type: the Iceberg catalog k2 commits to.
enum class CatalogKind {
  kSql,   ///< "sql": the JDBC-catalog tables in SQLite or PostgreSQL
  kRest,  ///< "rest": an Iceberg REST catalog server
};
/// service.rest_catalog.vend_credentials: which tokens get the warehouse's S3
/// credentials from k2's REST catalog.
enum class VendCredentials {
  kOff,        ///< "off": none
  kReadWrite,  ///< "read-write": read-write tokens only
  kAll,        ///< "all": read-only tokens too
};
/// The config spelling of each kind ("embedded", "sql", "read-write", ...).
std::string_view WarmKindName(WarmKind kind);
std::string_view CatalogKindName(CatalogKind kind);
std::string_view VendCredentialsName(VendCredentials vend);

/// Where the warm tier (ClickHouse) is.
struct WarmConfig {
  WarmKind kind = WarmKind::kEmbedded;
  std::string url = "http://127.0.0.1:8123";
  std::string user = "default";
  std::string password;  ///< secret: never logged
  std::string database = "default";
  std::string data_dir;      ///< embedded engine's data dir (default <data_dir>/clickhouse)
  std::string chdb_library;  ///< optional path to libchdb.so
  int connect_timeout_s = 10;
  int query_timeout_s = 3600;
  int retries = 3;
  /// http: ask for compressed responses. "auto" compresses only when the
  /// server is not on this host (on loopback gzip costs more than it saves).
  std::string compression = "auto";  ///< "auto" | "on" | "off"
  std::string ca_file;  ///< https: CA bundle (PEM) trusted for the server; default: the system's
};

/// The Iceberg catalog.
struct CatalogConfig {
  CatalogKind type = CatalogKind::kSql;
  std::string name = "k2";  ///< catalog_name in the JDBC catalog tables
  /// sql: a SQLite path / sqlite:///path, or postgresql://user:pass@host:port/db
  /// (default <data_dir>/catalog.db). rest: the REST catalog base URI.
  std::string uri;
  std::string credential;         ///< rest: client_id:client_secret (secret)
  std::string token;              ///< rest: bearer token (secret)
  std::string warehouse;          ///< rest: warehouse name sent to the server
  std::string prefix;             ///< rest: path prefix (the server's config may override it)
  std::string oauth2_server_uri;  ///< rest: token endpoint (default <uri>/v1/oauth/tokens)
  std::string scope = "catalog";  ///< rest: OAuth2 scope
  std::map<std::string, std::string> headers;  ///< rest: extra HTTP headers
};

/// Where `k2 serve` keeps job history and leases when the catalog has no
/// database of its own (catalog.type: rest).
struct StateConfig {
  /// SQLite path / sqlite:///path or postgresql://... (default <data_dir>/state.db).
  std::string uri;
};

/// Where data and metadata files go.
struct WarehouseConfig {
  std::string location;  ///< local path or s3://bucket/prefix (default <data_dir>/warehouse)
  /// s3: scheme://host[:port]; empty = AWS (https://s3.<region>.amazonaws.com).
  std::string s3_endpoint;
  std::string s3_region;  ///< empty: $AWS_REGION, else us-east-1
  /// "auto" (path-style for an explicit endpoint, virtual-hosted for AWS) | "true" | "false"
  std::string s3_path_style = "auto";
  std::string s3_access_key_id;                ///< empty: $AWS_ACCESS_KEY_ID
  std::string s3_secret_access_key;            ///< secret; empty: $AWS_SECRET_ACCESS_KEY
  std::string s3_session_token;                ///< secret; empty: $AWS_SESSION_TOKEN
  std::string s3_ca_file;                      ///< https: CA bundle (PEM); default: the system's
  int64_t s3_part_size = 16LL << 20;           ///< multipart part size (5 MiB .. 5 GiB)
  std::string s3_conditional_writes = "auto";  ///< If-None-Match: * : "auto" | "on" | "off"
  int64_t s3_request_timeout_s = 300;          ///< per request
  int s3_retries = 4;  ///< retries of an idempotent request after the first try
};

/// One ClickHouse table offloaded to one Iceberg table.
struct TableConfig {
  std::string name;    ///< the k2 name (usually the source table's)
  std::string layer;   ///< raw | bronze | silver | gold
  std::string source;  ///< ClickHouse table (default: name)
  /// Optional custom SELECT with {start} and {end} placeholders; default: the
  /// reference schema's offload query for known tables, else SELECT * with a
  /// time range on time_column.
  std::string query;
  std::string time_column;  ///< empty: the reference schema's time column
  /// An integer time column's unit: "s" | "ms" | "us" | "ns" (required for
  /// integer columns, refused for date/time columns).
  std::string time_unit;
  /// Read with FINAL: "auto" (when the source is of the ReplacingMergeTree
  /// family) | "on" | "off".
  std::string final_mode = "auto";
  std::string target;  ///< Iceberg "namespace.table" (default <namespace>.<name>)
  std::vector<std::string> partition = {"day"};  ///< transforms of time_column, e.g. day, hour
  std::vector<std::string> sort;                 ///< sort order columns (default symbol, time)
  int64_t window_s = 3600;                       ///< window length (1h; 1d for daily candles)
  std::string schedule;                          ///< cron (6 fields, with seconds)
  bool enabled = true;
};

struct OffloadPolicy {
  std::string ns = "market";  ///< default Iceberg namespace
  int64_t settle_delay_s = 300;
  int max_windows_per_run = 48;
  int late_check_windows = 24;  ///< previous windows re-checked for late rows
  int max_parallel_tables = 2;
  int64_t target_file_size_bytes = 128LL << 20;
  std::string compression = "zstd";
  int compression_level = 3;
  std::string uint64_mode = "error";            ///< UInt64 beyond int64: "error" | "decimal"
  std::string datetime64_ns_mode = "truncate";  ///< DateTime64(p>6): "truncate" | "nanos"
  /// Who hashes each streamed row for the window checksum: "server" (the
  /// warm tier, in the stream) or "k2" (from the decoded values, where it
  /// reproduces ClickHouse's hash; the server still hashes other tables).
  std::string row_hash = "server";
};

struct MaintenancePolicy {
  std::string compaction_schedule = "0 0 2 * * *";
  int64_t compaction_target_file_size_bytes = 512LL << 20;
  int64_t compaction_min_file_size_bytes = 96LL << 20;
  int compaction_min_input_files = 2;
  int64_t compaction_sort_memory_bytes = 96LL << 20;  ///< sorted compaction's buffer, then spill
  std::string compaction_sort_spill_dir;              ///< "" = the system temp dir (local)
  std::string expire_schedule = "0 20 2 * * *";
  int64_t expire_older_than_s = 7 * 86400;
  int expire_retain_last = 1;
  std::string orphans_schedule = "0 0 4 * * SUN";
  int64_t orphans_older_than_s = 3 * 86400;
  std::string manifests_schedule = "0 40 2 * * *";
  std::string audit_schedule = "0 0 3 * * SUN";
};

/// `k2 serve`'s Iceberg REST catalog (over the sql catalog).
struct RestCatalogServerConfig {
  bool enabled = false;
  std::string listen;                         ///< "" = under /iceberg on service.listen
  std::vector<std::string> tokens;            ///< read-write bearer tokens (secrets)
  std::vector<std::string> read_only_tokens;  ///< secrets
  std::vector<std::string> clients;           ///< OAuth2 "client_id:client_secret" (secrets)
  int64_t token_ttl_s = 3600;
  int64_t max_body_bytes = 16LL << 20;
  /// Vended credentials: the warehouse's S3 settings (key pair, session
  /// token, endpoint, region) handed to clients that ask with
  /// X-Iceberg-Access-Delegation: vended-credentials, in table loads and
  /// /v1/config overrides.
  VendCredentials vend_credentials = VendCredentials::kOff;
};

struct ServiceConfig {
  std::string listen = "127.0.0.1:9464";
  std::string token;  ///< bearer token for /api (secret); empty = no auth
  std::string alert_webhook;
  std::string alert_command;
  int64_t lag_alert_threshold_s = 2 * 3600;
  int retry_max_attempts = 3;
  int64_t retry_base_s = 30;
  int64_t retry_max_s = 600;
  int64_t job_timeout_s = 3000;
  int64_t shutdown_grace_s = 60;
  RestCatalogServerConfig rest_catalog;
};

/// The whole configuration, with every path made absolute.
struct Config {
  std::string path;      ///< the file it came from ("" for built-in defaults)
  std::string data_dir;  ///< base of the embedded defaults
  WarmConfig warm;
  CatalogConfig catalog;
  StateConfig state;
  WarehouseConfig warehouse;
  OffloadPolicy offload;
  MaintenancePolicy maintenance;
  ServiceConfig service;
  std::vector<TableConfig> tables;

  /// Table by k2 name or Iceberg target; kNotFound lists the known names.
  Result<const TableConfig*> FindTable(const std::string& name) const;
  /// The tables a job runs on: `names` (by FindTable) if any, else every
  /// enabled table, of `layer` when given. kInvalidInput for an unknown layer.
  Result<std::vector<const TableConfig*>> SelectTables(const std::vector<std::string>& names,
                                                       const std::string& layer) const;
};

/// Loads and validates `path`. kNotFound if missing; kInvalidInput names the
/// key path and line of the first problem ("tables[2].window (line 31): ...").
Result<Config> LoadConfig(const std::string& path);
/// Parses YAML text as if read from `path` (relative paths resolve against its folder).
Result<Config> ParseConfig(const std::string& yaml_text, const std::string& path);
/// The built-in defaults with data dir `data_dir` (made absolute).
Config DefaultConfig(const std::string& data_dir);
/// A commented k2.yaml that loads to DefaultConfig("./k2-data") next to it.
std::string ExampleConfigYaml();
/// Parses durations "90s", "5m", "1h", "7d", "250ms" (or bare seconds) into seconds/ms.
Result<int64_t> ParseDurationSeconds(const std::string& text);
/// Parses sizes "128MB", "1GiB", "512k", or bare bytes.
Result<int64_t> ParseByteSize(const std::string& text);
/// `uri` for logs and errors: the password of its user-info and password=,
/// token=, secret= parameters (URI query or libpq conninfo) become "***".
std::string RedactUri(std::string_view uri);

}  // namespace k2
