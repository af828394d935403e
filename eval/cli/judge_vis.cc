// `dffeval judge-vis RUN_DIR [--trial ID]... [--out DIR]`: a picture per
// trial of where the hand touched the object against the demonstration
// (eval/viz/judge_picture.h), by default one trial of each failure mode.

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/input_error.h"
#include "eval/cli/verbs.h"
#include "eval/harness/result_folder.h"
#include "eval/viz/judge_picture.h"
#include "sim/rgbd_renderer.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

struct JudgeVisArgs {
  std::string run_dir;
  std::vector<std::string> trials;
  std::string out;
};

/// The records asked for, in the order asked; by default the first trial of
/// each failure mode in file order.
std::vector<const nlohmann::json*> select_trials(const std::vector<nlohmann::json>& records,
                                                 const std::vector<std::string>& ids,
                                                 const fs::path& file) {
  std::vector<const nlohmann::json*> out;
  if (ids.empty()) {
    std::set<std::string> modes;
    for (const auto& r : records)
      if (modes.insert(r.at("failure_mode").get<std::string>()).second) out.push_back(&r);
    return out;
  }
  std::map<std::string, const nlohmann::json*> by_id;
  for (const auto& r : records) by_id.emplace(r.at("id").get<std::string>(), &r);
  for (const auto& id : ids) {
    const auto it = by_id.find(id);
    if (it == by_id.end()) {
      throw InputError(fmt::format("unknown trial id '{}': not in {} ({} trials, e.g. '{}')", id,
                                   file.string(), records.size(),
                                   records.empty() ? "" : records[0].at("id").get<std::string>()));
    }
    out.push_back(it->second);
  }
  return out;
}

int run_judge_vis(const JudgeVisArgs& a) {
  const fs::path dir(a.run_dir);
  const fs::path file = dir / "trials.jsonl";
  const std::vector<nlohmann::json> records = read_result_folder(dir).trials;
  const auto chosen = select_trials(records, a.trials, file);
  const ExecutionConfig execution = read_run_execution(dir);
  const fs::path out = a.out.empty() ? dir / "judge_vis" : fs::path(a.out);
  RgbdRenderer renderer;
  for (const nlohmann::json* r : chosen) {
    const JudgePicture pic = make_judge_picture(*r, execution, renderer);
    const fs::path png = out / judge_picture_file_name(*r);
    write_png(png, pic.image);
    if (!pic.replay_difference.empty()) {
      fmt::print(stderr, "warning: {}: the replay's contacts differ from the recorded ones ({})\n",
                 r->at("id").get<std::string>(), pic.replay_difference);
    }
    std::cout << png.string() << "\n";
  }
  return 0;
}

}  // namespace

Verb add_judge_vis_verb(CLI::App& app) {
  auto args = std::make_shared<JudgeVisArgs>();
  auto* cmd = app.add_subcommand(
      "judge-vis",
      "pictures of a run's trials at the end of closing, contacts marked against the demo's");
  cmd->add_option("RUN_DIR", args->run_dir, "result folder of a run (with trials.jsonl)")
      ->required();
  cmd->add_option("--trial", args->trials,
                  "trial id, repeatable (default: the first trial of each failure mode)")
      ->allow_extra_args(false);  // one id per --trial: RUN_DIR may follow it
  cmd->add_option("--out", args->out, "output folder (default: RUN_DIR/judge_vis)");
  return {cmd, [args] { return run_judge_vis(*args); }};
}

}  // namespace dffeval
