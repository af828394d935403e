// `dffeval report RUN... [--out FILE] [--gallery all|failures|none]`: one
// self-contained HTML file of the runs' results (eval/viz/html_report.h),
// with a picture of each trial's grasp replayed from its record.

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/input_error.h"
#include "common/provenance.h"
#include "common/stopwatch.h"
#include "eval/cli/verbs.h"
#include "eval/harness/paired_comparison.h"
#include "eval/harness/result_folder.h"
#include "eval/harness/run_reference.h"
#include "eval/viz/html_report.h"
#include "eval/viz/judge_picture.h"
#include "eval/viz/trial_replay.h"
#include "sim/rgbd_renderer.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

/// Gallery pictures are shrunk to at most this width: 4 cameras x 320
/// trials at full size would make a report of tens of megabytes.
constexpr int kThumbnailWidthPx = 320;

struct ReportArgs {
  std::vector<std::string> runs;
  std::string out;
  std::string gallery = "all";
  std::string db;
};

/// Pairs each run with the first run of the same suite and seed (the
/// scenes are then identical): A is that first run, B the other.
void add_comparisons(ReportContent* c) {
  std::map<std::pair<std::string, long long>, std::size_t> first;
  for (std::size_t i = 0; i < c->runs.size(); ++i) {
    const auto& s = c->runs[i].summary;
    const auto key = std::make_pair(s["suite"].get<std::string>(), s["seed"].get<long long>());
    const auto [it, fresh] = first.emplace(key, i);
    if (fresh) continue;
    try {
      c->comparisons.push_back(compare_result_dirs(c->runs[it->second].dir, c->runs[i].dir));
    } catch (const InputError& e) {
      c->comparison_notes.push_back(
          fmt::format("{} and {} not compared: {}", c->labels[it->second], c->labels[i], e.what()));
    }
  }
}

/// The camera view with most contact markers, shrunk, as PNG bytes.
std::vector<std::uint8_t> thumbnail(const JudgePicture& pic) {
  if (pic.marked_views.empty()) return encode_png(shrunk(pic.image, kThumbnailWidthPx));
  const auto best = std::max_element(pic.markers_per_view.begin(), pic.markers_per_view.end());
  return encode_png(
      shrunk(pic.marked_views[best - pic.markers_per_view.begin()], kThumbnailWidthPx));
}

void add_gallery(ReportContent* c, const std::string& scope, const fs::path& report) {
  if (scope == "none") return;
  std::vector<std::pair<std::size_t, std::size_t>> chosen;
  for (std::size_t r = 0; r < c->runs.size(); ++r)
    for (std::size_t t = 0; t < c->runs[r].trials.size(); ++t)
      if (scope == "all" || c->runs[r].trials[t]["failure_mode"].get<std::string>() != "none")
        chosen.emplace_back(r, t);
  RgbdRenderer renderer;
  std::vector<ExecutionConfig> execution;
  for (const ResultFolder& run : c->runs) execution.push_back(read_run_execution(run.dir));
  const auto t0 = SteadyClock::now();
  int missing = 0;
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    const auto [r, t] = chosen[i];
    GalleryPicture g{r, t, {}, {}, {}};
    const nlohmann::json& record = c->runs[r].trials[t];
    const fs::path video = c->runs[r].dir / "videos" / trial_file_name(record, ".mp4");
    if (fs::is_regular_file(video))
      g.video_href = fs::relative(fs::absolute(video), fs::absolute(report).parent_path()).string();
    try {
      const JudgePicture pic = make_judge_picture(record, execution[r], renderer);
      g.png = thumbnail(pic);
      if (!pic.replay_difference.empty())
        g.note = "the replay's contacts differ from the record's: " + pic.replay_difference;
    } catch (const std::exception& e) {
      // One trial that cannot be replayed (a record from another build)
      // costs its picture, not the report.
      g.note = fmt::format("no picture: {}", e.what());
      ++missing;
      fmt::print(stderr, "warning: {}: {}\n", record["id"].get<std::string>(), e.what());
    }
    c->gallery.push_back(std::move(g));
    if ((i + 1) % 20 == 0 || i + 1 == chosen.size())
      fmt::print(stderr, "gallery: {}/{} pictures, {:.0f} s\n", i + 1, chosen.size(),
                 seconds_since(t0));
  }
  if (missing > 0) fmt::print(stderr, "warning: {} trial(s) without a picture\n", missing);
}

int run_report(const ReportArgs& a) {
  const auto t0 = SteadyClock::now();
  ReportContent c;
  for (const std::string& run : a.runs)
    c.runs.push_back(read_result_folder(result_folder_of(run, a.db)));
  c.labels = run_labels(c.runs);
  const fs::path out = a.out.empty() ? c.runs[0].dir / "report.html" : fs::path(a.out);
  if (fs::is_directory(out))
    throw InputError(fmt::format("{}: is a folder; --out names the HTML file", out.string()));
  // Checked before the pictures are made: they take minutes on a big run.
  const fs::path tmp = out.string() + ".tmp";
  if (out.has_parent_path()) fs::create_directories(out.parent_path());
  if (!std::ofstream(tmp)) throw InputError(fmt::format("{}: cannot write", tmp.string()));
  add_comparisons(&c);
  c.gallery_scope = a.gallery == "all"        ? "every trial"
                    : a.gallery == "failures" ? "the trials with a failure mode"
                                              : "off (--gallery none)";
  add_gallery(&c, a.gallery, out);
  const nlohmann::json prov = provenance();
  c.generated_by = fmt::format("dffeval {} at {} UTC", prov.value("git_commit", std::string("?")),
                               prov.value("time_utc", std::string("?")));
  const std::string html = html_report(c);
  {
    std::ofstream f(tmp, std::ios::binary);
    f << html;
    f.close();
    if (!f) throw InputError(fmt::format("{}: cannot write", tmp.string()));
  }
  std::error_code ec;
  fs::rename(tmp, out, ec);
  if (ec) throw InputError(fmt::format("{}: cannot write: {}", out.string(), ec.message()));
  fmt::print(stderr, "wrote {} ({:.1f} MB, {} run(s), {} picture(s)) in {:.1f} s\n", out.string(),
             static_cast<double>(html.size()) / 1e6, c.runs.size(), c.gallery.size(),
             seconds_since(t0));
  std::cout << out.string() << "\n";
  return 0;
}

}  // namespace

Verb add_report_verb(CLI::App& app) {
  auto args = std::make_shared<ReportArgs>();
  auto* cmd = app.add_subcommand(
      "report",
      "one self-contained HTML file of runs: rates with intervals, charts, paired comparisons, "
      "a picture of every trial");
  cmd->add_option("RUNS", args->runs,
                  "result folders of runs (with summary.json, trials.jsonl), or run ids of the "
                  "results store (`dffeval runs`)")
      ->required();
  cmd->add_option("--db", args->db,
                  "results store to look run ids up in (default: $DFFEVAL_DB, else "
                  "results/dffeval.sqlite)");
  cmd->add_option("--out", args->out, "the HTML file (default: FIRST_RUN/report.html)");
  cmd->add_option("--gallery", args->gallery,
                  "pictures of which trials: all, failures (a failure mode other than none), "
                  "none")
      ->check(CLI::IsMember({"all", "failures", "none"}))
      ->capture_default_str();
  return {cmd, [args] { return run_report(*args); }};
}

}  // namespace dffeval
