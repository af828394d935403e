#include "eval/harness/mpi_trial_pool.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/input_error.h"

#ifdef DFFEVAL_HAVE_MPI
// The C API only: OpenMPI's mpi.h pulls in the deprecated C++ bindings
// (a library we do not link) unless told not to.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace dffeval {

#ifdef DFFEVAL_HAVE_MPI
namespace {

constexpr int kTagResult = 1;
constexpr int kTagNext = 2;

/// Rank 0's poll interval while no worker has asked: short against a trial
/// (about a second), long enough not to spin.
constexpr auto kPollInterval = std::chrono::milliseconds(5);

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(fmt::format("MPI: {} failed ({})", what, rc));
}

}  // namespace

MpiSession::MpiSession() {
  int provided = 0;
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
    throw InputError("--mpi: MPI_Init_thread failed (run under mpirun)");
  if (provided < MPI_THREAD_SERIALIZED) {
    MPI_Finalize();
    throw InputError("--mpi: this MPI library does not allow MPI calls from a second thread");
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiSession::~MpiSession() { MPI_Finalize(); }

void MpiSession::abort(int exit_code) {
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);
}

MpiTrialDispatcher::MpiTrialDispatcher(const MpiSession& session)
    : size_(session.size()), per_rank_(session.size(), 0) {}

void MpiTrialDispatcher::serve(
    const std::function<std::optional<std::size_t>()>& take,
    const std::function<void(std::size_t, const nlohmann::json&)>& finished) {
  int running = size_ - 1;
  while (running > 0) {
    int ready = 0;
    MPI_Status status;
    check(MPI_Iprobe(MPI_ANY_SOURCE, kTagResult, MPI_COMM_WORLD, &ready, &status), "MPI_Iprobe");
    if (!ready) {
      std::this_thread::sleep_for(kPollInterval);
      continue;
    }
    int bytes = 0;
    check(MPI_Get_count(&status, MPI_CHAR, &bytes), "MPI_Get_count");
    std::string text(static_cast<std::size_t>(bytes), '\0');
    check(MPI_Recv(text.data(), bytes, MPI_CHAR, status.MPI_SOURCE, kTagResult, MPI_COMM_WORLD,
                   MPI_STATUS_IGNORE),
          "MPI_Recv");
    if (!text.empty()) {
      const nlohmann::json msg = nlohmann::json::parse(text);
      ++per_rank_[status.MPI_SOURCE];
      finished(msg.at("index").get<std::size_t>(), msg.at("record"));
    }
    const auto next = take();
    const std::int64_t reply = next ? static_cast<std::int64_t>(*next) : -1;
    check(MPI_Send(&reply, 1, MPI_INT64_T, status.MPI_SOURCE, kTagNext, MPI_COMM_WORLD),
          "MPI_Send");
    if (!next) --running;
  }
}

std::optional<std::size_t> MpiTrialChannel::exchange(std::size_t index,
                                                     const nlohmann::json* record) {
  const std::string text =
      record ? nlohmann::json{{"index", index}, {"record", *record}}.dump() : std::string();
  check(
      MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, 0, kTagResult, MPI_COMM_WORLD),
      "MPI_Send");
  std::int64_t next = -1;
  check(MPI_Recv(&next, 1, MPI_INT64_T, 0, kTagNext, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
        "MPI_Recv");
  if (next < 0) return std::nullopt;
  return static_cast<std::size_t>(next);
}

#else  // built without MPI

MpiSession::MpiSession() {
  throw InputError("--mpi: this dffeval was built without MPI (configure with -DDFFEVAL_MPI=ON)");
}
MpiSession::~MpiSession() = default;
void MpiSession::abort(int exit_code) { std::_Exit(exit_code); }
MpiTrialDispatcher::MpiTrialDispatcher(const MpiSession& session)
    : size_(session.size()), per_rank_(session.size(), 0) {}
void MpiTrialDispatcher::serve(const std::function<std::optional<std::size_t>()>&,
                               const std::function<void(std::size_t, const nlohmann::json&)>&) {}
std::optional<std::size_t> MpiTrialChannel::exchange(std::size_t, const nlohmann::json*) {
  return std::nullopt;
}

#endif

}  // namespace dffeval
