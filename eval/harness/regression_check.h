#pragma once
// A regression check on a paired comparison (eval/harness/paired_comparison.h)
// of a baseline run A and a candidate run B of the same suite and seed: B
// regresses where it passes significantly fewer trials than A.
//
// "Significantly": McNemar's exact two-sided p < alpha (default 0.05) with B
// behind A, on any compared rate (lift, robust, transfer), per row (task x
// object set x scene set) and overall. The rows are not corrected for
// multiplicity on purpose: with the few trials of a CI suite only the
// overall line can reach p < 0.05 at all (a row of n trials needs n >= 6
// discordant ones, all one way), and a false alarm costs a look at the
// flipped trials the comparison lists, a missed regression a broken method.

#include <nlohmann/json.hpp>
#include <string>

namespace dffeval {

constexpr double kDefaultRegressionAlpha = 0.05;

/// The regressions of a comparison, rows first then overall:
///   [{"task", "object_set", "scene_set", "rate", "a_only", "b_only",
///     "rate_a", "rate_b", "mcnemar_p"}]
/// empty when B is nowhere significantly worse. alpha in (0, 1).
nlohmann::json find_regressions(const nlohmann::json& comparison,
                                double alpha = kDefaultRegressionAlpha);

/// The verdict as Markdown: "no regression" or a table of the regressions.
std::string regression_markdown(const nlohmann::json& regressions, double alpha);

}  // namespace dffeval
