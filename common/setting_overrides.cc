#include "common/setting_overrides.h"

#include <fmt/format.h>

#include <sstream>

namespace dffeval {
namespace {

std::vector<SettingOverride>& registry() {
  static std::vector<SettingOverride> all;
  return all;
}

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::stringstream in(key);
  for (std::string part; std::getline(in, part, '.');) parts.push_back(part);
  if (!key.empty() && key.back() == '.') parts.emplace_back();
  return parts;
}

StrictYaml with_overrides(StrictYaml loaded, const std::vector<SettingOverride>& overrides) {
  if (overrides.empty()) return loaded;
  const std::string origin = loaded.file() + " (with command-line overrides)";
  if (!loaded.is_map())
    throw InputError(fmt::format("{}: the document is not a mapping; cannot set {}", origin,
                                 overrides.front().argument));
  apply_setting_overrides(loaded.node(), overrides, origin);
  return StrictYaml(loaded.node(), origin, "");
}

}  // namespace

SettingOverride parse_setting_override(const std::string& argument) {
  const auto eq = argument.find('=');
  const auto bad = [&](const std::string& why) {
    return InputError(
        fmt::format("override '{}': {} (expected KEY=VALUE, e.g. trials=5 or "
                    "method.optimizer.iterations=100)",
                    argument, why));
  };
  if (eq == std::string::npos) throw bad("no '='");
  SettingOverride o{argument.substr(0, eq), argument.substr(eq + 1), argument};
  if (o.key.empty()) throw bad("empty key");
  for (const std::string& part : split_key(o.key))
    if (part.empty()) throw bad("empty part in the key");
  if (o.value.empty()) throw bad("empty value");
  return o;
}

void set_process_overrides(const std::vector<SettingOverride>& all) { registry() = all; }

std::vector<SettingOverride> process_overrides(const std::string& target) {
  std::vector<SettingOverride> out;
  for (const SettingOverride& o : registry()) {
    std::string t = "suite", key = o.key;
    if (key.rfind("method.", 0) == 0) {
      t = "method", key = key.substr(7);
    } else if (key.rfind("scenes.", 0) == 0) {
      const auto dot = key.find('.', 7);
      t = key.substr(0, dot);
      key = dot == std::string::npos ? "" : key.substr(dot + 1);
    }
    if (t == target) out.push_back({key, o.value, o.argument});
  }
  return out;
}

std::vector<std::string> process_override_arguments() {
  std::vector<std::string> out;
  for (const SettingOverride& o : registry()) out.push_back(o.argument);
  return out;
}

void apply_setting_overrides(YAML::Node root, const std::vector<SettingOverride>& overrides,
                             const std::string& origin) {
  for (const SettingOverride& o : overrides) {
    const auto parts = split_key(o.key);
    if (parts.empty() || o.key.empty())
      throw InputError(fmt::format("{}: override '{}' names no key", origin, o.argument));
    YAML::Node value;
    try {
      value = YAML::Load(o.value);
    } catch (const YAML::Exception& e) {
      throw InputError(
          fmt::format("{}: override '{}': the value is not YAML: {}", origin, o.argument, e.msg));
    }
    // Nodes are handles: `at` walks the tree itself, not a copy.
    YAML::Node at = root;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      YAML::Node next = at[parts[i]];
      if (next.IsDefined() && !next.IsNull() && !next.IsMap())
        throw InputError(
            fmt::format("{}: override '{}': '{}' is not a mapping", origin, o.argument, parts[i]));
      if (!next.IsDefined() || next.IsNull()) at[parts[i]] = YAML::Node(YAML::NodeType::Map);
      at.reset(at[parts[i]]);
    }
    at[parts.back()] = value;
  }
}

StrictYaml load_yaml_with_overrides(const std::filesystem::path& file,
                                    const std::vector<SettingOverride>& overrides) {
  return with_overrides(StrictYaml::load_file(file), overrides);
}

StrictYaml load_yaml_string_with_overrides(const std::string& text, const std::string& origin,
                                           const std::vector<SettingOverride>& overrides) {
  return with_overrides(StrictYaml::load_string(text, origin), overrides);
}

}  // namespace dffeval
