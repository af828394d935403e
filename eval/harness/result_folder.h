#pragma once
// Reading back the folder of a finished run (summary.json and trials.jsonl,
// the contract in ARCHITECTURE.md) for the verbs that look at results after
// the fact: `dffeval report`, `dffeval judge-vis`.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "sim/grasp_executor.h"

namespace dffeval {

struct ResultFolder {
  std::filesystem::path dir;
  /// summary.json, with string "suite" and "method" and integer "seed".
  nlohmann::json summary;
  /// trials.jsonl, one record per non-blank line in file order, each with
  /// string "id", "task" and "failure_mode".
  std::vector<nlohmann::json> trials;
};

/// DIR/summary.json, checked for string "suite" and "method" and an integer
/// "seed". Throws InputError naming the file and the reason.
nlohmann::json read_run_summary(const std::filesystem::path& dir);

/// Reads `dir`. Throws InputError naming the folder, the file (and line) and
/// the reason: no such folder, a missing file, text that is not JSON, a
/// record without its keys, no trials.
ResultFolder read_result_folder(const std::filesystem::path& dir);

/// The execution settings a run used (suite.execution of its
/// resolved_config.json), to replay its trials; the defaults, said so on
/// stderr, for a folder without that file. Throws InputError naming the file
/// when it has no suite.execution.
ExecutionConfig read_run_execution(const std::filesystem::path& dir);

}  // namespace dffeval
