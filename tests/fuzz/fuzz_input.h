#pragma once
// The loaders under fuzz read files, as the binary does: each input is
// written to a scratch folder of this process (under TMPDIR, /dev/shm when
// it exists: a fuzz run writes millions of files) and the loader is given
// the path.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace dffeval::fuzz {

/// The scratch folder of this process (created on first use, removed at exit).
const std::filesystem::path& scratch_dir();

/// Writes `size` bytes to scratch_dir()/name and returns its path.
std::filesystem::path write_input(const std::uint8_t* data, std::size_t size,
                                  const std::string& name);

/// Stops the run as a finding when an invariant of a successful load fails
/// (libFuzzer and the corpus replay both treat the abort as a crash).
[[noreturn]] void invariant_failed(const std::string& what);

}  // namespace dffeval::fuzz
