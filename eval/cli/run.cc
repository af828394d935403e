// `dffeval [--suite S] [--method M] ...`: run a suite (the default verb).

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "common/input_error.h"
#include "common/project_paths.h"
#include "common/provenance.h"
#include "common/results_root.h"
#include "common/setting_overrides.h"
#include "eval/cli/verbs.h"
#include "eval/harness/grasp_method.h"
#include "eval/harness/mpi_trial_pool.h"
#include "eval/harness/output_folder.h"
#include "eval/harness/partial_results.h"
#include "eval/harness/result_report.h"
#include "eval/harness/results_store.h"
#include "eval/harness/suite.h"
#include "eval/harness/suite_runner.h"
#include "eval/harness/trial_shard.h"
#include "eval/viz/trial_replay.h"
#include "eval/viz/trial_video.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

struct RunArgs {
  std::string suite = "smoke";
  std::string method;
  std::optional<int> trials;
  std::optional<std::uint64_t> seed;
  int jobs = 1;
  std::string out;
  bool resume = false;
  bool quiet = false;
  std::string shard;
  std::string db;
  std::vector<std::string> overrides;
  bool mpi = false;
  std::string record = "none";
};

/// Set by the first SIGINT: workers finish the trials in hand and stop. A
/// second SIGINT exits at once (the partial file keeps every finished trial).
std::atomic<bool> g_interrupted{false};

extern "C" void on_sigint(int) {
  if (g_interrupted.exchange(true)) std::_Exit(130);
  constexpr char kMsg[] =
      "\ninterrupted: finishing the trials in flight (Ctrl-C again to stop at once)\n";
  [[maybe_unused]] const auto n = ::write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
}

/// What decides every trial's outcome (see partial_results.h). The build is
/// part of it: another commit may grasp differently.
RunFingerprint fingerprint(const SuiteSpec& suite, const std::string& method,
                           const MethodInfo& info, const std::optional<TrialShard>& shard) {
  RunFingerprint print = {
      {"record_version", 2},
      {"suite", suite.name},
      {"suite_settings", text_digest(suite.to_json().dump())},
      {"seed", suite.seed},
      {"method", method},
      {"method_settings", info.settings ? text_digest(info.settings().dump()) : "none"},
      {"commit", provenance().value("git_commit", "unknown")}};
  // Only sharded runs carry it, so unsharded partial files stay resumable.
  if (shard) print["shard"] = shard->label();
  return print;
}

std::string resume_command(const RunArgs& a, const SuiteSpec& suite, const std::string& method,
                           const fs::path& out) {
  std::string cmd = fmt::format("dffeval --suite {} --method {}", a.suite, method);
  if (a.trials) cmd += fmt::format(" --trials {}", *a.trials);
  if (a.seed) cmd += fmt::format(" --seed {}", suite.seed);
  if (!a.shard.empty()) cmd += " --shard " + a.shard;
  for (const std::string& o : a.overrides) cmd += " " + o;
  return cmd + fmt::format(" --jobs {} --out {} --resume", a.jobs, out.string());
}

/// The run's row in the results store. Opening it is checked before any
/// trial (a bad --db is exit 2); a failed write at the end is a warning, since
/// the result files, the primary output, are already written.
class StoreEntry {
 public:
  StoreEntry(const std::string& db_option, const StoredRunStart& start) {
    const auto path = results_store_path(db_option);
    if (!path) return;
    try {
      store_ = std::make_unique<ResultsStore>(*path);
    } catch (const InputError& e) {
      throw InputError(fmt::format("{} (--db none runs without the store)", e.what()));
    }
    id_ = store_->begin_run(start);
  }
  void end(const std::vector<TrialResult>& results, const std::string& status,
           const std::string& error = "") {
    if (!store_) return;
    try {
      store_->end_run(id_, results, status, error);
      fmt::print(stderr, "results store: run {} ({}) in {}\n", id_, status,
                 store_->file().string());
    } catch (const InputError& e) {
      fmt::print(stderr, "warning: {}; the result files are complete\n", e.what());
    }
  }

 private:
  std::unique_ptr<ResultsStore> store_;
  std::int64_t id_ = 0;
};

StoredRunStart stored_run_start(const SuiteSpec& suite, const std::string& method,
                                const RunFingerprint& print, const fs::path& out,
                                const std::optional<TrialShard>& shard, std::size_t trials) {
  StoredRunStart s;
  s.suite = suite.name;
  s.method = method;
  s.seed = suite.seed;
  s.settings_hash = run_settings_hash(print["suite_settings"].get<std::string>(),
                                      print["method_settings"].get<std::string>());
  s.commit = print["commit"].get<std::string>();
  s.provenance = provenance();
  s.out_dir = fs::absolute(out).lexically_normal().string();
  s.shard = shard ? shard->label() : "";
  s.overrides = suite.overrides;
  s.trials_planned = trials;
  return s;
}

/// Videos of the trials `which` asks for ("failures": a failure mode other
/// than none; "all"), into OUT/videos/ID.mp4, made on the worker's thread
/// with a renderer of its own. A video that fails costs a warning, not the
/// trial. Counts and seconds are summed for the summary.
class VideoRecorder {
 public:
  VideoRecorder(std::string which, ExecutionConfig execution, fs::path folder)
      : which_(std::move(which)), execution_(execution), folder_(std::move(folder)) {}

  std::function<TrialHook()> hook_factory() {
    return [this] {
      auto renderer = std::make_shared<std::unique_ptr<RgbdRenderer>>();
      return TrialHook([this, renderer](const TrialResult& r) {
        if (which_ == "failures" && r.failure_mode == "none") return;
        try {
          if (!*renderer) *renderer = std::make_unique<RgbdRenderer>();
          const TrialVideo v = record_trial_video(r.record, execution_, **renderer,
                                                  folder_ / trial_file_name(r.record, ".mp4"));
          std::lock_guard<std::mutex> lock(mutex_);
          ++videos_;
          frames_ += v.frames;
          seconds_ += v.wall_time_s;
        } catch (const std::exception& e) {
          fmt::print(stderr, "warning: no video of {}: {}\n", r.trial.id, e.what());
        }
      });
    };
  }
  nlohmann::json summary() const {
    return {{"which", which_},         {"folder", folder_.filename().string()},
            {"videos", videos_},       {"frames", frames_},
            {"wall_time_s", seconds_}, {"mean_wall_time_s", videos_ ? seconds_ / videos_ : 0.0}};
  }

 private:
  std::string which_;
  ExecutionConfig execution_;
  fs::path folder_;
  std::mutex mutex_;
  int videos_ = 0;
  long frames_ = 0;
  double seconds_ = 0.0;
};

/// Who ran what in an MPI run: {"ranks", "trials_per_rank"} (rank 0's share:
/// the trials run here that no worker sent).
nlohmann::json mpi_summary(const MpiTrialDispatcher& d, const std::vector<TrialResult>& results,
                           std::size_t resumed) {
  std::vector<std::size_t> per_rank = d.trials_per_rank();
  std::size_t ran = 0, remote = 0;
  for (const auto& r : results) ran += !r.trial.id.empty();
  for (std::size_t n : per_rank) remote += n;
  per_rank[0] = ran - resumed - remote;
  return {{"ranks", per_rank.size()}, {"trials_per_rank", per_rank}};
}

/// Sets the command line's overrides for every config read after this, and
/// refuses those that would set nothing: a scene set the suite does not use,
/// method settings of a method that has none.
void use_overrides(const std::vector<std::string>& arguments) {
  std::vector<SettingOverride> all;
  for (const std::string& a : arguments) all.push_back(parse_setting_override(a));
  set_process_overrides(all);
}

void check_override_targets(const SuiteSpec& suite, const std::string& method,
                            const MethodInfo& info) {
  for (const std::string& a : process_override_arguments()) {
    if (a.rfind("method.", 0) == 0 && !info.settings)
      throw InputError(
          fmt::format("override '{}': method {} has no settings to override", a, method));
    if (a.rfind("scenes.", 0) != 0) continue;
    const std::string name = a.substr(7, a.find_first_of(".=", 7) - 7);
    std::vector<std::string> used = suite.scene_sets;
    used.push_back(suite.source_scene_set);
    if (std::find(used.begin(), used.end(), name) == used.end())
      throw InputError(fmt::format("override '{}': suite {} uses no scene set '{}' (it uses {})", a,
                                   suite.name, name, fmt::join(used, ", ")));
  }
}

/// Writes the run's files once its trials ended: a summary of the finished
/// trials marked incomplete after an interrupt (exit 130), else every file,
/// the partial file removed (exit 0); the store row closed either way.
int write_run(const RunArgs& a, const SuiteSpec& suite, const std::string& method,
              std::size_t planned, std::vector<TrialResult>& results, double wall,
              const nlohmann::json& extra_summary, StoreEntry& stored, const fs::path& out) {
  if (g_interrupted) {
    std::vector<TrialResult> finished;
    for (auto& r : results)
      if (!r.trial.id.empty()) finished.push_back(std::move(r));
    nlohmann::json extra = extra_summary;
    extra["incomplete"] = true;
    extra["trials_planned"] = planned;
    write_results(out, suite, method, finished, wall, extra);
    stored.end(finished, "interrupted");
    fmt::print(stderr,
               "interrupted: {} of {} trials done; summary of those (marked incomplete) in {}\n"
               "resume with: {}\n",
               finished.size(), planned, (out / "summary.json").string(),
               resume_command(a, suite, method, out));
    return 130;
  }
  try {
    write_results(out, suite, method, results, wall, extra_summary);
  } catch (const std::exception& e) {
    stored.end(results, "failed", e.what());  // the store keeps the trials
    throw;
  }
  fs::remove(out / "trials.partial.jsonl");
  stored.end(results, "finished");
  std::ifstream table(out / "table.md");
  std::cout << table.rdbuf() << "\n";
  fmt::print(stderr,
             "wrote {}/{{summary.json,trials.jsonl,table.md,table.csv,resolved_config.json}} in "
             "{:.1f} s\n",
             out.string(), wall);
  return 0;
}

int run_suite(const RunArgs& a, MpiSession* mpi);

/// Under `--mpi`: every rank runs run_suite; an error on one rank ends the
/// job (MPI_Abort), since the others would wait for it forever.
int run_suite_in_job(const RunArgs& a) {
  if (!a.mpi) return run_suite(a, nullptr);
  MpiSession mpi;
  const std::string who = mpi.rank() == 0 ? "" : fmt::format("rank {}: ", mpi.rank());
  try {
    return run_suite(a, &mpi);
  } catch (const InputError& e) {
    fmt::print(stderr, "{}error: {}\n", who, e.what());
    mpi.abort(2);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}internal error: {}\n", who, e.what());
    mpi.abort(1);
  }
}

int run_suite(const RunArgs& a, MpiSession* mpi) {
  // A missing asset is bad input, reported before any trial runs.
  require_project_file("assets/shadow_hand.xml", "Shadow hand model");
  if (a.record != "none" && !ffmpeg_available())
    throw InputError(
        "--record needs the ffmpeg program on the PATH (Debian: apt-get install ffmpeg)");
  use_overrides(a.overrides);
  std::optional<TrialShard> shard;
  if (!a.shard.empty()) shard = parse_trial_shard(a.shard);
  SuiteSpec suite = load_suite(a.suite);
  if (a.trials) suite.trials = *a.trials;
  if (a.seed) suite.seed = *a.seed;
  const std::string method = a.method.empty() ? suite.method : a.method;
  const MethodInfo& info = find_method(method);
  check_override_targets(suite, method, info);
  // The method's settings are read now, not when the results are written.
  const RunFingerprint print = fingerprint(suite, method, info, shard);
  std::string default_name = suite.name + "-" + method;
  if (shard) default_name += fmt::format("-shard{}of{}", shard->index, shard->count);
  const fs::path out = a.out.empty() ? results_root() / default_name : fs::path(a.out);
  const std::vector<Trial> all_trials = expand_trials(suite);
  const std::vector<Trial> trials = shard ? shard_trials(all_trials, *shard) : all_trials;
  if (trials.empty())
    throw InputError(fmt::format("--shard {}: no trials (suite {} has {}; use at most {} shards)",
                                 a.shard, suite.name, all_trials.size(), all_trials.size()));
  // A shard's summary says so: its rates are of a part of the suite, and
  // `dffeval merge` needs to know which part.
  nlohmann::json extra_summary = nlohmann::json::object();
  if (shard) extra_summary = {{"shard", shard->to_json()}, {"trials_in_suite", all_trials.size()}};
  if (mpi && mpi->rank() > 0) {
    // A worker: trials from rank 0, records back to it; rank 0 writes.
    MpiTrialChannel channel;
    const std::size_t ran = serve_trials(suite, trials, method, channel);
    fmt::print(stderr, "rank {}: ran {} trial(s)\n", mpi->rank(), ran);
    return 0;
  }
  const OutputFolder folder(out);  // locked until the run ends
  StoreEntry stored(a.db, stored_run_start(suite, method, print, out, shard, trials.size()));

  RunOptions opt;
  opt.method = method;
  opt.jobs = a.jobs;
  opt.progress = !a.quiet;
  opt.stop = &g_interrupted;
  std::optional<VideoRecorder> videos;
  if (a.record != "none") {
    if (!ffmpeg_available())
      throw InputError(
          "--record needs the ffmpeg program on the PATH (Debian: apt-get install "
          "ffmpeg)");
    videos.emplace(a.record, suite.execution, out / "videos");
    opt.per_worker_hook = videos->hook_factory();
  }
  std::optional<MpiTrialDispatcher> dispatcher;
  if (mpi) {
    dispatcher.emplace(*mpi);
    opt.remote = &*dispatcher;
  }
  const fs::path partial_path = out / "trials.partial.jsonl";
  ResumedRecords resumed;
  PartialResultsFile partial = a.resume ? PartialResultsFile::resume(partial_path, print, resumed)
                                        : PartialResultsFile::create(partial_path, print);
  opt.resumed = std::move(resumed.records);
  opt.partial = &partial;
  if (resumed.torn_bytes > 0) {
    fmt::print(stderr, "resume: cut off a torn last line ({} bytes) of {}\n", resumed.torn_bytes,
               partial_path.string());
  }
  if (!resumed.rerun_errors.empty()) {
    fmt::print(stderr, "resume: running again {} trial(s) that ended in an error (first: {})\n",
               resumed.rerun_errors.size(), resumed.rerun_errors.front());
  }
  fmt::print(stderr, "suite {} ({} trials{}), method {}{}, seed {}, {} job(s){} -> {}\n",
             suite.name, trials.size(),
             shard ? fmt::format(": shard {} of {}", shard->label(), all_trials.size()) : "",
             method, info.uses_ground_truth ? " [PRIVILEGED: reads ground truth]" : "", suite.seed,
             a.jobs, mpi ? fmt::format(" + {} MPI worker rank(s)", mpi->size() - 1) : "",
             out.string());
  const std::size_t resumed_count = opt.resumed.size();
  const auto t0 = std::chrono::steady_clock::now();
  std::signal(SIGINT, on_sigint);
  std::vector<TrialResult> results;
  try {
    results = run_trials(suite, trials, opt);
  } catch (const std::exception& e) {
    std::signal(SIGINT, SIG_DFL);
    stored.end({}, "failed", e.what());
    // Stopped before any trial (bad input): a header-only file keeps nothing.
    std::error_code ec;
    if (!a.resume && partial.appended() == 0) fs::remove(partial_path, ec);
    throw;
  }
  std::signal(SIGINT, SIG_DFL);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (dispatcher) extra_summary["mpi"] = mpi_summary(*dispatcher, results, resumed_count);
  if (videos) extra_summary["videos"] = videos->summary();
  return write_run(a, suite, method, trials.size(), results, wall, extra_summary, stored, out);
}

}  // namespace

Verb add_run_verb(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  RunArgs& run = *args;
  app.add_option("--suite", run.suite, "suite name in config/suites/ or a path to a .yaml")
      ->capture_default_str();
  app.add_option("--method", run.method, "grasp method (default: the suite's); see `dffeval list`");
  app.add_option("--trials", run.trials,
                 "trials per task x object set x scene set (overrides the suite)")
      ->check(CLI::Range(1, 100000));
  app.add_option("--seed", run.seed, "suite seed, 0 to 2^64-1 (overrides the suite)")
      ->check(CLI::Validator(
          [](const std::string& v) {
            // Digits only (no sign) and inside 64 bits: CLI11 alone would
            // wrap a negative number and saturate a big one.
            errno = 0;
            const bool digits =
                !v.empty() && v.find_first_not_of("0123456789") == std::string::npos;
            if (digits) std::strtoull(v.c_str(), nullptr, 10);
            return digits && errno != ERANGE ? std::string()
                                             : "must be a whole number from 0 to 2^64-1";
          },
          "UINT64"));
  app.add_option("--jobs,-j", run.jobs, "parallel workers; results do not depend on it")
      ->check(CLI::Range(1, 256));
  app.add_option("--out", run.out, "output folder (default: results/SUITE-METHOD)");
  app.add_flag("--resume", run.resume, "skip trials already in OUT/trials.partial.jsonl");
  app.add_flag("--quiet,-q", run.quiet, "no progress lines");
  app.add_option("overrides", run.overrides,
                 "KEY=VALUE settings: suite keys (trials=5, execution.hold_time_s=2), "
                 "method.KEY (method.optimizer.iterations=100), scenes.NAME.KEY");
  app.add_option("--db", run.db,
                 "results store (SQLite) the run is added to; 'none': no store (default: "
                 "$DFFEVAL_DB, else results/dffeval.sqlite)");
  app.add_option("--shard", run.shard,
                 "K/N: run only shard K of N (trials K-1, K-1+N, ...); `dffeval merge` joins them");

  app.add_option("--record", run.record,
                 "an MP4 per trial in OUT/videos (needs ffmpeg): failures (a failure mode other "
                 "than none), all, none")
      ->check(CLI::IsMember({"none", "failures", "all"}))
      ->capture_default_str();
  app.add_flag("--mpi", run.mpi,
               "under `mpirun -n P`: rank 0 writes the results and serves trials to ranks "
               "1..P-1 (same records as one process)");

  return {&app, [args] { return run_suite_in_job(*args); }};
}

}  // namespace dffeval
