#include "common/provenance.h"

#include <unistd.h>

#include <ctime>
#include <map>
#include <mutex>

#include "git_commit.h"  // generated at build time: DFFEVAL_GIT_COMMIT

namespace dffeval {
namespace {
std::mutex& entries_mutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, std::string>& entries() {
  static std::map<std::string, std::string> e;
  return e;
}
}  // namespace

void add_provenance_entry(const std::string& key, const std::string& value) {
  std::lock_guard<std::mutex> lock(entries_mutex());
  entries()[key] = value;
}

nlohmann::json provenance() {
  nlohmann::json j;
  j["git_commit"] = DFFEVAL_GIT_COMMIT;
  char host[256] = "unknown";
  gethostname(host, sizeof(host) - 1);
  j["host"] = host;
  j["compiler"] = std::string("g++ ") + __VERSION__;
  std::time_t now = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  j["time_utc"] = buf;
  std::lock_guard<std::mutex> lock(entries_mutex());
  for (const auto& [k, v] : entries()) j[k] = v;
  return j;
}

}  // namespace dffeval
