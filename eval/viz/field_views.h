#pragma once
// `dffeval vis`: pictures of SparseDFF feature fields (the published
// visualisations, reference/sparsedff_method.md), for a reference scene and a
// test scene run through the full chain: featurizer, refiner trained on the
// reference scene, pruning, field (settings: config/methods/sparsedff.yaml).
//
// Modes (files written into OUT):
//   similarity  similarity of every kept point of both clouds to one chosen
//               reference point's feature (l2 or cosine): similarity.png
//               (reference | test, two viewpoints each, the chosen point and
//               the test's best match marked, a colour bar),
//               similarity_ref.ply, similarity_test.ply;
//   volume      the test field's similarity to that feature on a 3D grid over
//               the test cloud's bounds: grid points above a threshold (or a
//               few horizontal slices) over the test cloud in grey:
//               volume.png, volume.ply (the grid points drawn, coloured),
//               volume_test.ply;
//   pca         both clouds coloured by a PCA of their refined features fitted
//               on both at once (so equal features get equal colours):
//               pca.png, pca_ref.ply, pca_test.ply; the same for the raw
//               backbone features: pca_raw.png; with the default scenes the
//               demonstrated hand is drawn in grey on the reference
//               (demo_hand.ply);
//   all         the three.
// Every picture: white background, reference left, test right, titles in
// the picture.

#include <ostream>
#include <string>

namespace dffeval {

/// Options of `dffeval vis`.
struct VisOptions {
  /// similarity | volume | pca | all.
  std::string mode = "similarity";
  /// Captures in the render layout (pipeline/observation_io.h). Both empty:
  /// the embedded default pair is rendered (the mug_wrap demonstration's
  /// source scene, and mug seen instance 3 in a clean scene, turned and
  /// shifted). Giving only one is an error.
  std::string ref_dir;
  std::string test_dir;
  /// Backbone name (learned | geometric | torchscript); empty: the
  /// SparseDFF config's.
  std::string backbone;
  /// Weights file of the learned backbone (empty: the SparseDFF config's).
  std::string learned_weights;
  /// Feature similarity: l2 (negative Euclidean distance) or cosine.
  std::string metric = "cosine";
  /// Index of the reference point in the reference scene's foreground cloud
  /// (as logged; 0 <= ref_idx < points). -1: the kept point farthest from
  /// the vertical line through the cloud's centroid (on a mug: the handle).
  long ref_idx = -1;
  /// volume: grid cells along the longest side of the test cloud's box
  /// (padded by 1 cm), in [4, 200].
  int grid = 48;
  /// volume: grid points whose similarity, scaled to [0, 1] over the grid, is
  /// at least this are drawn; in [0, 1].
  double threshold = 0.85;
  /// volume: > 0 draws this many evenly spaced horizontal slices of the whole
  /// grid instead of thresholding.
  int slices = 0;
  /// Output folder; empty: results/vis under the project root.
  std::string out;
  /// SparseDFF source-model cache: empty keeps the config's, "off" disables.
  std::string cache_dir;
  /// Size of one picture panel, pixels.
  int panel_width = 420;
  int panel_height = 360;
};

/// Runs `dffeval vis`: writes the pictures and PLY files of options.mode into
/// options.out and logs what it did (point counts, the reference point, the
/// files). Returns 0. Throws InputError for bad options or captures.
int run_vis(const VisOptions& options, std::ostream& log);

}  // namespace dffeval
