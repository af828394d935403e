#include "eval/harness/grasp_method.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <mutex>

#include "common/input_error.h"

namespace dffeval {
namespace {
std::map<std::string, MethodInfo>& registry() {
  static std::map<std::string, MethodInfo> r;
  return r;
}
std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
}  // namespace

void register_method(MethodInfo info) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  registry()[info.name] = std::move(info);
}

const MethodInfo& find_method(const std::string& name) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  auto it = registry().find(name);
  if (it == registry().end()) {
    std::vector<std::string> names;
    for (const auto& [n, _] : registry()) names.push_back(n);
    throw InputError(fmt::format("unknown method '{}' (known: {})", name, fmt::join(names, ", ")));
  }
  return it->second;
}

std::vector<const MethodInfo*> list_methods() {
  std::lock_guard<std::mutex> lock(registry_mutex());
  std::vector<const MethodInfo*> out;
  for (const auto& [_, info] : registry()) out.push_back(&info);
  return out;
}

}  // namespace dffeval
