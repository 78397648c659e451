#include "common/config.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "support/support.h"

namespace k2 {
namespace {

TEST(ConfigTest, ExampleLoadsToTheDefaults) {
  K2_ASSERT_OK_AND_ASSIGN(Config c, ParseConfig(ExampleConfigYaml(), "/etc/k2/k2.yaml"));
  Config d = DefaultConfig("/etc/k2/k2-data");
  EXPECT_EQ(c.data_dir, d.data_dir);
  EXPECT_EQ(c.warm.kind, WarmKind::kEmbedded);
  EXPECT_EQ(c.warm.data_dir, "/etc/k2/k2-data/clickhouse");
  EXPECT_EQ(c.catalog.uri, "/etc/k2/k2-data/catalog.db");
  EXPECT_EQ(c.warehouse.location, "/etc/k2/k2-data/warehouse");
  ASSERT_EQ(c.tables.size(), d.tables.size());
  for (size_t i = 0; i < c.tables.size(); ++i) {
    EXPECT_EQ(c.tables[i].name, d.tables[i].name);
    EXPECT_EQ(c.tables[i].schedule, d.tables[i].schedule);
    EXPECT_EQ(c.tables[i].window_s, d.tables[i].window_s);
    EXPECT_EQ(c.tables[i].partition, d.tables[i].partition);
    EXPECT_EQ(c.tables[i].target, d.tables[i].target);
  }
  EXPECT_EQ(c.maintenance.expire_older_than_s, 7 * 86400);
  EXPECT_EQ(c.offload.settle_delay_s, 300);
}

TEST(ConfigTest, DefaultsDescribeThePlatformSchedule) {
  Config d = DefaultConfig("k2-data");
  K2_ASSERT_OK_AND_ASSIGN(const TableConfig* raw, d.FindTable("raw_trades"));
  EXPECT_EQ(raw->schedule, "0 5 * * * *");
  K2_ASSERT_OK_AND_ASSIGN(const TableConfig* silver, d.FindTable("market.silver_trades"));
  EXPECT_EQ(silver->schedule, "0 7 * * * *");
  K2_ASSERT_OK_AND_ASSIGN(const TableConfig* daily, d.FindTable("gold_ohlcv_1d"));
  EXPECT_EQ(daily->window_s, 86400);
  EXPECT_EQ(daily->schedule, "0 9 * * * *");
  EXPECT_EQ(d.maintenance.compaction_schedule, "0 0 2 * * *");
  EXPECT_EQ(d.maintenance.expire_schedule, "0 20 2 * * *");
  EXPECT_EQ(d.maintenance.audit_schedule, "0 0 3 * * SUN");
  K2_ASSERT_ERROR_KIND(d.FindTable("nope"), ErrorKind::kNotFound);
}

TEST(ConfigTest, UnknownKeyNamesKeyAndLine) {
  auto c = ParseConfig("warm:\n  kind: http\n  url: http://h:8123\n  pasword: x\n", "k2.yaml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(c.error().message.find("warm.pasword (line 4)"), std::string::npos)
      << c.error().message;
  auto top = ParseConfig("data_dir: x\nwarehous:\n  location: y\n", "k2.yaml");
  ASSERT_FALSE(top);
  EXPECT_NE(top.error().message.find("warehous (line 2)"), std::string::npos)
      << top.error().message;
}

TEST(ConfigTest, BadValuesNameTheKey) {
  struct Case {
    const char* yaml;
    const char* expect;
  };
  const Case cases[] = {
      {"warm: {kind: remote}", "warm.kind (line 1)"},
      {"offload:\n  settle_delay: soon\n", "offload.settle_delay (line 2)"},
      {"offload: {max_parallel_tables: 0}", "offload.max_parallel_tables"},
      {"tables:\n  - {name: t, window: 7m}\n", "tables[0].window (line 2)"},
      {"tables:\n  - {name: t, partition: [weekly]}\n", "tables[0].partition"},
      {"tables:\n  - {name: t, partition: [identity]}\n", "tables[0].partition"},
      {"tables:\n  - {name: t, schedule: \"5 * *\"}\n", "tables[0].schedule"},
      {"tables:\n  - {name: t}\n  - {name: t}\n", "listed twice"},
      {"maintenance: {orphans: {older_than: 1h}}", "maintenance.orphans.older_than"},
      {"warm: [1, 2]", "warm (line 1): expected a mapping"},
      {"warm: {kind: http, url: ftp://x}", "warm.url"},
      {"warm: {compression: maybe}", "warm.compression (line 1)"},
      {"data_dir: [unclosed", "k2.yaml (line 1)"},
  };
  for (const auto& tc : cases) {
    auto c = ParseConfig(tc.yaml, "k2.yaml");
    ASSERT_FALSE(c) << tc.yaml;
    EXPECT_EQ(c.error().kind, ErrorKind::kInvalidInput) << tc.yaml;
    EXPECT_NE(c.error().message.find(tc.expect), std::string::npos)
        << tc.yaml << " -> " << c.error().message;
  }
}

TEST(ConfigTest, EnvSubstitutionForSecrets) {
  ::setenv("K2_TEST_CH_PASSWORD", "s3cret", 1);
  K2_ASSERT_OK_AND_ASSIGN(Config c,
                          ParseConfig("warm:\n  kind: http\n  password: ${K2_TEST_CH_PASSWORD}\n"
                                      "  user: ${K2_TEST_UNSET_USER:-reader}\n",
                                      "/x/k2.yaml"));
  EXPECT_EQ(c.warm.password, "s3cret");
  EXPECT_EQ(c.warm.user, "reader");
  auto missing = ParseConfig("warm:\n  password: ${K2_TEST_DEFINITELY_UNSET}\n", "k2.yaml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("K2_TEST_DEFINITELY_UNSET is not set"), std::string::npos);
}

TEST(ConfigTest, TablesGetDefaultsAndPathsResolveNextToTheFile) {
  K2_ASSERT_OK_AND_ASSIGN(
      Config c, ParseConfig("data_dir: data\ncatalog: {uri: \"postgresql://u:pw@h:5432/db\"}\n"
                            "tables:\n  - {name: bronze_trades, partition: hour}\n",
                            "/srv/k2/k2.yaml"));
  EXPECT_EQ(c.data_dir, "/srv/k2/data");
  EXPECT_EQ(c.warehouse.location, "/srv/k2/data/warehouse");
  EXPECT_EQ(c.warm.compression, "auto");
  EXPECT_EQ(c.catalog.uri, "postgresql://u:pw@h:5432/db");
  ASSERT_EQ(c.tables.size(), 1u);
  EXPECT_EQ(c.tables[0].layer, "bronze");
  EXPECT_EQ(c.tables[0].schedule, "0 6 * * * *");
  EXPECT_EQ(c.tables[0].target, "market.bronze_trades");
  EXPECT_EQ(c.tables[0].partition, std::vector<std::string>{"hour"});
  EXPECT_EQ(RedactUri(c.catalog.uri), "postgresql://u:***@h:5432/db");
  // One redaction for every URI: query-string and conninfo secrets too.
  EXPECT_EQ(RedactUri("postgresql://h/db?user=u&password=p4ss"),
            "postgresql://h/db?user=u&password=***");
  EXPECT_EQ(RedactUri("host=h password=p4ss dbname=k2"), "host=h password=*** dbname=k2");
  EXPECT_EQ(RedactUri("https://cat/v1?token=abc&x=1"), "https://cat/v1?token=***&x=1");
}

TEST(ConfigTest, KindsReadAndPrintTheirConfigSpelling) {
  K2_ASSERT_OK_AND_ASSIGN(
      Config c,
      ParseConfig("warm: {kind: http, url: \"http://ch:8123\"}\ncatalog: {type: sql}\n"
                  "service: {rest_catalog: {enabled: true, vend_credentials: read-write}}\n",
                  "/srv/k2/k2.yaml"));
  EXPECT_EQ(c.warm.kind, WarmKind::kHttp);
  EXPECT_EQ(WarmKindName(c.warm.kind), "http");
  EXPECT_EQ(CatalogKindName(c.catalog.type), "sql");
  EXPECT_EQ(c.service.rest_catalog.vend_credentials, VendCredentials::kReadWrite);
  EXPECT_EQ(VendCredentialsName(c.service.rest_catalog.vend_credentials), "read-write");
  EXPECT_EQ(DefaultConfig("d").service.rest_catalog.vend_credentials, VendCredentials::kOff);
  auto bad = ParseConfig("service: {rest_catalog: {vend_credentials: some}}\n", "k2.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("service.rest_catalog.vend_credentials (line 1): expected "
                                     "off, read-write or all"),
            std::string::npos)
      << bad.error().message;
}

TEST(ConfigTest, RestCatalogClientAndServerSections) {
  K2_ASSERT_OK_AND_ASSIGN(
      Config c,
      ParseConfig("catalog: {type: rest, uri: \"http://cat:9464/iceberg\", warehouse: k2, "
                  "credential: \"id:secret\", scope: catalog, headers: {X-Tenant: desk}}\n"
                  "state: {uri: state/jobs.db}\n",
                  "/srv/k2/k2.yaml"));
  EXPECT_EQ(c.catalog.type, CatalogKind::kRest);
  EXPECT_EQ(c.catalog.headers.at("X-Tenant"), "desk");
  EXPECT_EQ(c.state.uri, "/srv/k2/state/jobs.db");
  auto no_uri = ParseConfig("catalog: {type: rest}\n", "k2.yaml");
  ASSERT_FALSE(no_uri);
  EXPECT_NE(no_uri.error().message.find("catalog.uri"), std::string::npos);
  auto bad_credential =
      ParseConfig("catalog: {type: rest, uri: \"http://c\", credential: nocolon}\n", "k2.yaml");
  ASSERT_FALSE(bad_credential);
  EXPECT_EQ(bad_credential.error().message.find("nocolon"), std::string::npos);

  K2_ASSERT_OK_AND_ASSIGN(
      Config s, ParseConfig("service:\n  rest_catalog: {enabled: true, listen: \"127.0.0.1:0\", "
                            "tokens: [a, b], clients: [\"spark:s\"], token_ttl: 10m}\n",
                            "k2.yaml"));
  EXPECT_TRUE(s.service.rest_catalog.enabled);
  EXPECT_EQ(s.service.rest_catalog.tokens, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s.service.rest_catalog.token_ttl_s, 600);
  EXPECT_FALSE(ParseConfig("service: {rest_catalog: {clients: [nocolon]}}\n", "k2.yaml"));
  EXPECT_FALSE(
      ParseConfig("catalog: {type: rest, uri: \"http://c\"}\n"
                  "service: {rest_catalog: {enabled: true}}\n",
                  "k2.yaml"));
}

TEST(ConfigTest, WarmTlsCaFileResolvesNextToTheFile) {
  K2_ASSERT_OK_AND_ASSIGN(
      Config c, ParseConfig("warm: {kind: http, url: \"https://ch:8443\", ca_file: certs/ca.pem, "
                            "compression: on}\n",
                            "/srv/k2/k2.yaml"));
  EXPECT_EQ(c.warm.ca_file, "/srv/k2/certs/ca.pem");
  EXPECT_EQ(c.warm.compression, "on");
}

TEST(ConfigTest, DurationsAndSizes) {
  EXPECT_EQ(*ParseDurationSeconds("90s"), 90);
  EXPECT_EQ(*ParseDurationSeconds("5m"), 300);
  EXPECT_EQ(*ParseDurationSeconds("7d"), 7 * 86400);
  EXPECT_FALSE(ParseDurationSeconds("h"));
  EXPECT_EQ(*ParseByteSize("128MB"), 128LL << 20);
  EXPECT_EQ(*ParseByteSize("1GiB"), 1LL << 30);
  EXPECT_FALSE(ParseByteSize("lots"));
}

}  // namespace
}  // namespace k2
