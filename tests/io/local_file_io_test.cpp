#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

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

// ListNames: List's paths without a stat per file, through the routing
// FileIO every command uses as well; a file being written is not listed.
TEST(LocalFileIOTest, ListNamesGivesListsPaths) {
  testing::TempDir dir;
  std::vector<std::unique_ptr<FileIO>> ios;
  ios.push_back(NewLocalFileIO());
  ios.push_back(NewFileIOFor(dir.path()).value());
  for (const auto& io : ios) {
    K2_ASSERT_OK(io->WriteAll(dir / "t/metadata/00001-a.metadata.json", "{}", false));
    K2_ASSERT_OK(io->WriteAll(dir / "t/metadata/snap-1.avro", "x", false));
    K2_ASSERT_OK(io->WriteAll(dir / "t/data/d/f.parquet", "y", false));
    K2_ASSERT_OK_AND_ASSIGN(auto open, io->OpenOutput(dir / "t/metadata/00002-b.metadata.json"));
    K2_ASSERT_OK(open->Write("{"));
    K2_ASSERT_OK_AND_ASSIGN(auto listing, io->List(dir / "t"));
    K2_ASSERT_OK_AND_ASSIGN(auto names, io->ListNames(dir / "t"));
    std::vector<std::string> paths;
    for (const auto& f : listing) paths.push_back(f.path);
    std::sort(paths.begin(), paths.end());
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, paths);
    EXPECT_EQ(names.size(), 4u) << "the open file's hidden temporary is a file too";
    open->Abort();
    K2_ASSERT_OK_AND_ASSIGN(names, io->ListNames(dir / "t/metadata/"));
    EXPECT_EQ(names.size(), 2u);
    K2_ASSERT_OK_AND_ASSIGN(names, io->ListNames(dir / "missing"));
    EXPECT_TRUE(names.empty());
  }
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
