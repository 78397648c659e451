#include "warm/driver_factory.h"

#include <string>

#include "warm/type_mapping.h"

namespace k2::warm {

namespace {

/// Whether `url`'s host is this machine (loopback), where compressing the
/// response only costs the server and k2 CPU.
bool IsLocalUrl(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  std::string host;
  if (start < url.size() && url[start] == '[') {
    host = url.substr(start + 1, url.find(']', start) - start - 1);
  } else {
    host = url.substr(start, url.find_first_of(":/?", start) - start);
  }
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

}  // namespace

Result<std::unique_ptr<WarmDriver>> OpenWarmDriver(const Config& config) {
  TypeMappingOptions types;
  types.uint64_as_decimal = config.offload.uint64_mode == "decimal";
  types.datetime64_nanos = config.offload.datetime64_ns_mode == "nanos";
  if (config.warm.kind == WarmKind::kHttp) {
    HttpDriverOptions o;
    o.url = config.warm.url;
    o.user = config.warm.user;
    o.password = config.warm.password;
    o.database = config.warm.database;
    o.connect_timeout_s = config.warm.connect_timeout_s;
    o.query_timeout_s = config.warm.query_timeout_s;
    o.retries = config.warm.retries;
    o.ca_file = config.warm.ca_file;
    o.compression = config.warm.compression == "on" ||
                    (config.warm.compression == "auto" && !IsLocalUrl(config.warm.url));
    o.types = types;
    return OpenHttpDriver(o);
  }
  EmbeddedDriverOptions o;
  o.data_dir = config.warm.data_dir;
  o.library_path = config.warm.chdb_library;
  o.types = types;
  return OpenEmbeddedDriver(o);
}

}  // namespace k2::warm
