#include "eval/viz/svg_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace dffeval {
namespace {

// Layout of the rate chart, pixels of the SVG's own coordinates (the page
// scales the whole chart to its width).
constexpr double kBarW = 12.0;
constexpr double kGroupGap = 18.0;
constexpr double kPlotH = 220.0;
constexpr double kLeft = 48.0;
constexpr double kTop = 34.0;
constexpr double kLegendRowH = 16.0;

bool in_unit(double x) { return std::isfinite(x) && x >= 0.0 && x <= 1.0; }

std::string percent(double x) { return fmt::format("{:.0f}%", 100.0 * x); }

void check_shape(std::size_t outer, std::size_t inner, const std::vector<std::size_t>& sizes,
                 const char* what) {
  if (sizes.size() != outer)
    throw std::invalid_argument(fmt::format("{}: {} entries for {}", what, sizes.size(), outer));
  for (std::size_t n : sizes)
    if (n != inner)
      throw std::invalid_argument(fmt::format("{}: an entry of {} for {}", what, n, inner));
}

/// The legend as one row of swatches per `per_row` names, from (x, y).
std::string legend(const std::vector<std::string>& names, double x, double y, int per_row,
                   double column_w) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const double lx = x + static_cast<double>(i % per_row) * column_w;
    const double ly = y + static_cast<double>(i / per_row) * kLegendRowH;
    out += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"10\" height=\"10\" fill=\"{}\"/>"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\">{}</text>\n",
        lx, ly, palette_colour(static_cast<int>(i)), lx + 14, ly + 9, xml_escaped(names[i]));
  }
  return out;
}

int legend_rows(std::size_t names, int per_row) {
  return static_cast<int>((names + per_row - 1) / per_row);
}

}  // namespace

std::string xml_escaped(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string palette_colour(int i) {
  // Okabe & Ito's eight colours, black last (it reads as text otherwise).
  static const std::array<const char*, 8> kColours = {"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                                      "#56B4E9", "#D55E00", "#F0E442", "#000000"};
  const int n = static_cast<int>(kColours.size());
  return kColours[((i % n) + n) % n];
}

std::string rate_chart_svg(const RateChart& chart) {
  std::vector<std::size_t> sizes;
  for (const auto& g : chart.bars) sizes.push_back(g.size());
  check_shape(chart.groups.size(), chart.series.size(), sizes, "rate chart bars");
  for (const auto& g : chart.bars)
    for (const auto& b : g)
      if (b && (!in_unit(b->rate) || !in_unit(b->ci_low) || !in_unit(b->ci_high)))
        throw std::invalid_argument(
            fmt::format("rate chart '{}': a rate or bound outside [0, 1]", chart.title));
  const double group_w = static_cast<double>(chart.series.size()) * kBarW + kGroupGap;
  const double plot_w = std::max(200.0, static_cast<double>(chart.groups.size()) * group_w);
  const double width = kLeft + plot_w + 12;
  const int per_row = std::max(1, static_cast<int>(plot_w / 130.0));
  // Group labels run downwards from under their group: room for the longest
  // (about 6 px a character at font size 11).
  std::size_t longest = 0;
  for (const auto& g : chart.groups) longest = std::max(longest, g.size());
  const double legend_y = kTop + kPlotH + 18 + 6.2 * static_cast<double>(longest);
  const double height = legend_y + legend_rows(chart.series.size(), per_row) * kLegendRowH + 6;
  auto y_of = [](double rate) { return kTop + kPlotH * (1.0 - rate); };

  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {:.0f} {:.0f}\" width=\"{:.0f}\" "
      "role=\"img\" font-family=\"sans-serif\">\n<title>{}</title>\n"
      "<text x=\"{:.1f}\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{}</text>\n",
      width, height, width, xml_escaped(chart.title), kLeft, xml_escaped(chart.title));
  for (int tick = 0; tick <= 4; ++tick) {
    const double y = y_of(tick / 4.0);
    out += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"10\" text-anchor=\"end\">{}%</text>\n",
        kLeft, y, kLeft + plot_w, y, kLeft - 4, y + 3, tick * 25);
  }
  for (std::size_t g = 0; g < chart.groups.size(); ++g) {
    const double gx = kLeft + static_cast<double>(g) * group_w + kGroupGap / 2;
    for (std::size_t s = 0; s < chart.series.size(); ++s) {
      const auto& bar = chart.bars[g][s];
      if (!bar) continue;
      const double x = gx + static_cast<double>(s) * kBarW;
      const double cx = x + kBarW / 2;
      out += fmt::format(
          "<g><title>{} / {}: {}/{} = {} [{}, {}]</title>"
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"/>"
          "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#222\"/>"
          "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#222\"/>"
          "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#222\"/></g>\n",
          xml_escaped(chart.series[s]), xml_escaped(chart.groups[g]), bar->successes, bar->trials,
          percent(bar->rate), percent(bar->ci_low), percent(bar->ci_high), x + 1, y_of(bar->rate),
          kBarW - 2, kPlotH * bar->rate, palette_colour(static_cast<int>(s)), cx, y_of(bar->ci_low),
          cx, y_of(bar->ci_high), cx - 3, y_of(bar->ci_low), cx + 3, y_of(bar->ci_low), cx - 3,
          y_of(bar->ci_high), cx + 3, y_of(bar->ci_high));
    }
    const double lx = gx + static_cast<double>(chart.series.size()) * kBarW / 2 + 4;
    const double ly = kTop + kPlotH + 6;
    out += fmt::format(
        "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"end\" "
        "transform=\"rotate(-90 {:.1f} {:.1f})\">{}</text>\n",
        lx, ly, lx, ly, xml_escaped(chart.groups[g]));
  }
  out += fmt::format(
      "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#444\"/>\n", kLeft,
      y_of(0.0), kLeft + plot_w, y_of(0.0));
  out += legend(chart.series, kLeft, legend_y, per_row, 130.0);
  return out + "</svg>\n";
}

std::string count_chart_svg(const CountChart& chart) {
  std::vector<std::size_t> sizes;
  for (const auto& r : chart.counts) sizes.push_back(r.size());
  check_shape(chart.rows.size(), chart.parts.size(), sizes, "count chart counts");
  int most = 1;
  for (const auto& r : chart.counts) {
    for (int c : r)
      if (c < 0) throw std::invalid_argument("count chart '" + chart.title + "': a negative count");
    most = std::max(most, std::accumulate(r.begin(), r.end(), 0));
  }
  constexpr double kLabelW = 170.0, kPlotW = 520.0, kRowH = 22.0, kBarH = 16.0;
  const int per_row = 4;
  const double legend_y = kTop + static_cast<double>(chart.rows.size()) * kRowH + 8;
  const double width = kLabelW + kPlotW + 60;
  const double height = legend_y + legend_rows(chart.parts.size(), per_row) * kLegendRowH + 6;
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {:.0f} {:.0f}\" width=\"{:.0f}\" "
      "role=\"img\" font-family=\"sans-serif\">\n<title>{}</title>\n"
      "<text x=\"4\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{}</text>\n",
      width, height, width, xml_escaped(chart.title), xml_escaped(chart.title));
  for (std::size_t r = 0; r < chart.rows.size(); ++r) {
    const double y = kTop + static_cast<double>(r) * kRowH;
    out += fmt::format(
        "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"end\">{}</text>\n",
        kLabelW - 6, y + 12, xml_escaped(chart.rows[r]));
    double x = kLabelW;
    int total = 0;
    for (std::size_t p = 0; p < chart.parts.size(); ++p) {
      const int c = chart.counts[r][p];
      total += c;
      if (c == 0) continue;
      const double w = kPlotW * c / most;
      out += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\">"
          "<title>{} / {}: {}</title></rect>\n",
          x, y, w, kBarH, palette_colour(static_cast<int>(p)), xml_escaped(chart.rows[r]),
          xml_escaped(chart.parts[p]), c);
      x += w;
    }
    out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\">{}</text>\n", x + 4,
                       y + 12, total);
  }
  out += legend(chart.parts, kLabelW, legend_y, per_row, 140.0);
  return out + "</svg>\n";
}

}  // namespace dffeval
