// `dffeval vis`: pictures and PLY files of feature fields (eval/viz/field_views.h).

#include <iostream>
#include <memory>

#include "eval/cli/verbs.h"
#include "eval/viz/field_views.h"

namespace dffeval {

Verb add_vis_verb(CLI::App& app) {
  auto options = std::make_shared<VisOptions>();
  VisOptions& vis = *options;
  auto* vi = app.add_subcommand(
      "vis", "pictures (PNG) and PLY files of feature fields (vis_features.py's modes)");
  vi->add_option("--mode", vis.mode, "similarity | volume | pca | all")->capture_default_str();
  vi->add_option("--ref", vis.ref_dir, "reference capture folder (default: embedded pair)");
  vi->add_option("--test", vis.test_dir, "test capture folder (default: embedded pair)");
  vi->add_option("--backbone", vis.backbone, "learned | geometric | torchscript");
  vi->add_option("--metric", vis.metric, "l2 | cosine")->capture_default_str();
  vi->add_option("--ref-idx", vis.ref_idx, "reference point index (-1: automatic)");
  vi->add_option("--grid", vis.grid, "volume: grid cells along the longest side")
      ->capture_default_str();
  vi->add_option("--threshold", vis.threshold, "volume: similarity drawn, in [0, 1]")
      ->capture_default_str();
  vi->add_option("--slices", vis.slices, "volume: draw this many slices instead");
  vi->add_option("--out", vis.out, "output folder (default results/vis)");

  return {vi, [options] { return run_vis(*options, std::cout); }};
}

}  // namespace dffeval
