// The HTTP driver over TLS against a real clickhouse-server 18.16 serving
// https_port with a self-signed certificate made by `openssl` here: trusted
// when the certificate is given as the CA, a clear kInvalidInput otherwise.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "support/support.h"
#include "warm/warm_driver.h"

namespace k2::warm {
namespace {

namespace fs = std::filesystem;

constexpr const char* kServerBinary = "/usr/sbin/clickhouse-server";

/// clickhouse-server with http_port and https_port on loopback, in a temp dir.
class TlsServer {
 public:
  ~TlsServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }

  /// Makes the certificate and starts the server; "" when ready, else why not.
  std::string Start() {
    const std::string& d = dir_.path();
    for (const char* sub : {"data", "tmp", "user_files", "log", "format_schemas"}) {
      fs::create_directories(d + "/" + sub);
    }
    auto cert = k2::testing::RunProcess({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                                         "-keyout", d + "/key.pem", "-out", d + "/cert.pem",
                                         "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                                         "subjectAltName=IP:127.0.0.1"});
    if (cert.exit_code != 0) return "openssl req failed: " + cert.err;
    http_port_ = k2::testing::FreeLoopbackPort();
    https_port_ = k2::testing::FreeLoopbackPort();
    int tcp_port = k2::testing::FreeLoopbackPort();
    std::ofstream(d + "/config.xml") << fmt::format(R"(<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{0}/log/server.log</log><errorlog>{0}/log/error.log</errorlog><console>0</console></logger>
  <http_port>{1}</http_port>
  <https_port>{2}</https_port>
  <tcp_port>{3}</tcp_port>
  <openSSL><server>
    <certificateFile>{0}/cert.pem</certificateFile><privateKeyFile>{0}/key.pem</privateKeyFile>
    <verificationMode>none</verificationMode><loadDefaultCAFile>false</loadDefaultCAFile>
    <cacheSessions>true</cacheSessions><disableProtocols>sslv2,sslv3</disableProtocols>
    <preferServerCiphers>true</preferServerCiphers>
  </server></openSSL>
  <listen_host>127.0.0.1</listen_host>
  <path>{0}/data/</path>
  <tmp_path>{0}/tmp/</tmp_path>
  <user_files_path>{0}/user_files/</user_files_path>
  <format_schema_path>{0}/format_schemas/</format_schema_path>
  <users_config>{0}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
</yandex>
)",
                                                    d, http_port_, https_port_, tcp_port);
    std::ofstream(d + "/users.xml") << R"(<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users>
    <k2><password>secret</password><networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota></k2>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
)";
    pid_ = fork();
    if (pid_ == 0) {
      std::string cfg = "--config-file=" + d + "/config.xml";
      std::string out = d + "/log/stdout.log";
      FILE* f = freopen(out.c_str(), "w", stdout);
      f = freopen(out.c_str(), "a", stderr);
      (void)f;
      execl(kServerBinary, kServerBinary, cfg.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = k2::testing::RunProcess(
          {"curl", "-sf", "--max-time", "2", "--cacert", cert_file(), https_url() + "/ping"});
      if (r.exit_code == 0 && r.out.starts_with("Ok.")) return "";
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return "clickhouse-server exited during start-up; see " + d + "/log";
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return "clickhouse-server did not answer https /ping in 30 s";
  }

  std::string https_url() const { return fmt::format("https://127.0.0.1:{}", https_port_); }
  std::string cert_file() const { return dir_.path() + "/cert.pem"; }

 private:
  k2::testing::TempDir dir_;
  pid_t pid_ = -1;
  int http_port_ = 0;
  int https_port_ = 0;
};

TEST(HttpTlsTest, TrustedCaWorksUnknownCaIsAClearError) {
  if (!fs::exists(kServerBinary)) GTEST_SKIP() << kServerBinary << " is not installed";
  TlsServer server;
  std::string why = server.Start();
  ASSERT_EQ(why, "");

  HttpDriverOptions o;
  o.url = server.https_url();
  o.user = "k2";
  o.password = "secret";
  o.ca_file = server.cert_file();
  K2_ASSERT_OK_AND_ASSIGN(auto driver, OpenHttpDriver(o));
  K2_ASSERT_OK_AND_ASSIGN(auto reader,
                          driver->Query("SELECT number AS n FROM system.numbers LIMIT 100000"));
  uint64_t rows = 0;
  int64_t sum = 0;
  while (true) {
    K2_ASSERT_OK_AND_ASSIGN(auto b, reader->Next());
    if (!b) break;
    for (size_t r = 0; r < b->num_rows(); ++r) sum += b->columns[0].Value<int64_t>(r);
    rows += b->num_rows();
  }
  EXPECT_EQ(rows, 100000u);
  EXPECT_EQ(sum, int64_t{99999} * 100000 / 2);

  // Without the CA, the self-signed certificate is not trusted: kInvalidInput
  // (not retried) naming the URL and TLS.
  o.ca_file.clear();
  auto untrusted = OpenHttpDriver(o);
  ASSERT_FALSE(untrusted.has_value());
  EXPECT_EQ(untrusted.error().kind, ErrorKind::kInvalidInput) << untrusted.error().ToString();
  EXPECT_NE(untrusted.error().message.find("TLS"), std::string::npos) << untrusted.error().message;
  EXPECT_NE(untrusted.error().message.find(server.https_url()), std::string::npos)
      << untrusted.error().message;

  // A CA file that does not exist is an error too, not a silent fallback.
  o.ca_file = "/nonexistent/ca.pem";
  auto missing = OpenHttpDriver(o);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().kind, ErrorKind::kInvalidInput) << missing.error().ToString();
}

}  // namespace
}  // namespace k2::warm
