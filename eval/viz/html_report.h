#pragma once
// The HTML report of `dffeval report RUN...`: one self-contained file (inline
// CSS, SVG charts and script, pictures as data URIs; nothing fetched, so it
// opens offline and can be mailed or attached to a paper's artefacts):
//   - the runs (suite, method, seed, trials, commit, folder);
//   - one table per rate (transfer, the headline, then lift and robust):
//     rows task x object set x scene set and overall, a column per run, each
//     cell the rate, its 95% Wilson interval and the counts;
//   - the same as bar charts with error bars, and each run's failure modes
//     stacked;
//   - the paired comparisons of runs of one suite and seed (McNemar);
//   - a gallery with a picture per trial (the hand on the object at the end
//     of closing, contacts marked against the demonstration's), filterable
//     by run, task and failure mode.
// The page sets data-ready="yes" on <body> when its script has run and
// data-errors to the script errors it caught, for the browser test.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eval/harness/result_folder.h"

namespace dffeval {

/// One trial's picture in the gallery.
struct GalleryPicture {
  /// Index into ReportContent::runs, and into that run's trials.
  std::size_t run = 0;
  std::size_t trial = 0;
  /// PNG file bytes; empty when there is no picture (`note` says why).
  std::vector<std::uint8_t> png;
  std::string note;
  /// The trial's video (`dffeval --record`), relative to the report; ""
  /// for none.
  std::string video_href;
};

struct ReportContent {
  std::vector<ResultFolder> runs;
  /// One per run, distinct (run_labels()).
  std::vector<std::string> labels;
  /// compare_result_dirs() of run pairs (eval/harness/paired_comparison.h),
  /// and a line for each pair that could not be compared, saying why.
  std::vector<nlohmann::json> comparisons;
  std::vector<std::string> comparison_notes;
  std::vector<GalleryPicture> gallery;
  /// What the gallery holds, for its heading ("every trial", ...).
  std::string gallery_scope;
  /// Who made the report, when ("dffeval 1a2b3c4, 2026-12-03 10:00 UTC").
  std::string generated_by;
};

/// The report as one HTML document. Throws InputError naming the run's
/// folder when a summary's rows or a gallery index do not have the layout
/// summary.json and trials.jsonl have.
std::string html_report(const ReportContent& content);

/// A label per run: its method, with the folder's name added where two runs
/// share a method.
std::vector<std::string> run_labels(const std::vector<ResultFolder>& runs);

/// RFC 4648 base64 of `bytes`, with padding.
std::string base64(const std::vector<std::uint8_t>& bytes);

}  // namespace dffeval
