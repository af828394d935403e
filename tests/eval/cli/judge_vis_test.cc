// `dffeval judge-vis` through the real binary on a run folder the binary
// made (the tiny suite with oracle-pose): one picture per failure mode by
// default, the trials asked for with --trial, and exit code 2 with a message
// for a missing folder or an unknown trial id.

#include <gtest/gtest.h>
#include <stb/stb_image.h>

#include <filesystem>
#include <set>
#include <string>

#include "tests/fixtures/cli_run.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

using fixtures::contains;
using fixtures::run_dffeval;

// Four 320 x 240 views drawn twice their size, two per row, 8 px gaps.
constexpr int kPictureWidth = 2 * 640 + 8;

/// The tiny suite run once with oracle-pose; its folder.
const fs::path& run_dir() {
  static const fs::path dir = [] {
    const fs::path base = fixtures::fresh_temp_dir("cli_judge_vis");
    const auto r =
        run_dffeval("--suite " + fixtures::write_small_suite(base).string() +
                    " --method oracle-pose --out " + (base / "run").string() + " --quiet");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return base / "run";
  }();
  return dir;
}

std::string picture_name(const nlohmann::json& rec) {
  std::string name = rec["failure_mode"].get<std::string>() + "_" + rec["id"].get<std::string>();
  for (char& c : name)
    if (c == '/') c = '_';
  return name + ".png";
}

void expect_picture(const fs::path& file) {
  int w = 0, h = 0, channels = 0;
  ASSERT_TRUE(stbi_info(file.c_str(), &w, &h, &channels)) << file;
  EXPECT_EQ(w, kPictureWidth) << file;
  EXPECT_GT(h, 2 * 480 + 8) << file;
}

TEST(JudgeVisVerb, DefaultsToTheFirstTrialOfEachFailureMode) {
  const fs::path dir = run_dir();
  ASSERT_TRUE(fs::exists(dir / "trials.jsonl"));
  const auto r = run_dffeval("judge-vis " + dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::set<std::string> modes, expected;
  for (const auto& rec : fixtures::read_jsonl(dir / "trials.jsonl"))
    if (modes.insert(rec["failure_mode"].get<std::string>()).second)
      expected.insert(picture_name(rec));
  EXPECT_TRUE(modes.count("none")) << "oracle-pose lifts the demo's own object";
  std::set<std::string> written;
  for (const auto& e : fs::directory_iterator(dir / "judge_vis"))
    written.insert(e.path().filename().string());
  EXPECT_EQ(written, expected);
  for (const auto& name : expected) {
    expect_picture(dir / "judge_vis" / name);
    EXPECT_TRUE(contains(r.output, (dir / "judge_vis" / name).string())) << r.output;
  }
  EXPECT_TRUE(expected.count("none_can_wrap_seen_clean_000.png"));
}

TEST(JudgeVisVerb, TrialsAskedForGoToOut) {
  const fs::path dir = run_dir();
  const fs::path out = fixtures::fresh_temp_dir("cli_judge_vis_out") / "pics";
  // An id right before RUN_DIR: --trial takes one value.
  const auto r = run_dffeval("judge-vis --trial mug_top/seen/clean/000 " + dir.string() +
                             " --trial can_wrap/novel/clean/000 --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::set<std::string> asked = {"mug_top/seen/clean/000", "can_wrap/novel/clean/000"};
  std::set<std::string> expected;
  for (const auto& rec : fixtures::read_jsonl(dir / "trials.jsonl"))
    if (asked.count(rec["id"].get<std::string>())) expected.insert(picture_name(rec));
  ASSERT_EQ(expected.size(), 2u);
  std::set<std::string> written;
  for (const auto& e : fs::directory_iterator(out)) written.insert(e.path().filename().string());
  EXPECT_EQ(written, expected);
  for (const auto& name : expected) expect_picture(out / name);
}

TEST(JudgeVisVerb, MissingFolderOrUnknownTrialIsExitCode2) {
  const fs::path missing = fixtures::fresh_temp_dir("cli_judge_vis_bad") / "nowhere";
  auto r = run_dffeval("judge-vis " + missing.string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "error: " + missing.string() + ": no such folder")) << r.output;

  r = run_dffeval("judge-vis " + run_dir().string() + " --trial can_wrap/seen/clean/999");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "unknown trial id 'can_wrap/seen/clean/999'")) << r.output;
  EXPECT_FALSE(fs::exists(run_dir() / "judge_vis" / "none_can_wrap_seen_clean_999.png"));

  // A folder that is not a run's.
  r = run_dffeval("judge-vis " + missing.parent_path().string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "summary.json: no such file")) << r.output;
  EXPECT_EQ(run_dffeval("judge-vis").exit_code, 2);
}

}  // namespace
}  // namespace dffeval
