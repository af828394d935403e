#pragma once
// Command-line overrides of config settings: `key=value` arguments
// (`dffeval --suite novel_objects method.optimizer.iterations=100
// execution.hold_time_s=2`). Each is set into the YAML tree of its file
// before the file's strict reader runs, so an override is typed, range
// checked and refused when unknown exactly as the same key in the file
// would be, and the errors name the file, the key and the reason.
//
// What a key sets, by its first part:
//   method.KEY     the method's settings (config/methods/sparsedff.yaml)
//   scenes.NAME.KEY  the scene set NAME (scenes/NAME.yaml)
//   anything else  the suite (its YAML keys: trials, execution.*,
//                  force_test.*, transfer.*, ...)
// The value is read as YAML: a number, a word, or a flow list `[1, 2]`.

#include <filesystem>
#include <string>
#include <vector>

#include "common/strict_yaml.h"

namespace dffeval {

struct SettingOverride {
  /// Dotted key path inside the target file, e.g. "optimizer.iterations".
  std::string key;
  std::string value;
  /// The argument as given ("method.optimizer.iterations=100").
  std::string argument;
};

/// Parses "KEY=VALUE"; InputError naming the argument when there is no '=',
/// the key is empty or has an empty part, or the value is empty.
SettingOverride parse_setting_override(const std::string& argument);

/// The overrides of the process, by target: "suite", "method" or
/// "scenes.NAME"; keys have the target's prefix removed. Set once by the CLI,
/// before any config is read (not thread-safe).
void set_process_overrides(const std::vector<SettingOverride>& all);
std::vector<SettingOverride> process_overrides(const std::string& target);
/// Every override of the process, as given, in order.
std::vector<std::string> process_override_arguments();

/// Sets each override into the mapping `root` at its key path (missing
/// mappings are created; a path through a non-mapping is an InputError
/// naming the argument and `origin`).
void apply_setting_overrides(YAML::Node root, const std::vector<SettingOverride>& overrides,
                             const std::string& origin);

/// StrictYaml::load_file, then the overrides set in; errors about the file
/// then name it as "FILE (with command-line overrides)".
StrictYaml load_yaml_with_overrides(const std::filesystem::path& file,
                                    const std::vector<SettingOverride>& overrides);
/// The same for text (for settings read once from an embedded copy).
StrictYaml load_yaml_string_with_overrides(const std::string& text, const std::string& origin,
                                           const std::vector<SettingOverride>& overrides);

}  // namespace dffeval
