#include "common/config.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

namespace k2 {

namespace fs = std::filesystem;

namespace {

/// Walks one YAML mapping, remembering which keys were read so the rest can
/// be reported as unknown. Every error names the key path and its line.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path) : node_(node), path_(std::move(path)) {}

  Status CheckIsMap() const {
    if (!node_ || node_.IsNull()) return {};
    if (!node_.IsMap()) return Fail(path_, node_, "expected a mapping");
    return {};
  }

  /// Reads an optional scalar key with ${ENV} substitution.
  Result<std::optional<std::string>> Scalar(const std::string& key) {
    seen_.insert(key);
    if (!node_ || !node_.IsMap()) return std::nullopt;
    YAML::Node v = node_[key];
    if (!v || v.IsNull()) return std::nullopt;
    if (!v.IsScalar()) return Fail(Key(key), v, "expected a single value");
    K2_ASSIGN_OR_RETURN(std::string s, SubstituteEnv(v.Scalar(), Key(key), v));
    return s;
  }

  Status String(const std::string& key, std::string& out) {
    K2_ASSIGN_OR_RETURN(auto v, Scalar(key));
    if (v) out = *v;
    return {};
  }

  Status OneOf(const std::string& key, std::string& out,
               std::initializer_list<const char*> allowed) {
    K2_ASSIGN_OR_RETURN(auto v, Scalar(key));
    if (!v) return {};
    std::string options;
    for (const char* a : allowed) {
      if (*v == a) {
        out = *v;
        return {};
      }
      options += options.empty() ? a : std::string(", ") + a;
    }
    return Fail(Key(key), node_[key], fmt::format("'{}' is not one of: {}", *v, options));
  }

  template <typename Int>
  Status Integer(const std::string& key, Int& out, int64_t min, int64_t max) {
    K2_ASSIGN_OR_RETURN(auto v, Scalar(key));
    if (!v) return {};
    int64_t x = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), x);
    if (ec != std::errc() || p != v->data() + v->size()) {
      return Fail(Key(key), node_[key], fmt::format("'{}' is not an integer", *v));
    }
    if (x < min || x > max) {
      return Fail(Key(key), node_[key], fmt::format("{} is outside [{}, {}]", x, min, max));
    }
    out = static_cast<Int>(x);
    return {};
  }

  Status Bool(const std::string& key, bool& out) {
    K2_ASSIGN_OR_RETURN(auto v, Scalar(key));
    if (!v) return {};
    if (*v == "true" || *v == "yes" || *v == "on") {
      out = true;
    } else if (*v == "false" || *v == "no" || *v == "off") {
      out = false;
    } else {
      return Fail(Key(key), node_[key], fmt::format("'{}' is not true or false", *v));
    }
    return {};
  }

  Status Duration(const std::string& key, int64_t& seconds, int64_t min_s = 0) {
    K2_ASSIGN_OR_RETURN(auto v, Scalar(key));
    if (!v) return {};
    auto d = ParseDurationSeconds(*v);
    if (!d) return Fail(Key(key), node_[key], d.error().message);
    if (*d < min_s) {
      return Fail(Key(key), node_[key],
                  fmt::format("{} is shorter than the minimum {}s", *v, min_s));
    }
    seconds = *d;
    return {};
  }

  Status Size(const std::string& key, int64_t& bytes) {
    K2_ASSIGN_OR_RETURN(auto v, Scalar(key));
    if (!v) return {};
    auto b = ParseByteSize(*v);
    if (!b) return Fail(Key(key), node_[key], b.error().message);
    if (*b <= 0) return Fail(Key(key), node_[key], "must be positive");
    bytes = *b;
    return {};
  }

  Status StringList(const std::string& key, std::vector<std::string>& out) {
    seen_.insert(key);
    if (!node_ || !node_.IsMap()) return {};
    YAML::Node v = node_[key];
    if (!v || v.IsNull()) return {};
    out.clear();
    if (v.IsScalar()) {
      // "a, b" is accepted as a list too.
      K2_ASSIGN_OR_RETURN(std::string text, SubstituteEnv(v.Scalar(), Key(key), v));
      std::stringstream ss(text);
      std::string item;
      while (std::getline(ss, item, ',')) {
        size_t b = item.find_first_not_of(' '), e = item.find_last_not_of(' ');
        if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
      }
      return {};
    }
    if (!v.IsSequence()) return Fail(Key(key), v, "expected a list");
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].IsScalar())
        return Fail(fmt::format("{}[{}]", Key(key), i), v[i], "expected a value");
      K2_ASSIGN_OR_RETURN(std::string item,
                          SubstituteEnv(v[i].Scalar(), fmt::format("{}[{}]", Key(key), i), v[i]));
      if (!item.empty()) out.push_back(std::move(item));
    }
    return {};
  }

  /// A nested mapping (may be absent).
  MapReader Child(const std::string& key) {
    seen_.insert(key);
    YAML::Node v = (node_ && node_.IsMap()) ? node_[key] : YAML::Node();
    return MapReader(v, Key(key));
  }

  YAML::Node Raw(const std::string& key) {
    seen_.insert(key);
    return (node_ && node_.IsMap()) ? node_[key] : YAML::Node();
  }

  /// Errors on the first key that no reader asked for.
  Status CheckNoUnknownKeys() const {
    if (!node_ || !node_.IsMap()) return {};
    for (const auto& kv : node_) {
      std::string k = kv.first.Scalar();
      if (!seen_.count(k)) {
        std::string known;
        for (const auto& s : seen_) known += known.empty() ? s : ", " + s;
        return Fail(Key(k), kv.first, fmt::format("unknown key (known keys here: {})", known));
      }
    }
    return {};
  }

  const std::string& path() const { return path_; }

  static std::unexpected<Error> Fail(const std::string& key, const YAML::Node& at,
                                     const std::string& why) {
    int line = at.Mark().line >= 0 ? at.Mark().line + 1 : 0;
    if (line > 0) return MakeError(ErrorKind::kInvalidInput, "{} (line {}): {}", key, line, why);
    return MakeError(ErrorKind::kInvalidInput, "{}: {}", key, why);
  }

 private:
  std::string Key(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  static Result<std::string> SubstituteEnv(const std::string& in, const std::string& key,
                                           const YAML::Node& at) {
    std::string out;
    for (size_t i = 0; i < in.size(); ++i) {
      if (in[i] == '$' && i + 1 < in.size() && in[i + 1] == '{') {
        size_t end = in.find('}', i + 2);
        if (end == std::string::npos) return Fail(key, at, "unterminated ${...}");
        std::string var = in.substr(i + 2, end - i - 2);
        std::string fallback;
        bool has_fallback = false;
        if (size_t colon = var.find(":-"); colon != std::string::npos) {
          fallback = var.substr(colon + 2);
          var = var.substr(0, colon);
          has_fallback = true;
        }
        const char* value = std::getenv(var.c_str());
        if (value) {
          out += value;
        } else if (has_fallback) {
          out += fallback;
        } else {
          return Fail(key, at, fmt::format("environment variable {} is not set", var));
        }
        i = end;
      } else {
        out.push_back(in[i]);
      }
    }
    return out;
  }

  YAML::Node node_;
  std::string path_;
  std::set<std::string> seen_;
};

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

Result<int64_t> ParseDurationSeconds(const std::string& text) {
  if (text.empty()) return MakeError(ErrorKind::kInvalidInput, "empty duration");
  size_t i = 0;
  int64_t n = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    n = n * 10 + (text[i] - '0');
    ++i;
    if (n > (int64_t{1} << 40)) break;
  }
  if (i == 0) {
    return MakeError(ErrorKind::kInvalidInput, "'{}' is not a duration (use e.g. 30s, 5m, 1h, 7d)",
                     text);
  }
  std::string unit = text.substr(i);
  if (unit.empty() || unit == "s") return n;
  if (unit == "m" || unit == "min") return n * 60;
  if (unit == "h") return n * 3600;
  if (unit == "d") return n * 86400;
  if (unit == "w") return n * 7 * 86400;
  return MakeError(ErrorKind::kInvalidInput, "'{}' is not a duration (use e.g. 30s, 5m, 1h, 7d)",
                   text);
}

Result<int64_t> ParseByteSize(const std::string& text) {
  size_t i = 0;
  int64_t n = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    n = n * 10 + (text[i] - '0');
    ++i;
    if (n > (int64_t{1} << 50)) break;
  }
  if (i == 0)
    return MakeError(ErrorKind::kInvalidInput, "'{}' is not a size (use e.g. 128MB)", text);
  std::string unit = text.substr(i);
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (unit.empty() || unit == "B") return n;
  if (unit == "K" || unit == "KB" || unit == "KIB") return n << 10;
  if (unit == "M" || unit == "MB" || unit == "MIB") return n << 20;
  if (unit == "G" || unit == "GB" || unit == "GIB") return n << 30;
  return MakeError(ErrorKind::kInvalidInput, "'{}' is not a size (use e.g. 128MB)", text);
}

std::string RedactUri(std::string_view uri) {
  std::string out(uri);
  size_t scheme_end = out.find("://");
  if (scheme_end != std::string::npos) {
    size_t auth_begin = scheme_end + 3;
    size_t auth_end = out.find_first_of("/?#", auth_begin);
    if (auth_end == std::string::npos) auth_end = out.size();
    size_t at = out.rfind('@', auth_end == 0 ? 0 : auth_end - 1);
    if (at != std::string::npos && at >= auth_begin && at < auth_end) {
      size_t colon = out.find(':', auth_begin);
      if (colon != std::string::npos && colon < at) {
        out.replace(colon + 1, at - colon - 1, "***");
      }
    }
  }
  // libpq also accepts ?password=... and key=value conninfo strings; tokens
  // and secrets in query strings are hidden the same way.
  for (std::string_view key : {"password=", "token=", "secret="}) {
    size_t pos = 0;
    while ((pos = out.find(key, pos)) != std::string::npos) {
      bool at_boundary =
          pos == 0 || out[pos - 1] == '?' || out[pos - 1] == '&' || out[pos - 1] == ' ';
      size_t value_begin = pos + key.size();
      if (!at_boundary) {
        pos = value_begin;
        continue;
      }
      size_t value_end = out.find_first_of("& ", value_begin);
      if (value_end == std::string::npos) value_end = out.size();
      out.replace(value_begin, value_end - value_begin, "***");
      pos = value_begin + 3;
    }
  }
  return out;
}

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

  MapReader warm = r.Child("warm");
  K2_RETURN_IF_ERROR(warm.CheckIsMap());
  K2_RETURN_IF_ERROR(warm.OneOf("kind", c.warm.kind, {"embedded", "http"}));
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
  if (c.warm.kind == "http" && !c.warm.url.starts_with("http://") &&
      !c.warm.url.starts_with("https://")) {
    return MapReader::Fail("warm.url", root["warm"]["url"], "must start with http:// or https://");
  }
  c.warm.data_dir = Absolute(c.warm.data_dir, base);
  c.warm.chdb_library = Absolute(c.warm.chdb_library, base);
  c.warm.ca_file = Absolute(c.warm.ca_file, base);

  MapReader cat = r.Child("catalog");
  K2_RETURN_IF_ERROR(cat.CheckIsMap());
  K2_RETURN_IF_ERROR(cat.OneOf("type", c.catalog.type, {"sql", "rest"}));
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
  if (c.catalog.type == "sql") c.catalog.uri = Absolute(c.catalog.uri, base);
  if (c.catalog.type == "rest" && !c.catalog.uri.starts_with("http://") &&
      !c.catalog.uri.starts_with("https://")) {
    return MapReader::Fail("catalog.uri", root["catalog"]["uri"],
                           "a rest catalog's uri starts with http:// or https://");
  }
  if (!c.catalog.credential.empty() && c.catalog.credential.find(':') == std::string::npos) {
    return MapReader::Fail("catalog.credential", root["catalog"]["credential"],
                           "expected client_id:client_secret");
  }

  MapReader state = r.Child("state");
  K2_RETURN_IF_ERROR(state.CheckIsMap());
  K2_RETURN_IF_ERROR(state.String("uri", c.state.uri));
  K2_RETURN_IF_ERROR(state.CheckNoUnknownKeys());
  c.state.uri = Absolute(c.state.uri, base);

  MapReader wh = r.Child("warehouse");
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

  MapReader off = r.Child("offload");
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
  K2_RETURN_IF_ERROR(off.CheckNoUnknownKeys());

  MapReader m = r.Child("maintenance");
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

  MapReader svc = r.Child("service");
  K2_RETURN_IF_ERROR(svc.CheckIsMap());
  K2_RETURN_IF_ERROR(svc.String("listen", c.service.listen));
  K2_RETURN_IF_ERROR(svc.String("token", c.service.token));
  K2_RETURN_IF_ERROR(svc.Integer("retry_max_attempts", c.service.retry_max_attempts, 1, 100));
  K2_RETURN_IF_ERROR(svc.Duration("retry_base", c.service.retry_base_s));
  K2_RETURN_IF_ERROR(svc.Duration("retry_max", c.service.retry_max_s));
  K2_RETURN_IF_ERROR(svc.Duration("job_timeout", c.service.job_timeout_s, 1));
  K2_RETURN_IF_ERROR(svc.Duration("shutdown_grace", c.service.shutdown_grace_s));
  MapReader rc = svc.Child("rest_catalog");
  K2_RETURN_IF_ERROR(rc.CheckIsMap());
  RestCatalogServerConfig& rcc = c.service.rest_catalog;
  K2_RETURN_IF_ERROR(rc.Bool("enabled", rcc.enabled));
  K2_RETURN_IF_ERROR(rc.String("listen", rcc.listen));
  K2_RETURN_IF_ERROR(rc.StringList("tokens", rcc.tokens));
  K2_RETURN_IF_ERROR(rc.StringList("read_only_tokens", rcc.read_only_tokens));
  K2_RETURN_IF_ERROR(rc.StringList("clients", rcc.clients));
  K2_RETURN_IF_ERROR(rc.Duration("token_ttl", rcc.token_ttl_s, 60));
  K2_RETURN_IF_ERROR(rc.Size("max_body", rcc.max_body_bytes));
  K2_RETURN_IF_ERROR(rc.String("vend_credentials", rcc.vend_credentials));
  if (rcc.vend_credentials != "off" && rcc.vend_credentials != "read-write" &&
      rcc.vend_credentials != "all") {
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
  if (rcc.enabled && c.catalog.type != "sql") {
    return MapReader::Fail("service.rest_catalog.enabled",
                           root["service"]["rest_catalog"]["enabled"],
                           "k2 serves its REST catalog over a sql catalog (catalog.type: sql)");
  }
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

  YAML::Node tables = r.Raw("tables");
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

maintenance:
  compaction: {schedule: "0 0 2 * * *", target_file_size: 512MB, min_file_size: 96MB, min_input_files: 2}
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
