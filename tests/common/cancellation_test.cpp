#include "common/cancellation.h"

#include <gtest/gtest.h>

#include "support/support.h"

namespace k2 {
namespace {

TEST(CancellationTokenTest, FirstReasonWinsAndCheckReportsKind) {
  CancellationToken token;
  K2_EXPECT_OK(token.Check("offload t"));
  token.Cancel(CancelReason::kTimeout);
  token.Cancel(CancelReason::kShutdown);
  EXPECT_EQ(token.reason(), CancelReason::kTimeout);
  K2_ASSERT_ERROR_KIND(token.Check("offload t"), ErrorKind::kTimeout);
  CancellationToken shutdown;
  shutdown.Cancel(CancelReason::kShutdown);
  K2_ASSERT_ERROR_KIND(shutdown.Check("offload t"), ErrorKind::kCancelled);
  EXPECT_NE(shutdown.Check("offload t").error().message.find("offload t"), std::string::npos);
  EXPECT_FALSE(IsCancelled(nullptr));
  EXPECT_TRUE(IsCancelled(&shutdown));
}

}  // namespace
}  // namespace k2
