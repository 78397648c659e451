#include <gtest/gtest.h>

#include <filesystem>

#include "io/file_io.h"
#include "support/support.h"

namespace k2 {
namespace {

TEST(LocalFileIOTest, WriteIsInvisibleUntilFinish) {
  testing::TempDir dir;
  auto io = NewLocalFileIO();
  std::string path = dir / "a/b/c.bin";
  K2_ASSERT_OK_AND_ASSIGN(auto out, io->OpenOutput(path));
  K2_ASSERT_OK(out->Write("hello "));
  K2_ASSERT_OK(out->Write("world"));
  EXPECT_EQ(out->Position(), 11u);
  EXPECT_FALSE(*io->Exists(path));
  K2_ASSERT_OK(out->Finish());
  EXPECT_EQ(*io->ReadAll(path), "hello world");
  K2_ASSERT_OK_AND_ASSIGN(auto listing, io->List(dir.path()));
  ASSERT_EQ(listing.size(), 1u) << "temporary file left behind";
}

TEST(LocalFileIOTest, ExclusiveCreateRefusesExisting) {
  testing::TempDir dir;
  auto io = NewLocalFileIO();
  std::string path = "file://" + (dir / "m.json");
  K2_ASSERT_OK(io->WriteAll(path, "v1"));
  K2_ASSERT_ERROR_KIND(io->WriteAll(path, "v2"), ErrorKind::kAlreadyExists);
  EXPECT_EQ(*io->ReadAll(path), "v1");
  K2_ASSERT_OK(io->WriteAll(path, "v3", /*exclusive=*/false));
  EXPECT_EQ(*io->ReadAll(path), "v3");
}

TEST(LocalFileIOTest, AbortLeavesNothing) {
  testing::TempDir dir;
  auto io = NewLocalFileIO();
  {
    K2_ASSERT_OK_AND_ASSIGN(auto out, io->OpenOutput(dir / "x"));
    K2_ASSERT_OK(out->Write("partial"));
  }
  K2_ASSERT_OK_AND_ASSIGN(auto listing, io->List(dir.path()));
  EXPECT_TRUE(listing.empty());
}

TEST(LocalFileIOTest, ShortReadNamesPathAndOffset) {
  testing::TempDir dir;
  auto io = NewLocalFileIO();
  K2_ASSERT_OK(io->WriteAll(dir / "f", "abc"));
  K2_ASSERT_OK_AND_ASSIGN(auto in, io->OpenInput(dir / "f"));
  uint8_t buf[8];
  auto st = in->ReadAt(1, 8, buf);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::kCorrupt);
  EXPECT_NE(st.error().message.find("offset 3"), std::string::npos) << st.error().message;
  K2_ASSERT_ERROR_KIND(io->OpenInput(dir / "missing"), ErrorKind::kNotFound);
}

}  // namespace
}  // namespace k2
