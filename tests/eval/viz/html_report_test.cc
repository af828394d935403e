// The HTML report from result folders made here in memory: every rate cell
// with its interval, distinct run labels, escaped text, the gallery's cards
// with their filter attributes and pictures, base64 against RFC 4648.

#include "eval/viz/html_report.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/input_error.h"

namespace dffeval {
namespace {

using nlohmann::json;

json rate(double r, double lo, double hi, int n) {
  return {{"rate", r}, {"ci95", {lo, hi}}, {"successes", n}};
}

ResultFolder run(const std::string& dir, const std::string& method, double transfer) {
  ResultFolder f;
  f.dir = dir;
  json row = {{"task", "mug_<top>"},
              {"object_set", "novel"},
              {"scene_set", "clean"},
              {"trials", 4},
              {"lift", rate(1.0, 0.51, 1.0, 4)},
              {"robust", rate(0.75, 0.3, 0.95, 3)},
              {"transfer", rate(transfer, 0.1, 0.9, 2)}};
  json overall = row;
  overall["task"] = overall["object_set"] = overall["scene_set"] = "all";
  f.summary = {{"suite", "tiny"}, {"method", method},   {"seed", 5},
               {"rows", {row}},   {"overall", overall}, {"provenance", {{"git_commit", "abc123"}}}};
  for (int i = 0; i < 4; ++i)
    f.trials.push_back({{"id", "mug_<top>/novel/clean/00" + std::to_string(i)},
                        {"task", "mug_<top>"},
                        {"failure_mode", i < 2 ? "none" : "wrong_part"},
                        {"success", true},
                        {"transfer", i < 2},
                        {"fidelity", {{"part_agreement", 0.5}, {"contact_error", 0.125}}}});
  return f;
}

int count_of(const std::string& text, const std::string& part) {
  int n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

TEST(Base64, MatchesTheTestVectorsOfRfc4648) {
  auto b64 = [](const std::string& s) { return base64({s.begin(), s.end()}); };
  EXPECT_EQ(b64(""), "");
  EXPECT_EQ(b64("f"), "Zg==");
  EXPECT_EQ(b64("fo"), "Zm8=");
  EXPECT_EQ(b64("foo"), "Zm9v");
  EXPECT_EQ(b64("foob"), "Zm9vYg==");
  EXPECT_EQ(b64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(b64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64({0xff, 0xfe, 0x00}), "//4A");
}

TEST(RunLabels, AreTheMethodUnlessTwoRunsShareIt) {
  const std::vector<ResultFolder> runs = {
      run("r/a", "sparsedff", 0.5), run("r/b", "sparsedff", 0.5), run("q/b", "sparsedff", 0.5),
      run("r/c", "oracle-pose", 1)};
  EXPECT_EQ(run_labels(runs), (std::vector<std::string>{"sparsedff (a)", "sparsedff (b)",
                                                        "sparsedff (b) #2", "oracle-pose"}));
}

TEST(HtmlReport, HasEveryRateCellChartAndCardWithTextEscaped) {
  ReportContent c;
  c.runs = {run("r/a", "sparsedff", 0.5), run("r/b", "heuristic", 0.25)};
  c.labels = run_labels(c.runs);
  for (std::size_t t = 0; t < 4; ++t)
    c.gallery.push_back({1, t, {}, "no picture: test", t == 1 ? "videos/x.mp4" : ""});
  c.gallery[0].png = {0x89, 'P', 'N', 'G'};
  c.gallery_scope = "every trial";
  c.generated_by = "a test";
  const std::string html = html_report(c);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  // Three tables (transfer, lift, robust), two runs, a task row and overall.
  EXPECT_EQ(count_of(html,
                     "<td><b>50%</b> <span class=\"ci\">[10%, 90%]</span> <span "
                     "class=\"n\">2/4</span></td>"),
            2);  // sparsedff's transfer: the task row and overall
  EXPECT_EQ(count_of(html, "<b>100%</b> <span class=\"ci\">[51%, 100%]</span>"), 4);
  EXPECT_EQ(count_of(html, "<b>75%</b>"), 4);
  EXPECT_EQ(count_of(html, "<svg"), 4);  // three rates and the failure modes
  EXPECT_EQ(html.find("mug_<top>"), std::string::npos);
  EXPECT_NE(html.find("mug_&lt;top&gt;"), std::string::npos);
  EXPECT_EQ(count_of(html, "<figure class=\"card\" data-run=\"heuristic\""), 4);
  EXPECT_EQ(count_of(html, "data-mode=\"wrong_part\""), 2);
  EXPECT_EQ(count_of(html, "src=\"data:image/png;base64,iVBORw==\""), 1);
  EXPECT_EQ(count_of(html, "no picture: test"), 3);
  EXPECT_EQ(count_of(html, "<a href=\"videos/x.mp4\">video</a>"), 1);
  EXPECT_NE(html.find("part agreement 0.50, contact error 0.125"), std::string::npos);
  EXPECT_NE(html.find("No two runs share a suite and seed"), std::string::npos);
  // Self-contained: nothing is fetched.
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
}

TEST(HtmlReport, ReadsTheLiftOfARunMadeBeforeTheJudge) {
  ReportContent c;
  c.runs = {run("r/a", "sparsedff", 0.5)};
  json old_row = {{"task", "mug_<top>"}, {"object_set", "novel"}, {"scene_set", "clean"},
                  {"trials", 10},        {"success_rate", 0.9},   {"ci95", {0.6, 0.98}},
                  {"successes", 9}};
  c.runs[0].summary["rows"] = {old_row};
  c.runs[0].summary.erase("overall");
  c.labels = run_labels(c.runs);
  const std::string html = html_report(c);
  EXPECT_EQ(count_of(html,
                     "<b>90%</b> <span class=\"ci\">[60%, 98%]</span> <span "
                     "class=\"n\">9/10</span>"),
            1);  // lift only: transfer and robust did not exist
  EXPECT_GE(count_of(html, "<td class=\"na\">-</td>"), 4);
}

TEST(HtmlReport, RefusesAGalleryPictureOfNoTrialAndASummaryWithoutRows) {
  ReportContent c;
  c.runs = {run("r/a", "sparsedff", 0.5)};
  c.labels = run_labels(c.runs);
  c.gallery.push_back({0, 4, {}, "", ""});
  EXPECT_THROW(html_report(c), InputError);
  c.gallery.clear();
  c.runs[0].summary.erase("rows");
  try {
    html_report(c);
    FAIL() << "a summary without rows was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("r/a/summary.json: no \"rows\" list"), std::string::npos)
        << e.what();
  }
}

TEST(HtmlReport, ShowsAPairedComparisonWithItsSignificance) {
  ReportContent c;
  c.runs = {run("r/a", "sparsedff", 0.5), run("r/b", "heuristic", 0.25)};
  c.labels = run_labels(c.runs);
  json stats = {
      {"rate_a", 0.5}, {"rate_b", 0.25}, {"a_only", 1}, {"b_only", 0}, {"mcnemar_p", 0.01}};
  c.comparisons.push_back({{"a", {{"method", "sparsedff"}, {"suite", "tiny"}, {"seed", 5}}},
                           {"b", {{"method", "heuristic"}}},
                           {"rates", {{{"name", "transfer"}}}},
                           {"flipped", json::array({json::object()})},
                           {"rows", json::array()},
                           {"overall", {{"task", "all"}, {"rates", {{"transfer", stats}}}}}});
  c.comparison_notes.push_back("x and y not compared: different trials");
  const std::string html = html_report(c);
  EXPECT_NE(html.find("sparsedff (A) vs heuristic (B), suite tiny, seed 5"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"sig\">50% &rarr; 25% <span class=\"n\">A only 1, B only "
                      "0</span> p 0.010</td>"),
            std::string::npos);
  EXPECT_NE(html.find("1 trials differ."), std::string::npos);
  EXPECT_NE(html.find("x and y not compared: different trials"), std::string::npos);
}

}  // namespace
}  // namespace dffeval
