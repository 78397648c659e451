#include "service/http_api.h"

#include <httplib.h>

#include <charconv>

#include <spdlog/spdlog.h>

#include "service/dashboard.h"

namespace k2::service {

Result<std::pair<std::string, int>> ParseListenAddress(std::string_view text) {
  std::string host;
  std::string_view port_text;
  if (text.starts_with('[')) {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return MakeError(ErrorKind::kInvalidInput, "listen address '{}': expected [host]:port", text);
    }
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return MakeError(ErrorKind::kInvalidInput, "listen address '{}': expected host:port", text);
    }
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  int port = -1;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (host.empty() || port_text.empty() || ec != std::errc() ||
      ptr != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return MakeError(ErrorKind::kInvalidInput, "listen address '{}': bad host or port 0..65535",
                     text);
  }
  return std::make_pair(host, port);
}

namespace {

int HttpStatusFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidInput:
      return 400;
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kAlreadyExists:
    case ErrorKind::kCommitConflict:
      return 409;
    case ErrorKind::kCancelled:
      return 503;
    case ErrorKind::kRemote:
    case ErrorKind::kIo:
    case ErrorKind::kTimeout:
      return 502;
    default:
      return 500;
  }
}

void SendJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump() + "\n", "application/json");
}

void SendError(httplib::Response& res, const Error& error) {
  SendJson(res, HttpStatusFor(error.kind),
           {{"error", {{"kind", ErrorKindName(error.kind)}, {"message", error.message}}}});
}

}  // namespace

ApiServer::ApiServer(Deps deps) : deps_(std::move(deps)) {}

ApiServer::~ApiServer() {
  Stop();
}

Status ApiServer::Start(const std::string& listen) {
  K2_ASSIGN_OR_RETURN(auto address, ParseListenAddress(listen));
  server_ = std::make_unique<httplib::Server>();
  // Few, short requests; more, on kept-alive connections, when the REST
  // catalog is mounted.
  const size_t threads = deps_.rest_catalog ? rest::kRestCatalogThreads : 2;
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_read_timeout(10, 0);
  server_->set_write_timeout(10, 0);
  server_->set_payload_max_length(deps_.max_body_bytes);
  Routes();
  if (deps_.rest_catalog) {
    rest::MountRestCatalog(*server_, std::string(rest::kRestCatalogMount), deps_.rest_catalog);
  }
  if (address.second == 0) {
    port_ = server_->bind_to_any_port(address.first);
  } else {
    port_ = server_->bind_to_port(address.first, address.second) ? address.second : -1;
  }
  if (port_ <= 0) {
    return MakeError(ErrorKind::kIo, "HTTP server: cannot listen on {} (in use or not local)",
                     listen);
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  spdlog::info("HTTP API listening on {}:{}", address.first, port_);
  return OkStatus();
}

void ApiServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

void ApiServer::Routes() {
  httplib::Server& s = *server_;
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (deps_.token.empty() || !req.path.starts_with("/api/")) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    std::string auth = req.get_header_value("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    bool ok = auth.starts_with(kBearer) &&
              ConstantTimeEquals(std::string_view(auth).substr(kBearer.size()), deps_.token);
    if (ok) return httplib::Server::HandlerResponse::Unhandled;
    res.set_header("WWW-Authenticate", "Bearer");
    SendJson(res, 401,
             {{"error",
               {{"kind", "unauthorized"}, {"message", "missing or wrong bearer token for /api"}}}});
    return httplib::Server::HandlerResponse::Handled;
  });

  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(deps_.metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  s.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200, {{"status", "ok"}});
  });
  s.Get("/ready", [this](const httplib::Request&, httplib::Response& res) {
    auto history = deps_.store.History("", 1);
    if (!history) {
      SendJson(res, 503, {{"status", "not ready"}, {"reason", history.error().ToString()}});
      return;
    }
    SendJson(res, 200, {{"status", "ready"}, {"jobs", deps_.scheduler.Jobs().size()}});
  });
  s.Get("/api/jobs", [this](const httplib::Request&, httplib::Response& res) {
    nlohmann::json jobs = nlohmann::json::array();
    for (const JobState& state : deps_.scheduler.Jobs()) jobs.push_back(state.ToJson());
    SendJson(res, 200, {{"jobs", std::move(jobs)}});
  });
  s.Get("/api/jobs/history", [this](const httplib::Request& req, httplib::Response& res) {
    std::string job = req.get_param_value("job");
    size_t limit = 50;
    if (req.has_param("limit")) {
      std::string text = req.get_param_value("limit");
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
      if (ec != std::errc() || ptr != text.data() + text.size() || limit == 0 || limit > 10000) {
        SendError(res, Error{ErrorKind::kInvalidInput,
                             fmt::format("limit '{}': expected 1..10000", text)});
        return;
      }
    }
    auto runs = deps_.store.History(job, limit);
    if (!runs) {
      SendError(res, runs.error());
      return;
    }
    nlohmann::json out = nlohmann::json::array();
    for (const JobRun& run : *runs) out.push_back(run.ToJson());
    SendJson(res, 200, {{"runs", std::move(out)}});
  });
  // With a content reader the handler runs at once: a POST without a body
  // (curl -X POST) is not left waiting for one.
  s.Post(
      R"(/api/jobs/([A-Za-z0-9_.\-]+)/run)",
      [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader&) {
        std::string name = req.matches[1];
        Status st = deps_.scheduler.TriggerRun(name);
        if (!st) {
          SendError(res, st.error());
          return;
        }
        SendJson(res, 202, {{"job", name}, {"status", "started"}});
      });
  s.Get("/api/tables", [this](const httplib::Request&, httplib::Response& res) {
    auto tables = deps_.tables();
    if (!tables) {
      SendError(res, tables.error());
      return;
    }
    nlohmann::json out = nlohmann::json::array();
    for (const TableStats& t : *tables) out.push_back(t.ToJson());
    SendJson(res, 200, {{"tables", std::move(out)}});
  });
  s.Get("/api/alerts", [this](const httplib::Request&, httplib::Response& res) {
    nlohmann::json out = nlohmann::json::array();
    for (const Alert& a : deps_.alerts.Active()) out.push_back(a.ToJson());
    SendJson(res, 200, {{"alerts", std::move(out)}});
  });
  // Unknown routes and methods answer the documented JSON error too.
  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    ErrorKind kind = res.status == 404 ? ErrorKind::kNotFound : ErrorKind::kInvalidInput;
    int status = res.status;
    SendError(res, Error{kind, fmt::format("no route for {} {}", req.method, req.path)});
    res.status = status;
  });
  DashboardRoutes();
  // httplib catches what a handler throws (json type errors, bad_alloc) and
  // hands it here; report it as a JSON 500 instead of dropping the connection.
  s.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
        spdlog::error("HTTP {} {}: handler threw", req.method, req.path);
        SendError(res, Error{ErrorKind::kInternal, "internal error while handling " + req.path});
      });
}

void ApiServer::DashboardRoutes() {
  httplib::Server& s = *server_;
  s.Get("/api/dashboard", [this](const httplib::Request& req, httplib::Response& res) {
    int hours = 48;
    if (req.has_param("hours")) {
      std::string text = req.get_param_value("hours");
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), hours);
      if (ec != std::errc() || ptr != text.data() + text.size() || hours < 1 || hours > 24 * 90) {
        SendError(res, Error{ErrorKind::kInvalidInput,
                             fmt::format("hours '{}': expected 1..2160", text)});
        return;
      }
    }
    TimePoint now = deps_.clock ? deps_.clock->Now() : std::chrono::system_clock::now();
    auto body = BuildDashboard(
        {deps_.scheduler, deps_.store, deps_.alerts, deps_.details, !deps_.token.empty()}, now,
        hours);
    if (!body) {
      SendError(res, body.error());
      return;
    }
    res.set_header("Cache-Control", "no-store");
    SendJson(res, 200, *body);
  });
  for (const char* alias : {"/ui", "/ui/", "/dashboard", "/dashboard/"}) {
    s.Get(alias, [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/"); });
  }
  s.Get(R"(/|/ui/[A-Za-z0-9_.\-]+)", [](const httplib::Request& req, httplib::Response& res) {
    const UiAsset* asset = FindUiAsset(req.path);
    if (!asset) {
      SendError(res, Error{ErrorKind::kNotFound, "no dashboard file " + req.path});
      return;
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_content(std::string(asset->body), std::string(asset->content_type));
  });
}

}  // namespace k2::service
