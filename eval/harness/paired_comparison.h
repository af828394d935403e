#pragma once
// Paired comparison of two methods run on the same suite and seed: the
// scenes are then identical trial by trial, so the runs are compared on the
// trials where they disagree (McNemar's exact test) rather than as two
// independent rates, which would waste the pairing.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace dffeval {

/// McNemar's exact two-sided p-value on the discordant counts: b trials where
/// A passes and B fails, c where B passes and A fails. Under the null each
/// discordant trial is a fair coin, so p = min(1, 2 P[Binom(b+c, 1/2) <=
/// min(b, c)]); 1 when b + c = 0. Stays finite for b + c in the thousands.
double mcnemar_exact_p(int b, int c);

/// Pairs the trials of two result folders (summary.json and trials.jsonl of
/// `dffeval run`) by trial id and compares the rates lift ("success"),
/// robust ("robust") and transfer ("transfer") per row (task x object set x
/// scene set, in A's order) and overall. A rate whose key is missing from
/// some record of either run is left out and listed under "rates_left_out".
/// Layout:
///   {"a": {"dir", "method", "suite", "seed"}, "b": {...},
///    "rates": [{"name", "key"}], "rates_left_out": [{"name", "key", "reason"}],
///    "flipped": [{"id", "rates": {NAME: "A" | "B" (the run that passed)},
///                 "a_failure_mode", "b_failure_mode"}]  (every trial whose
///                 outcome differs, in A's order),
///    "rows": [{"task", "object_set", "scene_set", "rates": {NAME: STATS}}],
///    "overall": {"task": "all", ..., "rates": {NAME: STATS}}}
/// with STATS = {"n", "both", "a_only", "b_only", "neither", "rate_a",
/// "rate_b", "difference" (rate_b - rate_a), "mcnemar_p"}.
/// Throws InputError naming the file and the reason: a missing folder or
/// file, a line that is not JSON, different suites or seeds, trial ids in one
/// run only, a trial whose seed (or row) differs between the runs.
nlohmann::json compare_result_dirs(const std::filesystem::path& dir_a,
                                   const std::filesystem::path& dir_b);

/// The comparison as Markdown: one table per rate, rows and a bold overall
/// line, p-values to 3 significant digits; then the flipped trials.
std::string comparison_markdown(const nlohmann::json& comparison);

}  // namespace dffeval
