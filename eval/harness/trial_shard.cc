#include "eval/harness/trial_shard.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>

#include "common/input_error.h"
#include "common/setting_overrides.h"
#include "eval/harness/suite_runner.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr int kMaxShards = 100000;

json read_json_file(const fs::path& file) {
  if (!fs::is_regular_file(file))
    throw InputError(fmt::format("{}: no such file (is {} a result folder of `dffeval --shard`?)",
                                 file.string(), file.parent_path().string()));
  std::ifstream in(file);
  json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    throw InputError(fmt::format("{}: not a JSON object", file.string()));
  return j;
}

struct ShardDir {
  fs::path dir;
  json summary;
  json resolved;
  TrialShard shard;
};

ShardDir read_shard_dir(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw InputError(fmt::format("{}: no such folder", dir.string()));
  ShardDir s;
  s.dir = dir;
  s.summary = read_json_file(dir / "summary.json");
  s.resolved = read_json_file(dir / "resolved_config.json");
  const fs::path summary_file = dir / "summary.json";
  if (!s.summary.contains("shard") || !s.summary["shard"].is_object())
    throw InputError(fmt::format("{}: no \"shard\": not the result of a `dffeval --shard K/N` run",
                                 summary_file.string()));
  if (s.summary.value("incomplete", false))
    throw InputError(fmt::format(
        "{}: the shard's run was interrupted (\"incomplete\"); finish it with --resume first",
        summary_file.string()));
  const json& sh = s.summary["shard"];
  if (!sh.contains("index") || !sh["index"].is_number_integer() || !sh.contains("count") ||
      !sh["count"].is_number_integer())
    throw InputError(
        fmt::format("{}: \"shard\" needs integer \"index\" and \"count\"", summary_file.string()));
  s.shard.index = sh["index"].get<int>();
  s.shard.count = sh["count"].get<int>();
  if (s.shard.count < 1 || s.shard.index < 1 || s.shard.index > s.shard.count)
    throw InputError(fmt::format("{}: shard {} is not K/N with 1 <= K <= N", summary_file.string(),
                                 s.shard.label()));
  for (const char* key : {"suite", "method"})
    if (!s.resolved.contains(key))
      throw InputError(fmt::format("{}: no \"{}\"", (dir / "resolved_config.json").string(), key));
  return s;
}

// What must agree between shards, as (name, value) pairs.
std::vector<std::pair<std::string, json>> identity(const ShardDir& s) {
  json commit = s.summary.contains("provenance")
                    ? s.summary["provenance"].value("git_commit", json("unknown"))
                    : json("unknown");
  return {{"shard count", s.shard.count},
          {"suite settings", s.resolved["suite"]},
          {"method", s.resolved["method"]},
          {"method settings", s.resolved.value("method_settings", json())},
          {"build (provenance.git_commit)", commit}};
}

}  // namespace

TrialShard parse_trial_shard(const std::string& text) {
  static const std::regex form("([0-9]{1,6})/([0-9]{1,6})");
  std::smatch m;
  TrialShard s;
  if (std::regex_match(text, m, form)) {
    s.index = std::stoi(m[1]);
    s.count = std::stoi(m[2]);
    if (s.count >= 1 && s.count <= kMaxShards && s.index >= 1 && s.index <= s.count) return s;
  }
  throw InputError(
      fmt::format("--shard '{}': expected K/N with 1 <= K <= N <= {} (shard K of N, e.g. 1/4)",
                  text, kMaxShards));
}

std::vector<Trial> shard_trials(const std::vector<Trial>& trials, const TrialShard& shard) {
  std::vector<Trial> mine;
  for (std::size_t i = 0; i < trials.size(); ++i)
    if (static_cast<int>(i % shard.count) == shard.index - 1) mine.push_back(trials[i]);
  return mine;
}

MergedRun merge_shard_dirs(const std::vector<fs::path>& dirs) {
  if (dirs.empty()) throw InputError("merge: no shard folders given");
  std::vector<ShardDir> shards;
  for (const fs::path& d : dirs) shards.push_back(read_shard_dir(d));

  const auto first = identity(shards[0]);
  for (std::size_t i = 1; i < shards.size(); ++i) {
    const auto other = identity(shards[i]);
    for (std::size_t k = 0; k < first.size(); ++k)
      if (first[k].second != other[k].second)
        throw InputError(fmt::format("{} and {} are not shards of one run: different {}",
                                     shards[0].dir.string(), shards[i].dir.string(),
                                     first[k].first));
  }
  const int count = shards[0].shard.count;
  std::map<int, fs::path> by_index;
  for (const ShardDir& s : shards)
    if (auto [it, fresh] = by_index.emplace(s.shard.index, s.dir); !fresh)
      throw InputError(fmt::format("shard {} given twice: {} and {}", s.shard.label(),
                                   it->second.string(), s.dir.string()));
  std::string missing;
  for (int k = 1; k <= count; ++k)
    if (!by_index.count(k))
      missing += fmt::format("{}{}/{}", missing.empty() ? "" : ", ", k, count);
  if (!missing.empty()) throw InputError("merge: shard(s) " + missing + " missing");

  // The suite as the shards resolved it, read again from its file: the
  // summary needs the whole spec, and a file edited since would not match.
  const json& recorded = shards[0].resolved["suite"];
  MergedRun run;
  // With the command-line overrides the shards ran with (they are part of
  // the recorded suite).
  std::vector<SettingOverride> overrides;
  for (const json& o : recorded.value("overrides", json::array()))
    overrides.push_back(parse_setting_override(o.get<std::string>()));
  set_process_overrides(overrides);
  run.suite = load_suite(recorded.at("file").get<std::string>());
  run.suite.seed = recorded.at("seed").get<std::uint64_t>();
  run.suite.trials = recorded.at("trials").get<int>();
  if (run.suite.to_json() != recorded)
    throw InputError(fmt::format(
        "{}: the suite file no longer resolves to the settings the shards ran with ({})",
        recorded.at("file").get<std::string>(), (shards[0].dir / "resolved_config.json").string()));
  run.method = shards[0].resolved["method"].get<std::string>();

  std::map<std::string, std::pair<json, fs::path>> records;
  for (const ShardDir& s : shards) {
    const fs::path file = s.dir / "trials.jsonl";
    std::ifstream in(file);
    if (!in) throw InputError(fmt::format("{}: no such file", file.string()));
    std::string text;
    for (int line = 1; std::getline(in, text); ++line) {
      if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
      json r = json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (r.is_discarded() || !r.is_object() || !r.contains("id") || !r["id"].is_string())
        throw InputError(fmt::format("{}:{}: not a trial record", file.string(), line));
      const std::string id = r["id"].get<std::string>();
      if (records.count(id))
        throw InputError(fmt::format("{}:{}: trial '{}' also in {}", file.string(), line, id,
                                     records[id].second.string()));
      records.emplace(id, std::make_pair(std::move(r), file));
    }
    run.wall_time_s =
        std::max(run.wall_time_s,
                 s.summary.contains("timing_s") ? s.summary["timing_s"].value("wall", 0.0) : 0.0);
  }
  for (const Trial& t : expand_trials(run.suite)) {
    auto it = records.find(t.id);
    if (it == records.end())
      throw InputError(fmt::format("merge: trial '{}' of suite {} is in no shard (shard {}/{})",
                                   t.id, run.suite.name, t.index % count + 1, count));
    run.results.push_back(trial_result_from_record(t, it->second.first));
    records.erase(it);
  }
  if (!records.empty())
    throw InputError(fmt::format("{}: trial '{}' is not a trial of suite {}",
                                 records.begin()->second.second.string(), records.begin()->first,
                                 run.suite.name));
  run.merged_from = {{"count", count}, {"dirs", json::array()}};
  for (const auto& [k, dir] : by_index) run.merged_from["dirs"].push_back(dir.string());
  return run;
}

}  // namespace dffeval
