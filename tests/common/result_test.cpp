#include "common/result.h"

#include <gtest/gtest.h>

#include "support/support.h"

namespace k2 {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return MakeError(ErrorKind::kInvalidInput, "{} is odd", x);
  return x / 2;
}

Result<int> Quarter(int x) {
  K2_ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

Status CheckEven(int x) {
  K2_RETURN_IF_ERROR(Half(x));
  return {};
}

TEST(ResultTest, PropagatesValuesAndErrors) {
  EXPECT_EQ(*Quarter(8), 2);
  K2_ASSERT_ERROR_KIND(Quarter(6), ErrorKind::kInvalidInput);
  EXPECT_EQ(Quarter(6).error().message, "3 is odd");
  K2_EXPECT_OK(CheckEven(4));
  K2_ASSERT_ERROR_KIND(CheckEven(5), ErrorKind::kInvalidInput);
}

TEST(ResultTest, ContextKeepsKind) {
  Error e{ErrorKind::kNotFound, "table t"};
  Error c = e.WithContext("offload");
  EXPECT_EQ(c.kind, ErrorKind::kNotFound);
  EXPECT_EQ(c.ToString(), "not_found: offload: table t");
}

TEST(ResultTest, ParseErrorKindReadsEveryName) {
  for (int k = 0; k <= static_cast<int>(ErrorKind::kInternal); ++k) {
    auto kind = static_cast<ErrorKind>(k);
    EXPECT_EQ(ParseErrorKind(ErrorKindName(kind)), kind);
  }
  EXPECT_EQ(ParseErrorKind("kRemote"), std::nullopt);
  EXPECT_EQ(ParseErrorKind(""), std::nullopt);
}

}  // namespace
}  // namespace k2
