#include "catalog/rest_server/rest_http_listener.h"

#include <httplib.h>

#include <cctype>

#include <spdlog/spdlog.h>

namespace k2::rest {

namespace {

RestRequest Translate(const httplib::Request& req, size_t mount_size) {
  RestRequest out;
  out.method = req.method;
  // The raw target keeps %2F and %1F inside path segments apart from '/'.
  std::string_view target = req.target.empty() ? std::string_view(req.path) : req.target;
  target = target.substr(0, target.find('?'));
  out.path = std::string(target.substr(std::min(mount_size, target.size())));
  for (const auto& [k, v] : req.params) out.query[k] = v;
  for (const auto& [k, v] : req.headers) {
    std::string name = k;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = v;
  }
  out.body = req.body;
  return out;
}

void Answer(RestResponse r, httplib::Response& res) {
  res.status = r.status;
  for (const auto& [k, v] : r.headers) res.set_header(k, v);
  if (!r.body.empty()) {
    // As set_content, without copying the body (a table's whole metadata).
    res.body = std::move(r.body);
    res.set_header("Content-Type", r.content_type);
  }
}

}  // namespace

void MountRestCatalog(httplib::Server& server, const std::string& mount,
                      RestCatalogHandler handler) {
  auto shared = std::make_shared<RestCatalogHandler>(std::move(handler));
  const std::string pattern = mount + "/v1/.*";
  const size_t mount_size = mount.size();
  auto route = [shared, mount_size](const httplib::Request& req, httplib::Response& res) {
    Answer((*shared)(Translate(req, mount_size)), res);
  };
  server.set_keep_alive_max_count(1000);
  server.set_tcp_nodelay(true);  // answers are written in pieces (see the client)
  server.set_keep_alive_timeout(kRestCatalogKeepAliveSeconds);
  server.Get(pattern, route);  // HEAD is routed to GET handlers
  server.Post(pattern, route);
  server.Delete(pattern, route);
}

RestCatalogListener::RestCatalogListener(RestCatalogHandler handler, size_t max_body_bytes)
    : handler_(std::move(handler)), max_body_bytes_(max_body_bytes) {}

RestCatalogListener::~RestCatalogListener() {
  Stop();
}

Status RestCatalogListener::Start(const std::string& host, int port) {
  server_ = std::make_unique<httplib::Server>();
  server_->new_task_queue = [] { return new httplib::ThreadPool(kRestCatalogThreads); };
  server_->set_read_timeout(30, 0);
  server_->set_write_timeout(30, 0);
  server_->set_payload_max_length(max_body_bytes_);
  MountRestCatalog(*server_, "", handler_);
  MountRestCatalog(*server_, std::string(kRestCatalogMount), handler_);
  if (port == 0) {
    port_ = server_->bind_to_any_port(host);
  } else {
    port_ = server_->bind_to_port(host, port) ? port : -1;
  }
  if (port_ <= 0) {
    return MakeError(ErrorKind::kIo, "REST catalog: cannot listen on {}:{} (in use or not local)",
                     host, port);
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  spdlog::info("REST catalog listening on {}:{}", host, port_);
  return OkStatus();
}

void RestCatalogListener::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace k2::rest
