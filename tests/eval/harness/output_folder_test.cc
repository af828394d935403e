// The output folder: one run at a time (a second is refused, naming the
// first), a file given as the folder refused, and checked file writes.

#include "eval/harness/output_folder.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "common/input_error.h"
#include "tests/fixtures/cli_run.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

TEST(OutputFolder, ASecondRunOnTheSameFolderIsRefusedUntilTheFirstEnds) {
  const fs::path dir = fixtures::fresh_temp_dir("out_lock") / "run";
  auto first = std::make_unique<OutputFolder>(dir);  // creates it
  EXPECT_TRUE(fs::is_directory(dir));
  try {
    OutputFolder second(dir);
    FAIL() << "a locked folder must be refused";
  } catch (const InputError& e) {
    EXPECT_TRUE(fixtures::contains(e.what(), "another dffeval run")) << e.what();
    EXPECT_TRUE(fixtures::contains(e.what(), fmt::format("pid {}", ::getpid()))) << e.what();
  }
  first.reset();
  EXPECT_NO_THROW(OutputFolder again(dir));
}

TEST(OutputFolder, AFileIsNotAFolder) {
  const fs::path dir = fixtures::fresh_temp_dir("out_file");
  std::ofstream(dir / "plain") << "x";
  try {
    OutputFolder f(dir / "plain");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_TRUE(fixtures::contains(e.what(), "is a file")) << e.what();
  }
}

TEST(OutputFolder, WriteFileCheckedReplacesWholeAndReportsFailure) {
  const fs::path dir = fixtures::fresh_temp_dir("out_write");
  write_file_checked(dir / "a.txt", "one\n");
  write_file_checked(dir / "a.txt", "two\n");
  std::ifstream in(dir / "a.txt");
  std::string s;
  std::getline(in, s);
  EXPECT_EQ(s, "two");
  EXPECT_FALSE(fs::exists(dir / "a.txt.tmp"));
  fs::create_directories(dir / "b.json" / "inside");  // a non-empty folder in the way
  try {
    write_file_checked(dir / "b.json", "{}");
    FAIL() << "a write over a folder must fail";
  } catch (const InputError& e) {
    EXPECT_TRUE(fixtures::contains(e.what(), "b.json")) << e.what();
  }
  EXPECT_THROW(write_file_checked(dir / "missing" / "c.json", "{}"), InputError);
}

}  // namespace
}  // namespace dffeval
