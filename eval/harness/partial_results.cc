#include "eval/harness/partial_results.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/input_error.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

/// The header line's key; a record never has it.
constexpr const char* kHeaderKey = "dffeval_partial";

[[noreturn]] void fail(const fs::path& path, const std::string& what) {
  throw InputError(fmt::format("{}: {}: {}", path.string(), what, std::strerror(errno)));
}

int open_for_append(const fs::path& path, bool truncate) {
  const int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0);
  const int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) fail(path, "cannot open the partial results file for writing");
  return fd;
}

/// The keys whose values differ between two fingerprints, with both values.
std::string differences(const RunFingerprint& was, const RunFingerprint& now) {
  std::string out;
  auto add = [&](const std::string& key) {
    const auto a = was.contains(key) ? was[key].dump() : "(none)";
    const auto b = now.contains(key) ? now[key].dump() : "(none)";
    if (a != b) out += fmt::format("\n  {}: was {}, now {}", key, a, b);
  };
  for (const auto& [key, value] : now.items()) add(key);
  for (const auto& [key, value] : was.items())
    if (!now.contains(key)) add(key);
  return out;
}

/// The id of a trial record line, or "" for anything else (the header, a
/// line that does not parse).
std::string record_id(const nlohmann::json& j) {
  return j.is_object() && j.contains("id") && j["id"].is_string() ? j["id"].get<std::string>() : "";
}

}  // namespace

bool is_error_mode(const std::string& failure_mode) {
  return failure_mode == "internal_error" || failure_mode == "method_error" ||
         failure_mode == "sim_error";
}

PartialResultsFile PartialResultsFile::create(const fs::path& path,
                                              const RunFingerprint& fingerprint) {
  PartialResultsFile f(path, open_for_append(path, true));
  f.write_line(nlohmann::json{{kHeaderKey, fingerprint}}.dump() + "\n");
  return f;
}

PartialResultsFile PartialResultsFile::resume(const fs::path& path,
                                              const RunFingerprint& fingerprint,
                                              ResumedRecords& resumed) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return create(path, fingerprint);
  std::string text;
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(path, "cannot read the partial results file");
    std::ostringstream s;
    s << in.rdbuf();
    text = s.str();
  }
  // A last line without its newline was torn by a kill mid-write.
  const std::size_t complete = text.empty() ? 0 : text.rfind('\n') + 1;
  if (text.size() > complete) {
    resumed.torn_bytes = text.size() - complete;
    fs::resize_file(path, complete, ec);
    if (ec)
      throw InputError(
          fmt::format("{}: cannot cut off its torn last line: {}", path.string(), ec.message()));
    text.resize(complete);
  }
  std::istringstream lines(text);
  std::string line;
  bool header_seen = false;
  while (std::getline(lines, line)) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    if (!header_seen) {
      if (!j.contains(kHeaderKey)) {
        throw InputError(fmt::format(
            "{}: has no run header (written by an older dffeval); run again without --resume",
            path.string()));
      }
      const std::string diff = differences(j[kHeaderKey], fingerprint);
      if (!diff.empty()) {
        throw InputError(
            fmt::format("{}: made by a different run, its records cannot be reused:{}\n"
                        "run again without --resume, or with the settings of the interrupted run",
                        path.string(), diff));
      }
      header_seen = true;
      continue;
    }
    const std::string id = record_id(j);
    if (id.empty()) continue;
    if (is_error_mode(j.value("failure_mode", ""))) {
      resumed.records.erase(id);
      resumed.rerun_errors.push_back(id);
      continue;
    }
    resumed.records[id] = std::move(j);
  }
  if (!header_seen) return create(path, fingerprint);  // empty: nothing to trust
  return PartialResultsFile(path, open_for_append(path, false));
}

PartialResultsFile::PartialResultsFile(PartialResultsFile&& other) noexcept
    : path_(std::move(other.path_)), fd_(other.fd_), appended_(other.appended_) {
  other.fd_ = -1;
}

PartialResultsFile::~PartialResultsFile() {
  if (fd_ >= 0) ::close(fd_);
}

void PartialResultsFile::append(const nlohmann::json& record) {
  write_line(record.dump() + "\n");
  ++appended_;
}

void PartialResultsFile::write_line(const std::string& line) {
  // One write() of the whole line: O_APPEND puts it at the end in one piece.
  std::size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(path_, "cannot write a trial record");
    written += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd_) != 0) fail(path_, "cannot sync a trial record to disk");
}

std::map<std::string, nlohmann::json> read_partial_results(const fs::path& file) {
  std::map<std::string, nlohmann::json> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    const std::string id = record_id(j);
    if (!id.empty()) out[id] = std::move(j);
  }
  return out;
}

}  // namespace dffeval
