#pragma once
// The crash-safe record of a run in progress (OUT/trials.partial.jsonl): a
// header line with the run's fingerprint, then one trial record per line,
// each written with a single write() of the whole line and synced to disk,
// so a kill loses at most the trial in flight and never a finished one.
//
// Resuming trusts a record only when it was made by the same run: same
// suite settings, seed, method, method settings and build (the fingerprint's
// keys; any difference is refused, naming the keys). Error records
// (internal_error, method_error, sim_error) are not trusted: their cause may
// have been fixed, so those trials run again. A torn last line (a kill
// mid-write) is cut off before anything is appended.

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace dffeval {

/// Everything that decides a trial's outcome, as a flat JSON object of
/// strings and numbers: compared key by key on resume.
using RunFingerprint = nlohmann::json;

/// True for failure modes whose records are run again on resume.
bool is_error_mode(const std::string& failure_mode);

struct ResumedRecords {
  /// Trusted records by trial id.
  std::map<std::string, nlohmann::json> records;
  /// Error records dropped (their trials run again).
  std::vector<std::string> rerun_errors;
  /// Bytes of a torn last line cut off (0 when none).
  std::size_t torn_bytes = 0;
};

class PartialResultsFile {
 public:
  /// Starts a new file at `path` (replacing one left behind) with the
  /// header `fingerprint`. Throws InputError naming the path if it cannot be
  /// written.
  static PartialResultsFile create(const std::filesystem::path& path,
                                   const RunFingerprint& fingerprint);
  /// Opens the file of an interrupted run for appending, after checking its
  /// header against `fingerprint` (InputError listing the keys that differ)
  /// and cutting off a torn last line. A missing file starts a new one.
  static PartialResultsFile resume(const std::filesystem::path& path,
                                   const RunFingerprint& fingerprint, ResumedRecords& resumed);

  PartialResultsFile(PartialResultsFile&& other) noexcept;
  PartialResultsFile& operator=(PartialResultsFile&&) = delete;
  PartialResultsFile(const PartialResultsFile&) = delete;
  ~PartialResultsFile();

  /// Appends one record as one line; throws InputError naming the path if
  /// the write or the sync fails. Not thread-safe (the runner holds a lock).
  void append(const nlohmann::json& record);
  const std::filesystem::path& path() const { return path_; }
  /// Records appended through this object.
  std::size_t appended() const { return appended_; }

 private:
  PartialResultsFile(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  void write_line(const std::string& line);
  std::filesystem::path path_;
  int fd_ = -1;
  std::size_t appended_ = 0;
};

/// Reads the trial records of a partial file (ids -> records), skipping the
/// header and lines that do not parse (a torn last line).
std::map<std::string, nlohmann::json> read_partial_results(const std::filesystem::path& file);

}  // namespace dffeval
