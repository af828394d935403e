#pragma once
// A suite run spread over the ranks of an MPI job (`mpirun -n P dffeval
// --suite S --mpi`, Debian's OpenMPI). Every rank parses the same command
// line, so all build the same trial list and check the same input. Rank 0
// does what a single process does (output folder, partial file, summary,
// store) and runs trials with its --jobs workers; ranks 1..P-1 each run one
// trial at a time, taking the next index from rank 0 when they finish the
// last (dynamic: a slow trial does not idle the others) and sending back its
// record. Trials are seeded by their id, so the records equal a
// single-process run's.
//
// The protocol, one message pair per trial: worker -> rank 0, tag kResult,
// a JSON text {"index": I, "record": {...}} ("" on the first request);
// rank 0 -> worker, tag kNext, one 64-bit integer, the next index or -1 to
// stop. Rank 0 polls with MPI_Iprobe and a short sleep: OpenMPI's blocking
// receive spins, which would take a core from the trials.
//
// Built without MPI (-DDFFEVAL_MPI=OFF), MpiSession throws InputError.

#include <cstdint>
#include <memory>
#include <vector>

#include "eval/harness/suite_runner.h"

namespace dffeval {

/// MPI_Init_thread (serialized: rank 0's dispatcher thread makes the MPI
/// calls while the main thread runs trials) to MPI_Finalize.
class MpiSession {
 public:
  /// Throws InputError when the build has no MPI or MPI cannot start.
  MpiSession();
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  /// Ends every rank of the job with `exit_code` (a rank that failed alone
  /// would leave the others waiting for it).
  [[noreturn]] void abort(int exit_code);

 private:
  int rank_ = 0;
  int size_ = 1;
};

/// Rank 0's end: serves trials to ranks 1..size-1 and counts what each ran.
class MpiTrialDispatcher : public RemoteWorkers {
 public:
  explicit MpiTrialDispatcher(const MpiSession& session);
  void serve(const std::function<std::optional<std::size_t>()>& take,
             const std::function<void(std::size_t, const nlohmann::json&)>& finished) override;
  /// Trials each rank's records came back for (rank 0's entry: 0; run_trials
  /// counts its own).
  const std::vector<std::size_t>& trials_per_rank() const { return per_rank_; }

 private:
  int size_;
  std::vector<std::size_t> per_rank_;
};

/// A worker rank's end, for serve_trials().
class MpiTrialChannel : public TrialChannel {
 public:
  std::optional<std::size_t> exchange(std::size_t index, const nlohmann::json* record) override;
};

}  // namespace dffeval
