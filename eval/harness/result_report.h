#pragma once
// Result files of a suite run (the contract in ARCHITECTURE.md):
// summary.json, trials.jsonl, table.md, table.csv, plus resolved_config.json.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eval/harness/suite.h"
#include "eval/harness/trial_runner.h"

namespace dffeval {

/// Aggregates trials into rows (task x object set x scene set) and overall.
nlohmann::json summarize(const SuiteSpec& suite, const std::string& method,
                         const std::vector<TrialResult>& results, double wall_time_s);

/// Writes summary.json, trials.jsonl, table.md, table.csv and
/// resolved_config.json into dir (created if missing), each checked and
/// renamed into place (InputError naming the file if a write fails);
/// `extra_summary`'s keys are added to summary.json (e.g. an interrupted
/// run's "incomplete").
void write_results(const std::filesystem::path& dir, const SuiteSpec& suite,
                   const std::string& method, const std::vector<TrialResult>& results,
                   double wall_time_s,
                   const nlohmann::json& extra_summary = nlohmann::json::object());

/// The success-rate table as Markdown, from a summary.
std::string markdown_table(const nlohmann::json& summary);

}  // namespace dffeval
