#pragma once
// A run's output folder, held for the run: created if missing, refused when
// it is a file or cannot be written (a probe file is written and removed
// before the first trial), and locked with flock() so that a second run on
// the same folder stops at once instead of deleting the first one's partial
// file and overwriting its results. The lock goes with the process, so a
// killed run never leaves a stale lock behind.

#include <filesystem>
#include <string>

namespace dffeval {

class OutputFolder {
 public:
  /// Throws InputError naming the path: not a folder, not writable, or
  /// locked by another run (naming its process id).
  explicit OutputFolder(const std::filesystem::path& dir);
  OutputFolder(const OutputFolder&) = delete;
  OutputFolder& operator=(const OutputFolder&) = delete;
  ~OutputFolder();
  const std::filesystem::path& path() const { return dir_; }

 private:
  std::filesystem::path dir_;
  int lock_fd_ = -1;
};

/// Writes `content` to `path` through a temporary file renamed into place,
/// so a reader sees the old file or the new one, never half of one. Throws
/// InputError naming the path when any step fails.
void write_file_checked(const std::filesystem::path& path, const std::string& content);

}  // namespace dffeval
