#include "eval/harness/result_folder.h"

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "common/input_error.h"

namespace dffeval {

namespace fs = std::filesystem;
using nlohmann::json;

json read_run_summary(const fs::path& dir) {
  const fs::path file = dir / "summary.json";
  if (!fs::is_regular_file(file))
    throw InputError(fmt::format("{}: no such file (is {} a result folder of `dffeval run`?)",
                                 file.string(), dir.string()));
  std::ifstream in(file);
  json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    throw InputError(fmt::format("{}: not a JSON object", file.string()));
  for (const char* key : {"suite", "method"})
    if (!j.contains(key) || !j[key].is_string())
      throw InputError(fmt::format("{}: no string \"{}\"", file.string(), key));
  if (!j.contains("seed") || !j["seed"].is_number_integer())
    throw InputError(fmt::format("{}: no integer \"seed\"", file.string()));
  return j;
}

ResultFolder read_result_folder(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw InputError(fmt::format("{}: no such folder", dir.string()));
  ResultFolder out;
  out.dir = dir;
  out.summary = read_run_summary(dir);

  const fs::path trials_file = dir / "trials.jsonl";
  std::ifstream in(trials_file);
  if (!in) throw InputError(fmt::format("{}: no such file", trials_file.string()));
  std::string text;
  for (int line = 1; std::getline(in, text); ++line) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    json r = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (r.is_discarded() || !r.is_object())
      throw InputError(fmt::format("{}:{}: not a JSON object", trials_file.string(), line));
    for (const char* key : {"id", "task", "failure_mode"})
      if (!r.contains(key) || !r[key].is_string())
        throw InputError(fmt::format("{}:{}: not a trial record: no string \"{}\"",
                                     trials_file.string(), line, key));
    out.trials.push_back(std::move(r));
  }
  if (out.trials.empty()) throw InputError(fmt::format("{}: no trials", trials_file.string()));
  return out;
}

ExecutionConfig read_run_execution(const fs::path& dir) {
  ExecutionConfig e;
  const fs::path file = dir / "resolved_config.json";
  std::ifstream in(file);
  if (!in) {
    fmt::print(stderr, "note: {} missing: replaying with the default execution settings\n",
               file.string());
    return e;
  }
  try {
    const nlohmann::json j = nlohmann::json::parse(in).at("suite").at("execution");
    e.pregrasp_backoff_m = j.value("pregrasp_backoff_m", e.pregrasp_backoff_m);
    e.preshape_fraction = j.value("preshape_fraction", e.preshape_fraction);
    e.approach_time_s = j.value("approach_time_s", e.approach_time_s);
    e.close_time_s = j.value("close_time_s", e.close_time_s);
    e.squeeze_rad = j.value("squeeze_rad", e.squeeze_rad);
    e.lift_height_m = j.value("lift_height_m", e.lift_height_m);
    e.lift_time_s = j.value("lift_time_s", e.lift_time_s);
    e.hold_time_s = j.value("hold_time_s", e.hold_time_s);
    e.success_height_m = j.value("success_height_m", e.success_height_m);
    e.max_object_speed_m_s = j.value("max_object_speed_m_s", e.max_object_speed_m_s);
  } catch (const nlohmann::json::exception& ex) {
    throw InputError(fmt::format("{}: no suite.execution settings: {}", file.string(), ex.what()));
  }
  return e;
}

}  // namespace dffeval
