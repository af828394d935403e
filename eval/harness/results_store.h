#pragma once
// The results store: every run also lands in one SQLite database
// (results/dffeval.sqlite by default), so that runs can be listed, filtered
// and compared by id long after their folders moved. The folders stay the
// primary output; the store holds a copy of what they hold.
//
// Two tables (schema version 1):
//   runs   (id, suite, method, seed, settings_hash, commit, provenance JSON,
//           out_dir, shard, overrides JSON, started_utc, ended_utc, status,
//           trials_planned, error)
//   trials (run_id, trial_id, task, category, object_set, scene_set, k,
//           seed, lift, robust, transfer, failure_mode, part_agreement,
//           contact_error, palm_error_sym_m, palm_error_sym_deg,
//           total_time_s, record JSON)
// Seeds are decimal TEXT: SQLite's integers are signed 64-bit, suite seeds
// go to 2^64-1. WAL journal and a busy timeout, so that several runs may
// write at once (each run writes its trials in one transaction).

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "eval/harness/trial_runner.h"

struct sqlite3;

namespace dffeval {

/// What the runs table holds about a run when it starts.
struct StoredRunStart {
  std::string suite;
  std::string method;
  std::uint64_t seed = 0;
  /// Digest of the suite and method settings (the run's fingerprint).
  std::string settings_hash;
  std::string commit;
  nlohmann::json provenance;
  std::string out_dir;
  /// "K/N" for a shard, empty otherwise.
  std::string shard;
  /// The command line's KEY=VALUE overrides, as given.
  std::vector<std::string> overrides;
  std::size_t trials_planned = 0;
};

/// A run as `dffeval runs` lists it: its row plus counts from its trials.
struct StoredRun {
  std::int64_t id = 0;
  StoredRunStart start;
  std::string started_utc, ended_utc;
  std::string status;  ///< running | finished | interrupted | failed
  std::string error;
  int trials = 0, lift = 0, robust = 0, transfer = 0;
};

struct StoredRunFilter {
  std::string suite, method, commit;  ///< empty: any; commit matches a prefix
};

class ResultsStore {
 public:
  /// Opens (creating if missing, with its folder) the database at `file`.
  /// Throws InputError naming the file when it cannot be opened or is not a
  /// dffeval store.
  explicit ResultsStore(const std::filesystem::path& file);
  ResultsStore(const ResultsStore&) = delete;
  ResultsStore& operator=(const ResultsStore&) = delete;
  ~ResultsStore();

  /// Adds a run with status "running"; returns its id.
  std::int64_t begin_run(const StoredRunStart& run);
  /// Adds the run's trials (one transaction) and sets its status and end
  /// time. status: finished | interrupted | failed; error: why it failed.
  void end_run(std::int64_t run_id, const std::vector<TrialResult>& results,
               const std::string& status, const std::string& error = "");
  /// Runs matching `filter`, newest first.
  std::vector<StoredRun> runs(const StoredRunFilter& filter = {}) const;
  /// The trial records of a run, in the order they were added.
  std::vector<nlohmann::json> trial_records(std::int64_t run_id) const;

  const std::filesystem::path& file() const { return file_; }

 private:
  void exec(const std::string& sql) const;
  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
};

/// 64-bit FNV-1a of `text` as 16 hex digits: a stable digest for the run
/// fingerprint and the store's settings hash.
std::string text_digest(const std::string& text);

/// The runs table's settings_hash: the digests of the suite's settings and
/// the method's ("none" for a method without settings), digested together.
/// The same for a run and for the merge of its shards.
std::string run_settings_hash(const std::string& suite_settings_digest,
                              const std::string& method_settings_digest);

/// The store a run writes to: `--db` if given ("none": no store), else
/// $DFFEVAL_DB if set, else results/dffeval.sqlite in the project root.
/// Empty when off.
std::optional<std::filesystem::path> results_store_path(const std::string& db_option);

}  // namespace dffeval
