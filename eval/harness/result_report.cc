#include "eval/harness/result_report.h"

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <tuple>

#include "common/provenance.h"
#include "eval/harness/grasp_method.h"
#include "eval/harness/output_folder.h"
#include "eval/harness/success_stats.h"

namespace dffeval {
namespace {

/// The three rates, in table order: lift (held after the lift and hold),
/// robust (lift, then held against the force test), transfer (lift with the
/// demonstrated grasp; the headline).
const char* const kRates[] = {"lift", "robust", "transfer"};

struct Tally {
  int trials = 0;
  int lift = 0, robust = 0, transfer = 0;
  std::map<std::string, int> failures;
  void add(const TrialResult& r) {
    ++trials;
    lift += r.success;
    robust += r.robust;
    transfer += r.transfer;
    if (r.failure_mode != "none") ++failures[r.failure_mode];
  }
  nlohmann::json rate(int successes) const {
    const auto ci = wilson_interval_95(successes, trials);
    return {{"successes", successes},
            {"rate", trials ? static_cast<double>(successes) / trials : 0.0},
            {"ci95", {ci[0], ci[1]}}};
  }
  nlohmann::json to_json() const {
    return {{"trials", trials},
            {"lift", rate(lift)},
            {"robust", rate(robust)},
            {"transfer", rate(transfer)},
            {"failure_modes", failures}};
  }
};

std::string failure_text(const nlohmann::json& modes) {
  std::string s;
  for (const auto& [k, v] : modes.items())
    s += fmt::format("{}{} {}", s.empty() ? "" : ", ", k, v.get<int>());
  return s.empty() ? "-" : s;
}

}  // namespace

nlohmann::json summarize(const SuiteSpec& suite, const std::string& method,
                         const std::vector<TrialResult>& results, double wall_time_s) {
  // Rows keep the suite's order: tasks, then object sets, then scene sets.
  std::vector<std::tuple<std::string, std::string, std::string>> order;
  std::map<std::tuple<std::string, std::string, std::string>, Tally> rows;
  std::map<std::tuple<std::string, std::string, std::string>, std::string> categories;
  Tally overall;
  std::map<std::string, double> timing;
  for (const auto& r : results) {
    auto key = std::make_tuple(r.trial.task, r.trial.object_set, r.trial.scene_set);
    if (!rows.count(key)) order.push_back(key);
    rows[key].add(r);
    categories[key] = r.trial.category;
    overall.add(r);
    for (const auto& [stage, s] : r.timing_s) timing[stage] += s;
  }
  nlohmann::json j;
  j["suite"] = suite.name;
  j["method"] = method;
  j["seed"] = suite.seed;
  j["rows"] = nlohmann::json::array();
  for (const auto& key : order) {
    nlohmann::json row = rows[key].to_json();
    row["task"] = std::get<0>(key);
    row["category"] = categories[key];
    row["object_set"] = std::get<1>(key);
    row["scene_set"] = std::get<2>(key);
    j["rows"].push_back(row);
  }
  j["overall"] = overall.to_json();
  j["overall"]["task"] = "all";
  j["overall"]["category"] = "all";
  j["overall"]["object_set"] = "all";
  j["overall"]["scene_set"] = "all";
  // Per-stage sums over trials (CPU-seconds of the workers), per-trial means,
  // and the run's wall time.
  nlohmann::json t;
  for (const auto& [stage, s] : timing) {
    t[stage] = s;
    t["mean_per_trial." + stage] = results.empty() ? 0.0 : s / results.size();
  }
  t["wall"] = wall_time_s;
  j["timing_s"] = t;
  j["provenance"] = provenance();
  return j;
}

std::string markdown_table(const nlohmann::json& summary) {
  std::string md =
      fmt::format("# {} — method `{}` (seed {})\n\n", summary["suite"].get<std::string>(),
                  summary["method"].get<std::string>(), summary["seed"].get<std::uint64_t>());
  md +=
      "Rates in %, 95% Wilson interval in brackets. transfer (the headline): lifted with the "
      "demonstrated grasp; robust: lifted and held against a push along each axis; lift: "
      "lifted and held.\n\n";
  md +=
      "| task | category | object set | scene set | trials | transfer | robust | lift | "
      "failures |\n";
  md += "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- |\n";
  auto cell = [](const nlohmann::json& rate, const std::string& b) {
    return fmt::format("{}{:.1f}{} [{:.1f}, {:.1f}]", b, 100 * rate["rate"].get<double>(), b,
                       100 * rate["ci95"][0].get<double>(), 100 * rate["ci95"][1].get<double>());
  };
  auto line = [&](const nlohmann::json& r, bool bold) {
    const std::string b = bold ? "**" : "";
    md += fmt::format("| {}{}{} | {} | {} | {} | {} | {} | {} | {} | {} |\n", b,
                      r["task"].get<std::string>(), b, r["category"].get<std::string>(),
                      r["object_set"].get<std::string>(), r["scene_set"].get<std::string>(),
                      r["trials"].get<int>(), cell(r["transfer"], b), cell(r["robust"], ""),
                      cell(r["lift"], ""), failure_text(r["failure_modes"]));
  };
  for (const auto& r : summary["rows"]) line(r, false);
  line(summary["overall"], true);
  return md;
}

void write_results(const std::filesystem::path& dir, const SuiteSpec& suite,
                   const std::string& method, const std::vector<TrialResult>& results,
                   double wall_time_s, const nlohmann::json& extra_summary) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  nlohmann::json summary = summarize(suite, method, results, wall_time_s);
  for (const auto& [key, value] : extra_summary.items()) summary[key] = value;
  std::string trials;
  for (const auto& r : results) trials += r.record.dump() + "\n";
  std::string csv = "task,category,object_set,scene_set,trials";
  for (const char* rate : kRates)
    csv += fmt::format(",{0}_successes,{0}_rate,{0}_ci95_low,{0}_ci95_high", rate);
  csv += "\n";
  auto row = [&](const nlohmann::json& r) {
    csv += fmt::format("{},{},{},{},{}", r["task"].get<std::string>(),
                       r["category"].get<std::string>(), r["object_set"].get<std::string>(),
                       r["scene_set"].get<std::string>(), r["trials"].get<int>());
    for (const char* rate : kRates) {
      const auto& x = r[rate];
      csv += fmt::format(",{},{:.4f},{:.4f},{:.4f}", x["successes"].get<int>(),
                         x["rate"].get<double>(), x["ci95"][0].get<double>(),
                         x["ci95"][1].get<double>());
    }
    csv += "\n";
  };
  for (const auto& r : summary["rows"]) row(r);
  row(summary["overall"]);
  nlohmann::json resolved = {
      {"suite", suite.to_json()}, {"method", method}, {"provenance", provenance()}};
  if (const MethodInfo& info = find_method(method); info.settings) {
    resolved["method_settings"] = info.settings();
  }
  // Every file is checked: a failed write is an error naming the file, never
  // a "wrote" for a file that is not there.
  write_file_checked(dir / "trials.jsonl", trials);
  write_file_checked(dir / "table.md", markdown_table(summary));
  write_file_checked(dir / "table.csv", csv);
  write_file_checked(dir / "resolved_config.json", resolved.dump(2) + "\n");
  write_file_checked(dir / "summary.json", summary.dump(2) + "\n");
}

}  // namespace dffeval
