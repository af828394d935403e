#include "eval/harness/regression_check.h"

#include <fmt/format.h>

#include <stdexcept>

namespace dffeval {

using json = nlohmann::json;

json find_regressions(const json& comparison, double alpha) {
  if (!(alpha > 0 && alpha < 1))
    throw std::invalid_argument(fmt::format("regression alpha {} is not in (0, 1)", alpha));
  json found = json::array();
  auto check = [&](const json& row) {
    for (const json& rate : comparison.at("rates")) {
      const std::string name = rate.at("name").get<std::string>();
      const json& t = row.at("rates").at(name);
      const int a_only = t.at("a_only").get<int>(), b_only = t.at("b_only").get<int>();
      const double p = t.at("mcnemar_p").get<double>();
      if (b_only >= a_only || p >= alpha) continue;
      found.push_back({{"task", row.at("task")},
                       {"object_set", row.at("object_set")},
                       {"scene_set", row.at("scene_set")},
                       {"rate", name},
                       {"a_only", a_only},
                       {"b_only", b_only},
                       {"rate_a", t.at("rate_a")},
                       {"rate_b", t.at("rate_b")},
                       {"mcnemar_p", p}});
    }
  };
  for (const json& row : comparison.at("rows")) check(row);
  check(comparison.at("overall"));
  return found;
}

std::string regression_markdown(const json& regressions, double alpha) {
  if (regressions.empty())
    return fmt::format(
        "\n## Regression check: none\n\nB is nowhere significantly worse than A (McNemar p < "
        "{:g}, per row and overall).\n",
        alpha);
  std::string md = fmt::format(
      "\n## Regression check: {} REGRESSION(S)\n\nB is significantly worse than A (McNemar p < "
      "{:g}) on:\n\n| task | object set | scene set | rate | A only | B only | A | B | p |\n"
      "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |\n",
      regressions.size(), alpha);
  for (const json& r : regressions)
    md +=
        fmt::format("| {} | {} | {} | {} | {} | {} | {:.1f}% | {:.1f}% | {:.3g} |\n",
                    r["task"].get<std::string>(), r["object_set"].get<std::string>(),
                    r["scene_set"].get<std::string>(), r["rate"].get<std::string>(),
                    r["a_only"].get<int>(), r["b_only"].get<int>(), 100 * r["rate_a"].get<double>(),
                    100 * r["rate_b"].get<double>(), r["mcnemar_p"].get<double>());
  return md;
}

}  // namespace dffeval
