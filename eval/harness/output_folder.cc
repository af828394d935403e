#include "eval/harness/output_folder.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/input_error.h"

namespace dffeval {
namespace {
namespace fs = std::filesystem;

std::string read_small_file(const fs::path& p) {
  std::ifstream in(p);
  std::string s;
  std::getline(in, s);
  return s;
}
}  // namespace

OutputFolder::OutputFolder(const fs::path& dir) : dir_(dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    throw InputError(fmt::format("--out {}: is a file, not a folder", dir.string()));
  }
  fs::create_directories(dir, ec);
  if (ec) {
    throw InputError(
        fmt::format("--out {}: cannot create the folder: {}", dir.string(), ec.message()));
  }
  const fs::path lock = dir / ".dffeval.lock";
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) {
    throw InputError(fmt::format("--out {}: cannot write in the folder ({}: {})", dir.string(),
                                 lock.string(), std::strerror(errno)));
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const std::string holder = read_small_file(lock);
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw InputError(fmt::format(
        "--out {}: another dffeval run is writing there ({}); wait for it or choose another "
        "--out",
        dir.string(), holder.empty() ? "process unknown" : holder));
  }
  const std::string me = fmt::format("pid {}", ::getpid());
  if (::ftruncate(lock_fd_, 0) != 0 || ::write(lock_fd_, me.data(), me.size()) < 0) {
    throw InputError(fmt::format("--out {}: cannot write in the folder ({}: {})", dir.string(),
                                 lock.string(), std::strerror(errno)));
  }
  // The probe: a folder can take a lock file yet refuse more (a full disk
  // shows up on the first real write, so the partial file checks each one).
  write_file_checked(dir / ".dffeval.probe", "probe\n");
  fs::remove(dir / ".dffeval.probe", ec);
}

OutputFolder::~OutputFolder() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the lock
}

void write_file_checked(const fs::path& path, const std::string& content) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      throw InputError(fmt::format("{}: cannot write: {}", path.string(), std::strerror(errno)));
    }
    out << content;
    out.flush();
    if (!out) {
      throw InputError(fmt::format("{}: write failed: {}", path.string(), std::strerror(errno)));
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw InputError(
        fmt::format("{}: cannot write (rename from {} failed)", path.string(), tmp.string()));
  }
}

}  // namespace dffeval
