#pragma once
// The CLI's verbs, one file each (eval/cli/VERB.cc): each adds its options to
// the CLI11 app and returns what runs it. dffeval_main.cc only wires them.

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace dffeval {

struct Verb {
  /// The subcommand (for `run`: the app itself, which runs when no
  /// subcommand is given).
  CLI::App* command = nullptr;
  /// Runs the verb with the parsed options; returns the exit code.
  std::function<int()> run;
};

Verb add_run_verb(CLI::App& app);
Verb add_list_verb(CLI::App& app);
Verb add_render_verb(CLI::App& app);
Verb add_demo_verb(CLI::App& app);
/// `command_line` is recorded beside the weights it writes.
Verb add_train_backbone_verb(CLI::App& app, const std::string& command_line);
Verb add_vis_verb(CLI::App& app);
Verb add_fieldeval_verb(CLI::App& app);
Verb add_transfer_verb(CLI::App& app);
Verb add_compare_verb(CLI::App& app);
Verb add_judge_vis_verb(CLI::App& app);
Verb add_merge_verb(CLI::App& app);
Verb add_runs_verb(CLI::App& app);
Verb add_report_verb(CLI::App& app);

}  // namespace dffeval
