// The commented k2.yaml `k2 config example` prints: one long text kept apart
// from the parser it documents (config_test loads it back to DefaultConfig).
#include "common/config.h"

namespace k2 {

std::string ExampleConfigYaml() {
  std::string out = R"(# k2.yaml: runs as-is on the embedded defaults (embedded ClickHouse, SQLite
# catalog, local warehouse), all under data_dir next to this file.
# Any value may use ${ENV_VAR} (or ${ENV_VAR:-default}) to keep secrets out of the file.

data_dir: k2-data                 # base folder for the embedded defaults below

warm:                             # where the warm tier (ClickHouse) is
  kind: embedded                  # embedded (chDB in-process) | http (a ClickHouse server)
  data_dir: k2-data/clickhouse    # embedded: the engine's persistent data dir
  # chdb_library: /path/to/libchdb.so   # embedded: default finds the npm package
  url: http://127.0.0.1:8123      # http: server URL (https:// for TLS)
  user: default
  password: ${CLICKHOUSE_PASSWORD:-}
  database: default
  connect_timeout: 10s
  query_timeout: 1h
  retries: 3
  compression: auto               # http: gzip responses; auto = off for a server on this host
  # ca_file: /etc/k2/clickhouse-ca.pem   # https: CA trusted for the server (default: the system's)

catalog:
  type: sql                       # sql (SQLite file or PostgreSQL) | rest
  name: k2                        # catalog_name in the JDBC catalog tables
  uri: k2-data/catalog.db         # or postgresql://user:${PGPASSWORD}@host:5432/db

  # rest: uri: http://host:9464/iceberg, warehouse, prefix, token or credential (id:secret),
  #       oauth2_server_uri, scope, headers: {X-Name: value}   (docs/rest-catalog.md)

state:                            # job history and leases when catalog.type is rest
  uri: k2-data/state.db           # or postgresql://user:${PGPASSWORD}@host:5432/db

warehouse:
  location: k2-data/warehouse     # or s3://bucket/prefix
  # s3:                           # for s3:// locations (docs/s3.md)
  #   endpoint: http://127.0.0.1:9000   # MinIO; omit for AWS
  #   region: us-east-1
  #   path_style: auto            # auto: path-style with an endpoint, virtual-hosted on AWS
  #   access_key_id: ${AWS_ACCESS_KEY_ID}
  #   secret_access_key: ${AWS_SECRET_ACCESS_KEY}
  #   session_token: ${AWS_SESSION_TOKEN:-}
  #   ca_file: ""                 # https: CA bundle (default: the system's)
  #   part_size: 16MiB            # multipart part size for data files
  #   conditional_writes: auto    # If-None-Match: * on new files: auto | on | off
  #   request_timeout: 5m
  #   retries: 4

offload:
  namespace: market               # Iceberg namespace of the tables below
  settle_delay: 5m                # a window is offloaded this long after it closes
  max_windows_per_run: 48         # catch-up bound per table and run
  late_check_windows: 24          # previous windows re-checked for late rows
  max_parallel_tables: 2
  target_file_size: 128MB
  compression: zstd               # zstd | snappy | gzip | none
  compression_level: 3
  uint64: error                   # UInt64 beyond int64: error | decimal (decimal(20,0))
  datetime64_nanos: truncate      # DateTime64(p>6): truncate (to µs) | nanos (timestamptz_ns)
  row_hash: server                # who hashes rows for the window checksum: server | k2

maintenance:
  compaction: {schedule: "0 0 2 * * *", target_file_size: 512MB, min_file_size: 96MB, min_input_files: 2,
               sort_memory: 96MB, sort_spill_dir: ""}   # sorted tables: buffer, then spill runs here ("": temp dir)
  expire: {schedule: "0 20 2 * * *", older_than: 7d, retain_last: 1}
  orphans: {schedule: "0 0 4 * * SUN", older_than: 3d}
  manifests: {schedule: "0 40 2 * * *"}
  audit: {schedule: "0 0 3 * * SUN"}

service:                          # k2 serve
  listen: 127.0.0.1:9464          # /metrics, /health, /ready, /api
  token: ${K2_API_TOKEN:-}        # bearer token for /api (empty: none)
  retry_max_attempts: 3
  retry_base: 30s
  retry_max: 10m
  job_timeout: 50m
  shutdown_grace: 60s
  rest_catalog:                   # the Iceberg REST catalog over the sql catalog (docs/rest-catalog.md)
    enabled: false
    listen: ""                    # "": under /iceberg on service.listen; or host:port of its own
    tokens: []                    # read-write bearer tokens, e.g. [${K2_REST_TOKEN}]
    read_only_tokens: []
    clients: []                   # OAuth2 client credentials "id:secret" for /v1/oauth/tokens
    token_ttl: 1h                 # lifetime of tokens issued to clients
    max_body: 16MB                # larger requests get 413
    vend_credentials: "off"       # off | read-write | all: hand the warehouse's S3 keys to clients that ask
  alerts:
    webhook: ""                   # POST JSON here on failure, lag, audit mismatch
    command: ""                   # or run this command with the alert JSON on stdin
    lag_threshold: 2h

# The platform's tables (raw, bronze, silver, 6 gold intervals). Schedules are cron with seconds:
# raw :05, bronze :06, silver :07, gold :09 every hour.
tables:
)";
  Config d = DefaultConfig("k2-data");
  for (const auto& t : d.tables) {
    out += fmt::format(
        "  - {{name: {}, layer: {}, window: {}, partition: [{}], schedule: \"{}\"}}\n", t.name,
        t.layer, t.window_s % 86400 == 0 ? "1d" : "1h", t.partition.at(0), t.schedule);
  }
  out += R"(
# A table of your own (uncomment): source is the ClickHouse table, target the
# Iceberg one. time_column may be DateTime, DateTime64, Date, Date32, or an
# integer epoch with time_unit: s|ms|us|ns. Sources of the ReplacingMergeTree
# family are read with FINAL (final: auto|on|off); query: is an optional
# SELECT with {start} and {end} placeholders.
#  - {name: fills, source: exchange.fills, time_column: ts_us, time_unit: us,
#     target: market.fills, window: 1h, partition: [day], final: auto}
)";
  return out;
}

}  // namespace k2
