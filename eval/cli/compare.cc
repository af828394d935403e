// `dffeval compare DIR_A DIR_B [--out DIR]`: paired comparison of two runs
// of the same suite and seed (eval/harness/paired_comparison.h).

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "common/input_error.h"
#include "eval/cli/verbs.h"
#include "eval/harness/paired_comparison.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

struct CompareArgs {
  std::string dir_a;
  std::string dir_b;
  std::string out;
};

void write_file(const fs::path& file, const std::string& text) {
  std::ofstream out(file);
  out << text;
  if (!out) throw InputError(fmt::format("{}: cannot write", file.string()));
}

int run_compare(const CompareArgs& args) {
  const nlohmann::json cmp = compare_result_dirs(args.dir_a, args.dir_b);
  // Canonical, so that "results/x/" and "." still name the folder of A.
  const std::string a_name = fs::canonical(args.dir_a).filename().string();
  const fs::path out =
      args.out.empty() ? fs::path(args.dir_b) / ("compare_vs_" + a_name) : fs::path(args.out);
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw InputError(fmt::format("{}: cannot create folder: {}", out.string(), ec.message()));
  const std::string md = comparison_markdown(cmp);
  write_file(out / "comparison.json", cmp.dump(2) + "\n");
  write_file(out / "comparison.md", md);
  std::cout << md << std::flush;
  fmt::print(stderr, "wrote {}/{{comparison.json,comparison.md}}\n", out.string());
  return 0;
}

}  // namespace

Verb add_compare_verb(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  auto* cmd = app.add_subcommand(
      "compare", "paired comparison of two result folders of the same suite and seed");
  cmd->add_option("DIR_A", args->dir_a, "result folder of method A (the baseline)")->required();
  cmd->add_option("DIR_B", args->dir_b, "result folder of method B")->required();
  cmd->add_option("--out", args->out, "output folder (default: DIR_B/compare_vs_<name of DIR_A>)");
  return {cmd, [args] { return run_compare(*args); }};
}

}  // namespace dffeval
