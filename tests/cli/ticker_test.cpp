// The progress line of commands whose work reports nothing while it runs.
#include "cli/ticker.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace k2::cli {
namespace {

using std::chrono::milliseconds;

struct MemoryStream {
  char* data = nullptr;
  size_t size = 0;
  std::FILE* file = open_memstream(&data, &size);
  ~MemoryStream() {
    if (file) std::fclose(file);
    std::free(data);
  }
  std::string Text() {
    std::fflush(file);
    return std::string(data, size);
  }
};

TEST(TickerTest, RewritesOneLineWhileWorkRunsThenClearsIt) {
  MemoryStream out;
  ASSERT_NE(out.file, nullptr);
  int calls = 0;
  {
    Ticker t(
        out.file,
        [&](double s) {
          ++calls;
          EXPECT_GE(s, 0.02);
          return "running " + std::to_string(calls);
        },
        milliseconds(20), milliseconds(5));
    std::this_thread::sleep_for(milliseconds(120));
  }
  const std::string text = out.Text();
  EXPECT_GE(calls, 2);
  EXPECT_EQ(text.rfind("\r\033[Krunning 1", 0), 0u) << text;
  EXPECT_NE(text.find("\r\033[Krunning 2"), std::string::npos) << text;
  EXPECT_TRUE(text.ends_with("\r\033[K")) << text;  // the line is cleared
  EXPECT_EQ(text.find('\n'), std::string::npos) << text;
}

TEST(TickerTest, QuickWorkPrintsNothing) {
  MemoryStream out;
  ASSERT_NE(out.file, nullptr);
  Ticker t(
      out.file, [](double) { return std::string("never"); }, milliseconds(500));
  t.Stop();
  t.Stop();
  EXPECT_EQ(out.Text(), "");
}

}  // namespace
}  // namespace k2::cli
