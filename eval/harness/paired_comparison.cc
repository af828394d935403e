#include "eval/harness/paired_comparison.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "common/input_error.h"
#include "eval/harness/result_folder.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct Rate {
  const char* name;
  const char* key;
};
// "lift" is recorded as "success" because that was the only outcome before
// robust and transfer existed; the record keys stay as they were written.
constexpr Rate kRates[] = {{"lift", "success"}, {"robust", "robust"}, {"transfer", "transfer"}};

// How many trial ids a mismatch message names: enough to find the cause,
// short enough to read when a whole task is missing.
constexpr std::size_t kIdsNamed = 3;

struct Run {
  std::string label;  // "A" or "B", as the messages and tables call the runs
  fs::path dir;
  json summary;
  fs::path trials_file;
  std::vector<json> records;
  std::vector<int> lines;  // line of each record in trials_file, for messages
  std::map<std::string, std::size_t> by_id;
};

std::string where(const Run& run, std::size_t i) {
  return fmt::format("{}:{}", run.trials_file.string(), run.lines[i]);
}

void check_record(const Run& run, std::size_t i) {
  const json& r = run.records[i];
  if (!r.is_object()) throw InputError(where(run, i) + ": not a JSON object");
  for (const char* key : {"id", "task", "object_set", "scene_set"})
    if (!r.contains(key) || !r[key].is_string())
      throw InputError(fmt::format("{}: no string \"{}\"", where(run, i), key));
  if (!r.contains("seed") || !r["seed"].is_number_integer())
    throw InputError(where(run, i) + ": no integer \"seed\"");
  for (const Rate& rate : kRates)
    if (r.contains(rate.key) && !r[rate.key].is_boolean())
      throw InputError(fmt::format("{}: \"{}\" is not true or false", where(run, i), rate.key));
}

void read_trials(Run& run) {
  run.trials_file = run.dir / "trials.jsonl";
  if (!fs::is_regular_file(run.trials_file))
    throw InputError(fmt::format("{}: no such file", run.trials_file.string()));
  std::ifstream in(run.trials_file);
  std::string text;
  for (int line = 1; std::getline(in, text); ++line) {
    // Blank lines carry no trial; a hand-edited file may end with one.
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    json r = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (r.is_discarded())
      throw InputError(fmt::format("{}:{}: not JSON", run.trials_file.string(), line));
    run.records.push_back(std::move(r));
    run.lines.push_back(line);
    const std::size_t i = run.records.size() - 1;
    check_record(run, i);
    const std::string id = run.records[i]["id"].get<std::string>();
    if (auto [it, fresh] = run.by_id.emplace(id, i); !fresh)
      throw InputError(fmt::format("{}: trial id '{}' appears twice (first on line {})",
                                   where(run, i), id, run.lines[it->second]));
  }
  if (run.records.empty()) throw InputError(fmt::format("{}: no trials", run.trials_file.string()));
}

Run load_run(const std::string& label, const fs::path& dir) {
  if (!fs::is_directory(dir))
    throw InputError(fmt::format("{} ({}): no such folder", dir.string(), label));
  Run run;
  run.label = label;
  run.dir = dir;
  run.summary = read_run_summary(dir);
  return run;
}

void check_same_suite(const Run& a, const Run& b) {
  const auto file = [](const Run& r) { return (r.dir / "summary.json").string(); };
  if (a.summary["suite"] != b.summary["suite"])
    throw InputError(fmt::format("different suites: {} has suite '{}', {} has suite '{}'", file(a),
                                 a.summary["suite"].get<std::string>(), file(b),
                                 b.summary["suite"].get<std::string>()));
  if (a.summary["seed"] != b.summary["seed"])
    throw InputError(fmt::format(
        "different seeds: {} has seed {}, {} has seed {}; the scenes are not the same, so the "
        "trials cannot be paired",
        file(a), a.summary["seed"].dump(), file(b), b.summary["seed"].dump()));
}

// Ids of `run` missing from `other`, in run's file order.
std::vector<std::string> missing_from(const Run& run, const Run& other) {
  std::vector<std::string> ids;
  for (const json& r : run.records)
    if (!other.by_id.count(r["id"].get<std::string>())) ids.push_back(r["id"].get<std::string>());
  return ids;
}

std::string some_ids(const std::vector<std::string>& ids) {
  std::string s;
  for (std::size_t i = 0; i < ids.size() && i < kIdsNamed; ++i)
    s += fmt::format("{}'{}'", i ? ", " : "", ids[i]);
  if (ids.size() > kIdsNamed) s += ", ...";
  return s;
}

void check_same_trials(const Run& a, const Run& b) {
  const auto a_only = missing_from(a, b), b_only = missing_from(b, a);
  if (!a_only.empty() || !b_only.empty()) {
    std::string msg = fmt::format("trial ids differ between {} and {}:", a.trials_file.string(),
                                  b.trials_file.string());
    if (!a_only.empty()) msg += fmt::format(" {} only in A ({})", a_only.size(), some_ids(a_only));
    if (!a_only.empty() && !b_only.empty()) msg += ";";
    if (!b_only.empty()) msg += fmt::format(" {} only in B ({})", b_only.size(), some_ids(b_only));
    throw InputError(msg + "; were both run with the same suite options (--trials)?");
  }
  for (std::size_t i = 0; i < a.records.size(); ++i) {
    const json& ra = a.records[i];
    const std::size_t j = b.by_id.at(ra["id"].get<std::string>());
    const json& rb = b.records[j];
    if (ra["seed"] != rb["seed"])
      throw InputError(
          fmt::format("trial '{}': seed {} in {} but {} in {}; the scenes are not the same",
                      ra["id"].get<std::string>(), ra["seed"].dump(), where(a, i),
                      rb["seed"].dump(), where(b, j)));
    for (const char* key : {"task", "object_set", "scene_set"})
      if (ra[key] != rb[key])
        throw InputError(fmt::format("trial '{}': {} '{}' in {} but '{}' in {}",
                                     ra["id"].get<std::string>(), key, ra[key].get<std::string>(),
                                     where(a, i), rb[key].get<std::string>(), where(b, j)));
  }
}

// Why a rate cannot be compared ("" when it can): its key is missing from
// some record, as in runs written before the rate existed.
std::string missing_key_reason(const Rate& rate, const Run& a, const Run& b) {
  std::string reason;
  for (const Run* run : {&a, &b}) {
    const auto missing = std::count_if(run->records.begin(), run->records.end(),
                                       [&](const json& r) { return !r.contains(rate.key); });
    if (missing)
      reason += fmt::format("{}\"{}\" missing from {} of {} records of {} ({})",
                            reason.empty() ? "" : "; ", rate.key, missing, run->records.size(),
                            run->label, run->trials_file.string());
  }
  return reason;
}

struct Tally {
  int both = 0, a_only = 0, b_only = 0, neither = 0;
  void add(bool a, bool b) { ++(a ? (b ? both : a_only) : (b ? b_only : neither)); }
  json to_json() const {
    const int n = both + a_only + b_only + neither;
    const double rate_a = n ? static_cast<double>(both + a_only) / n : 0.0;
    const double rate_b = n ? static_cast<double>(both + b_only) / n : 0.0;
    return {{"n", n},
            {"both", both},
            {"a_only", a_only},
            {"b_only", b_only},
            {"neither", neither},
            {"rate_a", rate_a},
            {"rate_b", rate_b},
            {"difference", rate_b - rate_a},
            {"mcnemar_p", mcnemar_exact_p(a_only, b_only)}};
  }
};

json run_info(const Run& run) {
  return {{"dir", run.dir.string()},
          {"method", run.summary["method"]},
          {"suite", run.summary["suite"]},
          {"seed", run.summary["seed"]}};
}

json row_json(const std::string& task, const std::string& object_set, const std::string& scene_set,
              const std::map<std::string, Tally>& tallies) {
  json row = {{"task", task}, {"object_set", object_set}, {"scene_set", scene_set}};
  row["rates"] = json::object();
  for (const auto& [name, tally] : tallies) row["rates"][name] = tally.to_json();
  return row;
}

// Every trial whose outcome differs between the runs on a compared rate, in
// A's order: runs are deterministic, so each one is a change to look at.
json flipped_trials(const Run& a, const Run& b, const std::vector<Rate>& rates) {
  json flipped = json::array();
  for (const json& ra : a.records) {
    const json& rb = b.records[b.by_id.at(ra["id"].get<std::string>())];
    json changes = json::object();
    for (const Rate& rate : rates) {
      const bool pa = ra[rate.key].get<bool>(), pb = rb[rate.key].get<bool>();
      if (pa != pb) changes[rate.name] = pa ? "A" : "B";
    }
    if (changes.empty()) continue;
    flipped.push_back({{"id", ra["id"]},
                       {"rates", changes},
                       {"a_failure_mode", ra.value("failure_mode", "")},
                       {"b_failure_mode", rb.value("failure_mode", "")}});
  }
  return flipped;
}

}  // namespace

double mcnemar_exact_p(int b, int c) {
  if (b < 0 || c < 0) throw std::invalid_argument("mcnemar_exact_p: negative count");
  const int n = b + c;
  if (n == 0) return 1.0;
  const int k = std::min(b, c);
  // log(C(n, i) 0.5^n) by the recurrence C(n, i+1) = C(n, i) (n-i)/(i+1):
  // C(n, k) overflows and 0.5^n underflows long before n reaches thousands,
  // their logs do not. The terms grow up to i = k <= n/2, so the last one is
  // the largest and the sum is taken relative to it.
  std::vector<long double> log_terms(k + 1);
  log_terms[0] = n * std::log(0.5L);
  for (int i = 0; i < k; ++i)
    log_terms[i + 1] = log_terms[i] + std::log(static_cast<long double>(n - i) / (i + 1));
  const long double top = log_terms[k];
  long double sum = 0;
  for (const long double t : log_terms) sum += std::exp(t - top);
  const long double log_p = std::log(2.0L) + top + std::log(sum);
  return log_p >= 0 ? 1.0 : static_cast<double>(std::exp(log_p));
}

nlohmann::json compare_result_dirs(const fs::path& dir_a, const fs::path& dir_b) {
  Run a = load_run("A", dir_a), b = load_run("B", dir_b);
  check_same_suite(a, b);
  read_trials(a);
  read_trials(b);
  check_same_trials(a, b);

  json out = {{"a", run_info(a)}, {"b", run_info(b)}};
  out["rates"] = json::array();
  out["rates_left_out"] = json::array();
  std::vector<Rate> rates;
  for (const Rate& rate : kRates) {
    const std::string reason = missing_key_reason(rate, a, b);
    if (reason.empty()) {
      rates.push_back(rate);
      out["rates"].push_back({{"name", rate.name}, {"key", rate.key}});
    } else {
      out["rates_left_out"].push_back({{"name", rate.name}, {"key", rate.key}, {"reason", reason}});
    }
  }

  using RowKey = std::tuple<std::string, std::string, std::string>;
  std::vector<RowKey> order;
  std::map<RowKey, std::map<std::string, Tally>> rows;
  std::map<std::string, Tally> overall;
  for (const json& ra : a.records) {
    const json& rb = b.records[b.by_id.at(ra["id"].get<std::string>())];
    const RowKey key{ra["task"].get<std::string>(), ra["object_set"].get<std::string>(),
                     ra["scene_set"].get<std::string>()};
    if (!rows.count(key)) order.push_back(key);
    auto& row = rows[key];
    for (const Rate& rate : rates) {
      row[rate.name].add(ra[rate.key].get<bool>(), rb[rate.key].get<bool>());
      overall[rate.name].add(ra[rate.key].get<bool>(), rb[rate.key].get<bool>());
    }
  }
  out["flipped"] = flipped_trials(a, b, rates);
  out["rows"] = json::array();
  for (const RowKey& key : order)
    out["rows"].push_back(
        row_json(std::get<0>(key), std::get<1>(key), std::get<2>(key), rows[key]));
  out["overall"] = row_json("all", "all", "all", overall);
  return out;
}

std::string comparison_markdown(const nlohmann::json& cmp) {
  const json &a = cmp["a"], &b = cmp["b"];
  std::string md = fmt::format("# Paired comparison — suite `{}`, seed {}\n\n",
                               a["suite"].get<std::string>(), a["seed"].dump());
  md +=
      fmt::format("- A: `{}` ({})\n", a["method"].get<std::string>(), a["dir"].get<std::string>());
  md +=
      fmt::format("- B: `{}` ({})\n", b["method"].get<std::string>(), b["dir"].get<std::string>());
  md +=
      "- Trials paired by id (same suite and seed: identical scenes). B − A in percentage points; "
      "p: McNemar's exact two-sided test on the discordant trials (A only vs B only).\n";
  for (const json& left : cmp["rates_left_out"])
    md += fmt::format("- Rate `{}` left out: {}.\n", left["name"].get<std::string>(),
                      left["reason"].get<std::string>());
  for (const json& rate : cmp["rates"]) {
    const std::string name = rate["name"].get<std::string>();
    md += fmt::format("\n## {} (`{}`)\n\n", name, rate["key"].get<std::string>());
    md +=
        "| task | object set | scene set | n | both | A only | B only | neither | A | B | B − A | "
        "p |\n";
    md += "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
    auto line = [&](const json& row, bool bold) {
      const std::string s = bold ? "**" : "";
      const json& t = row["rates"][name];
      md += fmt::format(
          "| {0}{1}{0} | {2} | {3} | {4} | {5} | {6} | {7} | {8} | {9:.1f}% | {10:.1f}% | "
          "{0}{11:+.1f} pp{0} | {0}{12:.3g}{0} |\n",
          s, row["task"].get<std::string>(), row["object_set"].get<std::string>(),
          row["scene_set"].get<std::string>(), t["n"].get<int>(), t["both"].get<int>(),
          t["a_only"].get<int>(), t["b_only"].get<int>(), t["neither"].get<int>(),
          100 * t["rate_a"].get<double>(), 100 * t["rate_b"].get<double>(),
          100 * t["difference"].get<double>(), t["mcnemar_p"].get<double>());
    };
    for (const json& row : cmp["rows"]) line(row, false);
    line(cmp["overall"], true);
  }
  if (cmp["rates"].empty()) md += "\nNo rate is recorded by both runs.\n";
  if (cmp.contains("flipped")) {
    const json& flipped = cmp["flipped"];
    md += fmt::format("\n## Flipped trials ({})\n\n", flipped.size());
    if (flipped.empty()) {
      md += "Every trial has the same outcome in both runs.\n";
    } else {
      md +=
          "| trial | rate: the run that passed it | A failure | B failure |\n| --- | --- | --- | "
          "--- |\n";
      for (const json& f : flipped) {
        std::string changes;
        for (const auto& [rate, side] : f["rates"].items())
          changes +=
              fmt::format("{}{}: {}", changes.empty() ? "" : ", ", rate, side.get<std::string>());
        md += fmt::format("| {} | {} | {} | {} |\n", f["id"].get<std::string>(), changes,
                          f["a_failure_mode"].get<std::string>(),
                          f["b_failure_mode"].get<std::string>());
      }
    }
  }
  return md;
}

}  // namespace dffeval
