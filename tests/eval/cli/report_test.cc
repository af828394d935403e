// `dffeval report` through the real binary on the committed smoke baseline
// (results/baselines/smoke-sparsedff, 16 trials): a picture of every trial,
// the page opened in headless Chromium (Debian's `chromium`, installed by
// scripts/install_deps.sh) without console errors and not blank; a paired
// comparison of two runs; bad input refused with exit 2.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "tests/fixtures/cli_run.h"
#include "tests/fixtures/png_image.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

using fixtures::contains;
using fixtures::run_dffeval;

const fs::path kBaseline =
    fs::path(DFFEVAL_SOURCE_DIR) / "results" / "baselines" / "smoke-sparsedff";

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), {}};
}

int count_of(const std::string& text, const std::string& part) {
  int n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

/// Runs headless Chromium on `page` with `what` (--dump-dom, --screenshot=F)
/// and returns its stdout; its stderr (the page's console, logged) goes to
/// `log`.
std::string chromium(const fs::path& page, const std::string& what, const fs::path& log) {
  const fs::path profile = log.parent_path() / "chromium-profile";
  const fs::path out = log.string() + ".stdout";
  const std::string cmd =
      "timeout 120 chromium --headless --no-sandbox --disable-gpu --enable-logging=stderr --v=0 "
      "--window-size=1280,1800 --user-data-dir=" +
      profile.string() + " " + what + " file://" + fs::absolute(page).string() + " > " +
      out.string() + " 2> " + log.string();
  const int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << "chromium failed (is Debian's chromium installed? scripts/install_deps.sh "
                      "installs it): "
                   << cmd << "\n"
                   << read_text(log);
  return read_text(out);
}

TEST(ReportVerb, PicturesEveryTrialAndLoadsInChromiumWithoutErrors) {
  const fs::path dir = fixtures::fresh_temp_dir("cli_report");
  const fs::path html_file = dir / "report.html";
  const auto r = run_dffeval("report " + kBaseline.string() + " --out " + html_file.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "wrote " + html_file.string())) << r.output;
  EXPECT_TRUE(contains(r.output, "gallery: 16/16 pictures")) << r.output;
  EXPECT_FALSE(fs::exists(html_file.string() + ".tmp"));
  const std::string html = read_text(html_file);
  EXPECT_EQ(count_of(html, "<figure class=\"card\""), 16);
  EXPECT_EQ(count_of(html, "src=\"data:image/png;base64,iVBOR"), 16);
  EXPECT_EQ(count_of(html, "no picture"), 0) << "a trial of the baseline did not replay";
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);

  // The page's script ran (it marks <body>) and logged nothing.
  const fs::path dom_log = dir / "dom.log";
  const std::string dom = chromium(html_file, "--dump-dom", dom_log);
  EXPECT_TRUE(contains(dom, "data-ready=\"yes\"")) << dom.substr(0, 2000);
  EXPECT_FALSE(contains(dom, "data-errors=")) << dom.substr(0, 2000);
  EXPECT_TRUE(contains(dom, "16 of 16 trials")) << "the gallery filter did not count the cards";
  EXPECT_FALSE(contains(read_text(dom_log), ":CONSOLE")) << read_text(dom_log);

  // The screenshot shows a page: mostly white with text, tables and
  // pictures, not one flat colour.
  const fs::path shot = dir / "report.png";
  chromium(html_file, "--screenshot=" + shot.string(), dir / "shot.log");
  const fixtures::PngImage png = fixtures::read_png(shot);
  ASSERT_EQ(png.width, 1280);
  std::set<int> colours;
  int non_white = 0;
  for (int v = 0; v < png.height; v += 2) {
    for (int u = 0; u < png.width; u += 2) {
      const std::uint8_t* c = png.at(u, v);
      colours.insert((c[0] << 16) | (c[1] << 8) | c[2]);
      non_white += (c[0] < 240 || c[1] < 240 || c[2] < 240) ? 1 : 0;
    }
  }
  EXPECT_GT(colours.size(), 50u);
  EXPECT_GT(non_white, png.width * png.height / 4 / 50) << "under 2% of the page is not white";
}

TEST(ReportVerb, PairsTwoRunsOfOneSuiteAndSeed) {
  const fs::path dir = fixtures::fresh_temp_dir("cli_report_pair");
  fs::copy(kBaseline, dir / "again", fs::copy_options::recursive);
  const fs::path html_file = dir / "pair.html";
  const auto r = run_dffeval("report " + kBaseline.string() + " " + (dir / "again").string() +
                             " --gallery none --out " + html_file.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string html = read_text(html_file);
  EXPECT_TRUE(contains(html, "sparsedff (A) vs sparsedff (B), suite smoke")) << html.substr(0, 500);
  EXPECT_TRUE(contains(html, "0 trials differ.")) << r.output;
  EXPECT_TRUE(contains(html, "sparsedff (smoke-sparsedff)"));
  EXPECT_TRUE(contains(html, "sparsedff (again)"));
  EXPECT_EQ(count_of(html, "<figure"), 0);
}

TEST(ReportVerb, ARunIdOfTheStoreStandsForItsFolder) {
  const fs::path dir = fixtures::fresh_temp_dir("cli_report_id");
  const fs::path db = dir / "store.sqlite", out = dir / "run";
  auto r =
      run_dffeval("--suite " + fixtures::write_small_suite(dir).string() +
                  " --method heuristic --quiet --out " + out.string() + " --db " + db.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run_dffeval("report 1 --gallery none --db " + db.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::is_regular_file(out / "report.html")) << r.output;
  r = run_dffeval("compare 1 " + out.string() + " --db " + db.string() + " --out " +
                  (dir / "cmp").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::is_regular_file(dir / "cmp" / "comparison.json"));
  r = run_dffeval("report 2 --db " + db.string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "has no run 2")) << r.output;
}

TEST(ReportVerb, BadInputIsExitCode2WithTheReason) {
  const fs::path dir = fixtures::fresh_temp_dir("cli_report_bad");
  auto r = run_dffeval("report " + (dir / "nowhere").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, (dir / "nowhere").string() + ": no such folder")) << r.output;
  r = run_dffeval("report " + kBaseline.string() + " --gallery none --out " + dir.string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "is a folder")) << r.output;
  r = run_dffeval("report " + kBaseline.string() + " --gallery some");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_FALSE(fs::exists(kBaseline / "report.html"));
}

}  // namespace
}  // namespace dffeval
