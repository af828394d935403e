// Reading back a finished run's folder: the records in file order, and each
// bad folder refused with the file, the line and the reason.

#include "eval/harness/result_folder.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "common/input_error.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

std::string error_of(const fs::path& dir) {
  try {
    read_result_folder(dir);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

void write(const fs::path& file, const std::string& text) { std::ofstream(file) << text; }

constexpr const char* kSummary = R"({"suite": "tiny", "method": "heuristic", "seed": 3})";
constexpr const char* kTrial =
    R"({"id": "can_wrap/seen/clean/000", "task": "can_wrap", "failure_mode": "none"})";

TEST(ResultFolder, ReadsTheSummaryAndTheRecordsInFileOrder) {
  const fs::path dir = fixtures::fresh_temp_dir("result_folder_good");
  write(dir / "summary.json", kSummary);
  write(dir / "trials.jsonl",
        std::string(kTrial) + "\n\n" +
            R"({"id": "b", "task": "mug_top", "failure_mode": "slipped", "x": 1})" + "\n");
  const ResultFolder f = read_result_folder(dir);
  EXPECT_EQ(f.summary["method"], "heuristic");
  ASSERT_EQ(f.trials.size(), 2u);
  EXPECT_EQ(f.trials[0]["id"], "can_wrap/seen/clean/000");
  EXPECT_EQ(f.trials[1]["x"], 1);
}

TEST(ResultFolder, NamesTheFileLineAndReasonOfABadFolder) {
  const fs::path dir = fixtures::fresh_temp_dir("result_folder_bad");
  EXPECT_EQ(error_of(dir / "nowhere"), (dir / "nowhere").string() + ": no such folder");
  EXPECT_NE(error_of(dir).find((dir / "summary.json").string() + ": no such file"),
            std::string::npos);
  write(dir / "summary.json", R"({"suite": "tiny", "method": "heuristic"})");
  EXPECT_EQ(error_of(dir), (dir / "summary.json").string() + ": no integer \"seed\"");
  write(dir / "summary.json", kSummary);
  EXPECT_EQ(error_of(dir), (dir / "trials.jsonl").string() + ": no such file");
  write(dir / "trials.jsonl", std::string(kTrial) + "\n{\"id\": \"x\", \"task\": \"t\"}\n");
  EXPECT_EQ(error_of(dir),
            (dir / "trials.jsonl").string() + ":2: not a trial record: no string \"failure_mode\"");
  write(dir / "trials.jsonl", std::string(kTrial) + "\n{\"id\": \n");
  EXPECT_EQ(error_of(dir), (dir / "trials.jsonl").string() + ":2: not a JSON object");
  write(dir / "trials.jsonl", "\n");
  EXPECT_EQ(error_of(dir), (dir / "trials.jsonl").string() + ": no trials");
}

TEST(ResultFolder, ReadsTheRunsExecutionSettingsOrTheDefaults) {
  const fs::path dir = fixtures::fresh_temp_dir("result_folder_exec");
  EXPECT_DOUBLE_EQ(read_run_execution(dir).hold_time_s, ExecutionConfig{}.hold_time_s);
  write(dir / "resolved_config.json", R"({"suite": {"execution": {"hold_time_s": 0.25}}})");
  EXPECT_DOUBLE_EQ(read_run_execution(dir).hold_time_s, 0.25);
  write(dir / "resolved_config.json", R"({"suite": {}})");
  EXPECT_THROW(read_run_execution(dir), InputError);
}

}  // namespace
}  // namespace dffeval
