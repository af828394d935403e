// The report's SVG charts: bars as tall as their rates, error bars at their
// bounds, stacked counts as long as their share, bad shapes refused.

#include "eval/viz/svg_chart.h"

#include <gtest/gtest.h>

#include <cmath>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

namespace dffeval {
namespace {

int count_of(const std::string& text, const std::string& part) {
  int n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

/// The heights of the <rect>s with a fill from the palette, in order.
std::vector<double> bar_heights(const std::string& svg) {
  std::vector<double> out;
  const std::regex rect(
      "<rect x=\"[^\"]+\" y=\"[^\"]+\" width=\"[^\"]+\" height=\"([^\"]+)\" fill=\"#");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), rect); it != std::sregex_iterator();
       ++it)
    out.push_back(std::stod((*it)[1]));
  return out;
}

TEST(RateChart, BarsAreAsTallAsTheirRatesAndMissingOnesAreNotDrawn) {
  RateChart c;
  c.title = "transfer <rate>";
  c.series = {"sparsedff", "heuristic"};
  c.groups = {"can_wrap", "overall"};
  c.bars = {{RateBar{0.5, 0.3, 0.7, 5, 10}, std::nullopt},
            {RateBar{1.0, 0.8, 1.0, 10, 10}, RateBar{0.25, 0.1, 0.5, 1, 4}}};
  const std::string svg = rate_chart_svg(c);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("transfer &lt;rate&gt;"), std::string::npos);
  // Legend swatches come last (height 10); the 3 bars first, plot height 220.
  const std::vector<double> h = bar_heights(svg);
  ASSERT_EQ(h.size(), 3u + 2u);
  EXPECT_DOUBLE_EQ(h[0], 110.0);
  EXPECT_DOUBLE_EQ(h[1], 220.0);
  EXPECT_DOUBLE_EQ(h[2], 55.0);
  // Each bar's tooltip gives its counts and interval.
  EXPECT_NE(svg.find("sparsedff / can_wrap: 5/10 = 50% [30%, 70%]"), std::string::npos);
  EXPECT_NE(svg.find("heuristic / overall: 1/4 = 25% [10%, 50%]"), std::string::npos);
  EXPECT_EQ(count_of(svg, "<g><title>"), 3);
}

TEST(RateChart, RefusesABadShapeOrARateOutsideZeroOne) {
  RateChart c;
  c.series = {"a", "b"};
  c.groups = {"g"};
  c.bars = {{RateBar{0.5, 0.3, 0.7, 1, 2}}};
  EXPECT_THROW(rate_chart_svg(c), std::invalid_argument);
  c.bars = {{RateBar{0.5, 0.3, 0.7, 1, 2}, RateBar{1.5, 0.3, 0.7, 1, 2}}};
  EXPECT_THROW(rate_chart_svg(c), std::invalid_argument);
  c.bars = {{RateBar{0.5, 0.3, 0.7, 1, 2}, RateBar{std::nan(""), 0.3, 0.7, 1, 2}}};
  EXPECT_THROW(rate_chart_svg(c), std::invalid_argument);
  c.bars = {{RateBar{0.5, 0.3, 0.7, 1, 2}, RateBar{0.5, 0.3, 0.7, 1, 2}}};
  EXPECT_NO_THROW(rate_chart_svg(c));
}

/// The widths of the stacked parts (rects with a <title> inside).
std::vector<double> part_widths(const std::string& svg) {
  std::vector<double> out;
  const std::regex rect(
      "<rect x=\"[^\"]+\" y=\"[^\"]+\" width=\"([^\"]+)\" height=\"[^\"]+\" "
      "fill=\"[^\"]+\"><title>");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), rect); it != std::sregex_iterator();
       ++it)
    out.push_back(std::stod((*it)[1]));
  return out;
}

TEST(CountChart, PartsAreAsLongAsTheirShareOfTheLongestRow) {
  CountChart c;
  c.rows = {"sparsedff", "heuristic"};
  c.parts = {"none", "slipped", "wrong_part"};
  c.counts = {{6, 2, 0}, {2, 2, 4}};
  const std::string svg = count_chart_svg(c);
  const std::vector<double> w = part_widths(svg);
  ASSERT_EQ(w.size(), 5u);  // the zero part is not drawn
  EXPECT_DOUBLE_EQ(w[0], 520.0 * 6 / 8);
  EXPECT_DOUBLE_EQ(w[1], 520.0 * 2 / 8);
  EXPECT_DOUBLE_EQ(w[4], 520.0 * 4 / 8);
  EXPECT_NE(svg.find("heuristic / wrong_part: 4"), std::string::npos);
  c.counts = {{6, 2, 0}, {2, -1, 4}};
  EXPECT_THROW(count_chart_svg(c), std::invalid_argument);
  c.counts = {{6, 2, 0}};
  EXPECT_THROW(count_chart_svg(c), std::invalid_argument);
}

TEST(XmlEscaped, WritesTheFiveSpecialCharactersAsEntities) {
  EXPECT_EQ(xml_escaped("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(xml_escaped("plain_text 1/2"), "plain_text 1/2");
}

TEST(PaletteColour, CyclesThroughEightDistinctColours) {
  EXPECT_EQ(palette_colour(0), "#0072B2");
  EXPECT_EQ(palette_colour(8), palette_colour(0));
  EXPECT_NE(palette_colour(1), palette_colour(0));
  EXPECT_EQ(palette_colour(-1), palette_colour(7));
}

}  // namespace
}  // namespace dffeval
