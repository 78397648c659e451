#pragma once
/// Puts the REST catalog server (catalog/rest_server) on HTTP: mounted under
/// /iceberg on the daemon's listener, or on a listener of its own (where it
/// answers both /v1/... and /iceberg/v1/...).

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "catalog/rest_server/rest_message.h"
#include "common/result.h"

namespace httplib {
class Server;
}

namespace k2::rest {

/// Answers one REST catalog request (RestCatalogServer::Handle).
using RestCatalogHandler = std::function<RestResponse(const RestRequest&)>;

/// The mount point on the daemon's listener.
inline constexpr std::string_view kRestCatalogMount = "/iceberg";

/// Threads of a listener that serves the REST catalog. Clients keep their
/// connections alive between requests (k2's client does), and cpp-httplib
/// holds a thread per open connection until it idles out
/// (kRestCatalogKeepAliveSeconds), so a few clients must not take them all.
inline constexpr size_t kRestCatalogThreads = 16;
inline constexpr int kRestCatalogKeepAliveSeconds = 2;

/// Routes GET/HEAD/POST/DELETE of `mount` + "/..." on `server` to `handler`
/// ("" mounts at the root), and lets connections serve many requests each
/// (closed after kRestCatalogKeepAliveSeconds idle). `handler` must outlive
/// the server.
void MountRestCatalog(httplib::Server& server, const std::string& mount,
                      RestCatalogHandler handler);

/// A listener that serves only the REST catalog.
class RestCatalogListener {
 public:
  RestCatalogListener(RestCatalogHandler handler, size_t max_body_bytes);
  ~RestCatalogListener();
  RestCatalogListener(const RestCatalogListener&) = delete;
  RestCatalogListener& operator=(const RestCatalogListener&) = delete;

  /// Binds `host`:`port` (port 0 = any free) and serves on a thread. kIo if
  /// binding fails.
  Status Start(const std::string& host, int port);
  int port() const { return port_; }
  /// Stops and joins. Idempotent.
  void Stop();

 private:
  RestCatalogHandler handler_;
  size_t max_body_bytes_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace k2::rest
