#pragma once
// Errors in what the user gave us (files, keys, values). The CLI maps them to
// exit code 2; every other exception is an internal failure (exit code 1).

#include <stdexcept>
#include <string>

namespace dffeval {

/// Bad input: a missing file, a malformed YAML, an unknown key, a value out of
/// range. The message names the file, the key and the reason.
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace dffeval
