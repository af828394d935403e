// `dffeval fieldeval`: feature-field quality against the simulator's ground
// truth (eval/harness/field_evaluation.h).

#include <iostream>
#include <memory>

#include "eval/cli/verbs.h"
#include "eval/harness/field_evaluation.h"

namespace dffeval {

Verb add_fieldeval_verb(CLI::App& app) {
  auto options = std::make_shared<FieldEvalOptions>();
  FieldEvalOptions& fe = *options;
  auto* fev = app.add_subcommand("fieldeval",
                                 "measure feature-field quality against simulator ground truth");
  fev->add_option("--suite", fe.suite, "suite whose tasks/scenes are used")->capture_default_str();
  fev->add_option("--pairs", fe.pairs, "scene pairs per category")->capture_default_str();
  fev->add_option("--categories", fe.categories, "only these categories");
  fev->add_option("--backbones", fe.backbones, "backbones to compare");
  fev->add_option("--out", fe.out, "output folder (default results/fieldeval)");

  return {fev, [options] { return run_fieldeval(*options, std::cout); }};
}

}  // namespace dffeval
