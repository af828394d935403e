// dffeval's entry point: sets up the process and wires the verbs of
// eval/cli/ (one file each) into one CLI11 app.

#include <fmt/format.h>
#include <mujoco/mujoco.h>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "common/input_error.h"
#include "common/provenance.h"
#include "eval/cli/verbs.h"
#include "eval/methods/builtin_methods.h"
#include "pipeline/transfer/sparsedff_transfer.h"

using namespace dffeval;

int main(int argc, char** argv) {
  add_provenance_entry("mujoco_version", std::to_string(mj_version()));
  add_provenance_entry("blas_kernels", blas_kernels());
  // One LibTorch thread per worker: suites parallelize across trials
  // (--jobs), and results then do not depend on the machine's core count.
  set_torch_threads(1);
  register_builtin_methods();
  CLI::App app{
      "dffeval: one-shot dexterous grasp transfer with sparse-view feature fields, "
      "evaluated in MuJoCo.\nWithout a subcommand: run a suite (default: smoke)."};
  app.require_subcommand(0, 1);
  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
  const Verb run = add_run_verb(app);
  const std::vector<Verb> verbs = {
      add_list_verb(app),      add_render_verb(app),
      add_demo_verb(app),      add_train_backbone_verb(app, command_line),
      add_vis_verb(app),       add_fieldeval_verb(app),
      add_transfer_verb(app),  add_compare_verb(app),
      add_judge_vis_verb(app), add_merge_verb(app),
      add_runs_verb(app),      add_report_verb(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    for (const Verb& verb : verbs)
      if (*verb.command) return verb.run();
    return run.run();
  } catch (const InputError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "internal error: {}\n", e.what());
    return 1;
  }
}
