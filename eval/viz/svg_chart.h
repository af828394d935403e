#pragma once
// Inline SVG charts for the HTML report (`dffeval report`): grouped bars of
// success rates with their 95% intervals, and stacked bars of counts. Plain
// SVG 1.1 text, no script and no external resource, so that the report is
// one self-contained file a browser opens offline. Every bar carries a
// <title> (the browser's tooltip) with its exact numbers.

#include <optional>
#include <string>
#include <vector>

namespace dffeval {

/// One success rate with its 95% interval, all in [0, 1].
struct RateBar {
  double rate = 0.0;
  double ci_low = 0.0;
  double ci_high = 0.0;
  int successes = 0;
  int trials = 0;
};

/// Bars side by side in each group (a task), one per series (a method),
/// each with an error bar from ci_low to ci_high; the y axis is 0-100%.
struct RateChart {
  std::string title;
  /// Legend, in bar order within a group.
  std::vector<std::string> series;
  /// Labels under the groups.
  std::vector<std::string> groups;
  /// [group][series]; nullopt draws no bar (the method did not run the task).
  std::vector<std::vector<std::optional<RateBar>>> bars;
};

/// Horizontal bars, one per row (a method), split into parts (failure
/// modes) by count, each bar as long as its row's total.
struct CountChart {
  std::string title;
  /// Labels left of the bars.
  std::vector<std::string> rows;
  /// Legend, in stacking order.
  std::vector<std::string> parts;
  /// [row][part].
  std::vector<std::vector<int>> counts;
};

/// The chart as an <svg> element. Throws std::invalid_argument when `bars`
/// does not have one entry per group with one per series, or a rate or
/// interval bound lies outside [0, 1] (or is NaN).
std::string rate_chart_svg(const RateChart& chart);

/// The chart as an <svg> element. Throws std::invalid_argument when
/// `counts` does not have one entry per row with one per part, or a count is
/// negative.
std::string count_chart_svg(const CountChart& chart);

/// `text` with & < > " ' written as XML entities (for SVG and HTML alike).
std::string xml_escaped(const std::string& text);

/// The i-th colour of a palette distinguishable in colour-blind vision
/// (Okabe and Ito 2008, "Color Universal Design"), as "#rrggbb"; cycles.
std::string palette_colour(int i);

}  // namespace dffeval
