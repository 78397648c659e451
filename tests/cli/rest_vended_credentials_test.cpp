// Vended credentials end to end: `k2 serve` as the Iceberg REST catalog over
// an S3 warehouse (the loopback S3 server behind its SigV4-checking front)
// with service.rest_catalog.vend_credentials, and a k2 client on
// `catalog.type: rest` whose own S3 secret is wrong: the offload and the scan
// only succeed with the credentials the server vends (a client with no S3
// key at all scans the same rows); chDB (its own S3
// client, icebergS3) reads as many rows as the warm tier holds; the client's
// output never shows the vended secret. Without the header-driven vending
// (vend_credentials: off) the same client fails with SignatureDoesNotMatch.
#include <gtest/gtest.h>

#include <fstream>

#include "support/s3_server.h"
#include "support/support.h"

namespace k2::testing {
namespace {

std::string ServeConfig(const std::string& data_dir, const std::string& catalog_db,
                        const S3Server& s3, int port, const std::string& vend) {
  return fmt::format(
      "data_dir: {}\ncatalog: {{type: sql, uri: {}}}\n"
      "warehouse:\n  location: \"s3://{}/lake\"\n"
      "  s3: {{endpoint: \"{}\", access_key_id: {}, secret_access_key: {}}}\n"
      "tables:\n  - {{name: raw_trades, enabled: false}}\n"
      "maintenance:\n  compaction: {{schedule: \"\"}}\n  expire: {{schedule: \"\"}}\n"
      "  orphans: {{schedule: \"\"}}\n  manifests: {{schedule: \"\"}}\n"
      "  audit: {{schedule: \"\"}}\n"
      "service:\n  listen: 127.0.0.1:{}\n  shutdown_grace: 2s\n"
      "  rest_catalog: {{enabled: true, tokens: [rw-token], vend_credentials: {}}}\n",
      data_dir, catalog_db, s3.bucket(), s3.endpoint(), S3Server::kAccessKey, S3Server::kSecret,
      port, vend);
}

TEST(RestVendedCredentialsTest, AClientWithAWrongSecretOffloadsAndScansWithVendedOnes) {
  auto lib = ChdbLibraryPath();
  if (!lib) GTEST_SKIP() << "libchdb.so not installed (scripts/install-deps)";
  K2_START_S3(s3);
  TempDir dir;
  const int port = FreeLoopbackPort();
  const std::string client_secret = "client-wrong-secret";
  std::string config = dir / "k2.yaml";
  std::ofstream(config) << "data_dir: " << (dir / "client") << "\nwarm: {kind: embedded, "
                        << "chdb_library: " << *lib << "}\ncatalog: {type: rest, uri: "
                        << "\"http://127.0.0.1:" << port << "/iceberg\", token: rw-token}\n"
                        << "warehouse:\n  location: \"s3://" << s3->bucket() << "/lake\"\n"
                        << "  s3: {endpoint: \"" << s3->endpoint()
                        << "\", access_key_id: " << S3Server::kAccessKey
                        << ", secret_access_key: " << client_secret << ", retries: 0}\n"
                        << "offload: {max_windows_per_run: 100}\n"
                        << "tables:\n  - {name: raw_trades}\n";
  auto k2 = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {K2_BINARY, "--config", config, "--log-level", "warn"});
    return RunProcess(args, {"K2_S3_RETRY_BASE_MS=5"});
  };
  const std::string start = WholeHoursAgo(4);
  ProcessResult gen = k2({"generate", "--hours", "3", "--rate", "1", "--symbols", "2", "--seed",
                          "5", "--start", start});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;

  {
    // Not vending: the client's own (wrong) secret is used and refused.
    std::string serve_config = dir / "serve-off.yaml";
    std::ofstream(serve_config) << ServeConfig(dir / "serve", dir / "catalog.db", *s3, port,
                                               "\"off\"");
    ServeProcess serve(K2_BINARY, serve_config, dir / "serve-off.log", port, {}, "warn");
    ASSERT_TRUE(serve.AwaitUp()) << "k2 serve did not answer on port " << port;
    ProcessResult off = k2({"offload"});
    EXPECT_NE(off.exit_code, 0) << off.out << off.err;
    EXPECT_NE(off.err.find("SignatureDoesNotMatch"), std::string::npos) << off.err;
    EXPECT_EQ(serve.Terminate(), 0);
  }

  std::string serve_config = dir / "serve.yaml";
  std::ofstream(serve_config) << ServeConfig(dir / "serve", dir / "catalog.db", *s3, port,
                                             "read-write");
  ServeProcess serve(K2_BINARY, serve_config, dir / "serve.log", port, {}, "warn");
  ASSERT_TRUE(serve.AwaitUp()) << "k2 serve did not answer on port " << port;
  ProcessResult off = k2({"offload", "--json"});
  ASSERT_EQ(off.exit_code, 0) << off.out << off.err;
  EXPECT_EQ((off.out + off.err).find(S3Server::kSecret), std::string::npos) << "secret leaked";

  ProcessResult warm = k2({"warm", "query", "SELECT count() FROM raw_trades"});
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  const std::string warm_count = warm.out.substr(0, warm.out.find('\n'));
  ASSERT_NE(warm_count, "0");

  ProcessResult scan =
      k2({"scan", "market.raw_trades", "--columns", "exchange", "--format", "json"});
  ASSERT_EQ(scan.exit_code, 0) << scan.err;
  EXPECT_EQ(std::to_string(std::count(scan.out.begin(), scan.out.end(), '\n')), warm_count);

  // A client with no S3 key at all reads with the vended ones too.
  std::string bare = dir / "bare.yaml";
  std::ofstream(bare) << "data_dir: " << (dir / "bare") << "\ncatalog: {type: rest, uri: "
                      << "\"http://127.0.0.1:" << port << "/iceberg\", token: rw-token}\n"
                      << "warehouse:\n  location: \"s3://" << s3->bucket() << "/lake\"\n"
                      << "  s3: {endpoint: \"" << s3->endpoint() << "\"}\n"
                      << "tables:\n  - {name: raw_trades}\n";
  ProcessResult bare_scan =
      RunProcess({K2_BINARY, "--config", bare, "--log-level", "warn", "scan", "market.raw_trades",
                  "--columns", "exchange", "--format", "json"},
                 {"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN="});
  ASSERT_EQ(bare_scan.exit_code, 0) << bare_scan.err;
  EXPECT_EQ(bare_scan.out, scan.out);

  K2_ASSERT_OK_AND_ASSIGN(
      auto cold, QueryChdb(fmt::format("SELECT toString(count()) AS c FROM "
                                       "icebergS3('{}/{}/lake/market/raw_trades', '{}', '{}')",
                                       s3->endpoint(), s3->bucket(), S3Server::kAccessKey,
                                       S3Server::kSecret)));
  EXPECT_EQ(cold[0]["c"].get<std::string>(), warm_count);
  EXPECT_EQ(serve.Terminate(), 0);
}

}  // namespace
}  // namespace k2::testing
