// The partial results file: a header with the run's fingerprint, resumes
// refused for another run's file (naming the keys), error records run
// again, a torn last line cut off before appending, failed writes reported.

#include "eval/harness/partial_results.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/input_error.h"
#include "tests/fixtures/cli_run.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

const RunFingerprint kPrint = {{"suite", "smoke"}, {"seed", 1}, {"method", "sparsedff"}};

std::string file_text(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(PartialResults, ResumeKeepsGoodRecordsRerunsErrorsAndCutsATornLine) {
  const fs::path dir = fixtures::fresh_temp_dir("partial_resume");
  const fs::path path = dir / "trials.partial.jsonl";
  {
    PartialResultsFile f = PartialResultsFile::create(path, kPrint);
    f.append({{"id", "a"}, {"failure_mode", "none"}});
    f.append({{"id", "b"}, {"failure_mode", "internal_error"}});
    f.append({{"id", "c"}, {"failure_mode", "slipped"}});
    f.append({{"id", "d"}, {"failure_mode", "method_error"}});
  }
  std::ofstream(path, std::ios::app) << "{\"id\": \"e\", \"failu";  // killed mid-write
  const auto torn_size = fs::file_size(path);
  ResumedRecords resumed;
  {
    PartialResultsFile f = PartialResultsFile::resume(path, kPrint, resumed);
    EXPECT_EQ(resumed.torn_bytes, std::string("{\"id\": \"e\", \"failu").size());
    EXPECT_LT(fs::file_size(path), torn_size);
    f.append({{"id", "e"}, {"failure_mode", "none"}});
  }
  ASSERT_EQ(resumed.records.size(), 2u);
  EXPECT_TRUE(resumed.records.count("a"));
  EXPECT_TRUE(resumed.records.count("c"));
  EXPECT_EQ(resumed.rerun_errors, (std::vector<std::string>{"b", "d"}));
  // The appended record is a whole line of its own, readable.
  const auto records = read_partial_results(path);
  ASSERT_TRUE(records.count("e"));
  EXPECT_EQ(records.at("e")["failure_mode"], "none");
  const std::string text = file_text(path);
  EXPECT_EQ(text.back(), '\n');
}

TEST(PartialResults, ResumeRefusesAnotherRunsFileNamingTheKeys) {
  const fs::path dir = fixtures::fresh_temp_dir("partial_mismatch");
  const fs::path path = dir / "trials.partial.jsonl";
  {
    PartialResultsFile f = PartialResultsFile::create(path, kPrint);
    f.append({{"id", "a"}, {"failure_mode", "none"}});
  }
  RunFingerprint other = kPrint;
  other["seed"] = 2;
  ResumedRecords resumed;
  try {
    PartialResultsFile::resume(path, other, resumed);
    FAIL() << "a file of another seed must be refused";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_TRUE(fixtures::contains(what, "seed: was 1, now 2")) << what;
    EXPECT_TRUE(fixtures::contains(what, path.string())) << what;
    EXPECT_FALSE(fixtures::contains(what, "method:")) << what;
  }
  EXPECT_TRUE(resumed.records.empty());
  // A file without a header (an older dffeval) is refused too.
  std::ofstream(path) << "{\"id\": \"a\", \"failure_mode\": \"none\"}\n";
  EXPECT_THROW(PartialResultsFile::resume(path, kPrint, resumed), InputError);
  // No file: a fresh start with a header.
  fs::remove(path);
  PartialResultsFile::resume(path, kPrint, resumed);
  EXPECT_TRUE(fixtures::contains(file_text(path), "dffeval_partial"));
}

TEST(PartialResults, AnUnwritablePathIsAnInputErrorNamingIt) {
  const fs::path dir = fixtures::fresh_temp_dir("partial_unwritable");
  fs::create_directories(dir / "trials.partial.jsonl");  // a folder where the file goes
  try {
    PartialResultsFile::create(dir / "trials.partial.jsonl", kPrint);
    FAIL() << "must not open a folder for writing";
  } catch (const InputError& e) {
    EXPECT_TRUE(fixtures::contains(e.what(), "trials.partial.jsonl")) << e.what();
  }
}

TEST(PartialResults, IsErrorModeNamesTheErrorModesOnly) {
  EXPECT_TRUE(is_error_mode("internal_error"));
  EXPECT_TRUE(is_error_mode("method_error"));
  EXPECT_TRUE(is_error_mode("sim_error"));
  EXPECT_FALSE(is_error_mode("slipped"));
  EXPECT_FALSE(is_error_mode("none"));
}

}  // namespace
}  // namespace dffeval
