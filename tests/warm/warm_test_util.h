#pragma once
// Shared by the warm tests: compares decoded batches with ClickHouse's own
// JSONEachRow rendering of the same query, and opens the per-process embedded engine.

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "columnar/value.h"
#include "support/support.h"
#include "warm/warm_driver.h"

namespace k2::warm::testing {

/// Settings that make JSONEachRow print 64-bit integers and decimals as exact strings.
inline constexpr const char* kJsonSettings =
    " SETTINGS output_format_json_quote_64bit_integers = 1, output_format_json_quote_decimals = 1, "
    "output_format_decimal_trailing_zeros = 1";

inline std::string StripWrappers(std::string t) {
  for (const char* w : {"Nullable(", "LowCardinality("}) {
    while (t.starts_with(w))
      t = t.substr(std::string(w).size(), t.size() - std::string(w).size() - 1);
  }
  return t;
}

inline std::string JsonText(const nlohmann::json& j) {
  return j.is_string() ? j.get<std::string>() : j.dump();
}

/// Compares one decoded value with ClickHouse's JSON for it; returns "" if equal.
inline std::string CompareValue(const Column& c, size_t row, const std::string& ch_type,
                                const nlohmann::json& j) {
  std::string t = StripWrappers(ch_type);
  if (!c.IsValid(row)) return j.is_null() ? "" : "decoded null, ClickHouse has " + j.dump();
  if (j.is_null()) return "ClickHouse null, decoded a value";
  std::string got;
  std::string want = JsonText(j);
  switch (c.type().id) {
    case TypeId::kBoolean:
      got = c.Value<uint8_t>(row) ? "true" : "false";
      break;
    case TypeId::kInt32:
      got = std::to_string(c.Value<int32_t>(row));
      break;
    case TypeId::kInt64:
      if (t.starts_with("DateTime")) {
        got = std::to_string(c.Value<int64_t>(row));
        want = std::to_string(*ParseTimestampMicros(JsonText(j)));
      } else {
        got = std::to_string(c.Value<int64_t>(row));
      }
      break;
    case TypeId::kTimestampTz: {
      got = std::to_string(c.Value<int64_t>(row));
      auto parsed = ParseTimestampMicros(JsonText(j));
      if (!parsed) return "cannot parse ClickHouse timestamp " + JsonText(j);
      want = std::to_string(*parsed);
      break;
    }
    case TypeId::kTimestampNs: {
      int64_t v = c.Value<int64_t>(row);
      std::string text = JsonText(j);
      auto parsed = ParseTimestampMicros(text.substr(0, text.size() - 3));
      if (!parsed) return "cannot parse ClickHouse timestamp " + text;
      got = std::to_string(v);
      want = std::to_string(*parsed * 1000 + std::stoi(text.substr(text.size() - 3)));
      break;
    }
    case TypeId::kFloat:
      if (c.Value<float>(row) != std::stof(want)) {
        return fmt::format("float {} vs {}", c.Value<float>(row), j.dump());
      }
      return "";
    case TypeId::kDouble:
      if (c.Value<double>(row) != std::stod(want)) {
        return fmt::format("double {} vs {}", c.Value<double>(row), j.dump());
      }
      return "";
    case TypeId::kDecimal:
      got = FormatDecimal(c.DecimalValue(row), c.type().scale);
      break;
    case TypeId::kDate:
      got = FormatDate(c.Value<int32_t>(row));
      break;
    case TypeId::kUuid:
      got = Value::FromColumn(c, row).ToString();
      break;
    default:
      got = std::string(c.Bytes(row));
      break;
  }
  return got == want ? "" : fmt::format("decoded '{}' vs ClickHouse '{}'", got, want);
}

/// Reads every batch of `reader` and compares it row by row with `json_rows`.
inline void ExpectBatchesMatchJson(BatchReader& reader,
                                   const std::vector<std::pair<std::string, std::string>>& types,
                                   const std::vector<nlohmann::json>& json_rows) {
  size_t row_base = 0;
  while (true) {
    auto next = reader.Next();
    ASSERT_TRUE(next.has_value()) << next.error().ToString();
    const ColumnBatch* batch = *next;
    if (!batch) break;
    K2_ASSERT_OK(batch->Validate());
    for (size_t r = 0; r < batch->num_rows(); ++r) {
      ASSERT_LT(row_base + r, json_rows.size());
      const auto& jrow = json_rows[row_base + r];
      for (size_t c = 0; c < batch->num_columns(); ++c) {
        const std::string& name = reader.schema().fields[c].name;
        ASSERT_TRUE(jrow.contains(name)) << name;
        std::string diff = CompareValue(batch->columns[c], r, types[c].second, jrow[name]);
        EXPECT_EQ(diff, "") << "row " << row_base + r << " column " << name << " ("
                            << types[c].second << ")";
      }
    }
    row_base += batch->num_rows();
  }
  EXPECT_EQ(row_base, json_rows.size());
}

inline std::vector<nlohmann::json> ParseJsonEachRow(const std::string& text) {
  std::vector<nlohmann::json> rows;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    // Bare numbers are quoted first so that their exact text survives parsing
    // (old servers print decimals as JSON numbers).
    static const std::regex kNumber(R"re(([:,\[])(-?[0-9][0-9.eE+-]*)(?=[,}\]]))re");
    if (nl > start) {
      std::string line = std::regex_replace(text.substr(start, nl - start), kNumber, "$1\"$2\"");
      rows.push_back(nlohmann::json::parse(line));
    }
    start = nl + 1;
  }
  return rows;
}

/// The embedded engine for this test process (one data dir per process), or
/// nullptr with the skip reason when libchdb.so is not installed.
inline WarmDriver* EmbeddedForTests(std::string* skip_reason) {
  static std::unique_ptr<WarmDriver> driver;
  if (driver) return driver.get();
  auto lib = k2::testing::ChdbLibraryPath();
  if (!lib) {
    *skip_reason = "libchdb.so is not installed (scripts/install-deps)";
    return nullptr;
  }
  EmbeddedDriverOptions options;
  options.data_dir = k2::testing::EmbeddedEngineDir();
  options.library_path = *lib;
  auto d = OpenEmbeddedDriver(options);
  if (!d) {
    *skip_reason = "";
    ADD_FAILURE() << d.error().ToString();
    return nullptr;
  }
  driver = std::move(*d);
  return driver.get();
}

#define K2_EMBEDDED(var)                                                             \
  std::string var##_skip_;                                                           \
  ::k2::warm::WarmDriver* var = ::k2::warm::testing::EmbeddedForTests(&var##_skip_); \
  if (!var && !var##_skip_.empty()) GTEST_SKIP() << var##_skip_;                     \
  ASSERT_NE(var, nullptr)

}  // namespace k2::warm::testing
