// The HTTP driver's transport against a scripted HTTP server on loopback:
// retries on transient failures (503, a dropped connection), keep-alive
// (one connection for many requests), compressed responses.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "support/support.h"
#include "warm/warm_driver.h"

namespace k2::warm {
namespace {

/// A minimal HTTP/1.1 server speaking just enough of ClickHouse's HTTP
/// interface: `SELECT version()` answers "18.16.1", every other request is
/// handed to `respond`, which returns the whole raw response or "" to drop
/// the connection without answering. Connections are kept alive.
class ScriptedServer {
 public:
  using Responder = std::function<std::string(int query_no, const std::string& head)>;

  explicit ScriptedServer(Responder respond) : respond_(std::move(respond)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    socklen_t len = sizeof(a);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    listen(listen_fd_, 16);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~ScriptedServer() {
    stop_ = true;
    acceptor_.join();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : workers_) t.join();
    close(listen_fd_);
  }

  std::string url() const { return fmt::format("http://127.0.0.1:{}", port_); }
  int connections() const { return connections_; }
  int queries() const { return queries_; }
  std::vector<std::string> heads() {
    std::lock_guard<std::mutex> lock(mu_);
    return heads_;
  }

 private:
  void AcceptLoop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      ++connections_;
      std::lock_guard<std::mutex> lock(mu_);
      open_fds_.push_back(fd);
      workers_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  void Serve(int fd) {
    std::string in;
    char buf[65536];
    while (true) {
      size_t head_end;
      while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) return;
        in.append(buf, static_cast<size_t>(n));
      }
      std::string head = in.substr(0, head_end);
      size_t body_len = 0;
      for (const char* name : {"Content-Length: ", "content-length: "}) {
        size_t at = head.find(name);
        if (at != std::string::npos) body_len = std::stoul(head.substr(at + std::strlen(name)));
      }
      while (in.size() < head_end + 4 + body_len) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) return;
        in.append(buf, static_cast<size_t>(n));
      }
      std::string body = in.substr(head_end + 4, body_len);
      in.erase(0, head_end + 4 + body_len);
      std::string response;
      if (body == "SELECT version()") {
        response = Response("18.16.1\n");
      } else {
        {
          std::lock_guard<std::mutex> lock(mu_);
          heads_.push_back(head);
        }
        response = respond_(queries_++, head);
      }
      if (response.empty()) {  // drop the connection without an answer
        shutdown(fd, SHUT_RDWR);
        return;
      }
      size_t sent = 0;
      while (sent < response.size()) {
        ssize_t n = send(fd, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return;
        sent += static_cast<size_t>(n);
      }
    }
  }

 public:
  static std::string Response(const std::string& body, const std::string& status = "200 OK",
                              const std::string& extra_headers = "") {
    return fmt::format(
        "HTTP/1.1 {}\r\nContent-Length: {}\r\nX-ClickHouse-Query-Id: scripted\r\n{}\r\n{}", status,
        body.size(), extra_headers, body);
  }

 private:
  Responder respond_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> queries_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
  std::vector<int> open_fds_;
  std::vector<std::string> heads_;
};

/// RowBinaryWithNamesAndTypes for one UInt64 column `n` holding 0..rows-1.
std::string NumbersBody(uint64_t rows) {
  std::string out;
  auto str = [&](const std::string& s) {
    out.push_back(static_cast<char>(s.size()));
    out += s;
  };
  out.push_back(1);
  str("n");
  str("UInt64");
  for (uint64_t v = 0; v < rows; ++v) out.append(reinterpret_cast<const char*>(&v), 8);
  return out;
}

std::string Gzip(const std::string& data) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

uint64_t CountAndCheck(BatchReader& reader) {
  uint64_t n = 0;
  while (true) {
    auto b = reader.Next();
    EXPECT_TRUE(b.has_value()) << b.error().ToString();
    if (!b.has_value() || !*b) break;
    for (size_t r = 0; r < (*b)->num_rows(); ++r) {
      EXPECT_EQ((*b)->columns[0].Value<int64_t>(r), static_cast<int64_t>(n + r));
    }
    n += (*b)->num_rows();
  }
  return n;
}

TEST(HttpTransportTest, RetriesA503AndADroppedConnectionBeforeAnyRow) {
  ScriptedServer server([](int q, const std::string&) -> std::string {
    if (q == 0) return ScriptedServer::Response("overloaded", "503 Service Unavailable");
    if (q == 1) return "";  // connection dropped, no response at all
    return ScriptedServer::Response(NumbersBody(5000));
  });
  K2_ASSERT_OK_AND_ASSIGN(auto driver, OpenHttpDriver({.url = server.url(), .retries = 3}));
  K2_ASSERT_OK_AND_ASSIGN(auto reader, driver->Query("SELECT number AS n FROM numbers(5000)"));
  EXPECT_EQ(CountAndCheck(*reader), 5000u);
  EXPECT_EQ(server.queries(), 3);
}

TEST(HttpTransportTest, GivesUpAfterTheConfiguredRetriesWithAnIoError) {
  ScriptedServer server([](int, const std::string&) {
    return ScriptedServer::Response("overloaded", "503 Service Unavailable");
  });
  K2_ASSERT_OK_AND_ASSIGN(auto driver, OpenHttpDriver({.url = server.url(), .retries = 2}));
  auto r = driver->Query("SELECT 1");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::kIo);
  EXPECT_NE(r.error().message.find("HTTP 503"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("overloaded"), std::string::npos) << r.error().message;
  EXPECT_EQ(server.queries(), 3);  // the first try and two retries
}

TEST(HttpTransportTest, ClickHouseErrorsAreNotRetried) {
  ScriptedServer server([](int, const std::string&) {
    return ScriptedServer::Response(
        "Code: 60, e.displayText() = DB::Exception: Table default.nope doesn't exist., e.what() "
        "= DB::Exception\n",
        "404 Not Found", "X-ClickHouse-Exception-Code: 60\r\n");
  });
  K2_ASSERT_OK_AND_ASSIGN(auto driver, OpenHttpDriver({.url = server.url(), .retries = 3}));
  auto r = driver->Query("SELECT * FROM nope");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound) << r.error().ToString();
  EXPECT_EQ(server.queries(), 1);
}

TEST(HttpTransportTest, KeepAliveReusesOneConnection) {
  ScriptedServer server(
      [](int, const std::string&) { return ScriptedServer::Response(NumbersBody(1000)); });
  K2_ASSERT_OK_AND_ASSIGN(auto driver, OpenHttpDriver({.url = server.url()}));
  for (int i = 0; i < 5; ++i) {
    K2_ASSERT_OK_AND_ASSIGN(auto reader, driver->Query("SELECT number AS n FROM numbers(1000)"));
    EXPECT_EQ(CountAndCheck(*reader), 1000u);
  }
  K2_ASSERT_OK(driver->Execute("SELECT version()"));
  EXPECT_EQ(server.queries(), 5);
  EXPECT_EQ(server.connections(), 1);  // the version check and five queries on one socket
}

TEST(HttpTransportTest, CompressedResponsesAreDecoded) {
  std::atomic<int> gzipped{0};
  ScriptedServer server([&](int, const std::string& head) {
    std::string body = NumbersBody(100000);
    bool wants = head.find("enable_http_compression=1") != std::string::npos &&
                 head.find("gzip") != std::string::npos;
    if (!wants) return ScriptedServer::Response(body);
    ++gzipped;
    return ScriptedServer::Response(Gzip(body), "200 OK", "Content-Encoding: gzip\r\n");
  });
  K2_ASSERT_OK_AND_ASSIGN(auto driver, OpenHttpDriver({.url = server.url(), .compression = true}));
  K2_ASSERT_OK_AND_ASSIGN(auto reader, driver->Query("SELECT number AS n FROM numbers(100000)"));
  EXPECT_EQ(CountAndCheck(*reader), 100000u);
  EXPECT_EQ(gzipped.load(), 1);

  K2_ASSERT_OK_AND_ASSIGN(auto plain, OpenHttpDriver({.url = server.url(), .compression = false}));
  K2_ASSERT_OK_AND_ASSIGN(auto reader2, plain->Query("SELECT number AS n FROM numbers(100000)"));
  EXPECT_EQ(CountAndCheck(*reader2), 100000u);
  EXPECT_EQ(gzipped.load(), 1);  // not asked for, not sent
  auto heads = server.heads();
  ASSERT_EQ(heads.size(), 2u);
  EXPECT_EQ(heads[1].find("Accept-Encoding"), std::string::npos) << heads[1];
}

}  // namespace
}  // namespace k2::warm
