#include "jobs/warm_source.h"

#include <gtest/gtest.h>

#include "support/support.h"

namespace k2::jobs {
namespace {

TEST(WarmSourceTest, MergingEnginesAreDetectedWithTheirReplicatedForms) {
  for (const char* e : {"ReplacingMergeTree", "ReplicatedReplacingMergeTree", "CollapsingMergeTree",
                        "VersionedCollapsingMergeTree", "AggregatingMergeTree",
                        "ReplicatedAggregatingMergeTree", "SummingMergeTree"}) {
    EXPECT_TRUE(IsMergingEngine(e)) << e;
  }
  for (const char* e : {"MergeTree", "ReplicatedMergeTree", "Log", "", "View"}) {
    EXPECT_FALSE(IsMergingEngine(e)) << e;
  }
}

}  // namespace
}  // namespace k2::jobs
