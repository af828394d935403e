#pragma once
// Strict YAML reading for config structs: every mapping is read by one
// function, every key it does not consume is an error that names the file,
// the line and the key path.

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/input_error.h"

namespace dffeval {

/// A YAML node that remembers where it came from (file and key path) and
/// which keys of its mapping have been read.
class StrictYaml {
 public:
  /// Parses a file; throws InputError naming the file and line on a syntax
  /// error, or if the file is missing.
  static StrictYaml load_file(const std::filesystem::path& file);
  /// Parses text (for tests and embedded defaults); `origin` names it in errors.
  static StrictYaml load_string(const std::string& text, const std::string& origin);

  StrictYaml(YAML::Node node, std::string file, std::string key_path);

  bool has(const std::string& key) const;
  /// A required key; throws InputError if it is missing or of the wrong type.
  template <class T>
  T get(const std::string& key) const;
  /// An optional key with a default.
  template <class T>
  T get_or(const std::string& key, const T& fallback) const;
  /// A sub-mapping or sub-sequence (required).
  StrictYaml child(const std::string& key) const;
  /// The elements of a sequence node.
  std::vector<StrictYaml> elements() const;
  /// The keys of a mapping node, in file order.
  std::vector<std::string> keys() const;
  /// The node's value converted to T.
  template <class T>
  T as() const;

  bool is_map() const { return node_.IsMap(); }
  bool is_sequence() const { return node_.IsSequence(); }
  /// Throws InputError for the first key of this mapping that no get/child
  /// call consumed.
  void reject_unknown_keys() const;
  /// Marks every key as consumed (for free-form sub-trees such as parameters).
  void accept_all_keys() const;

  /// "file:line: key 'a.b': " prefix for error messages about this node.
  std::string where(const std::string& key = "") const;
  [[noreturn]] void fail(const std::string& key, const std::string& reason) const;

  const YAML::Node& node() const { return node_; }
  const std::string& file() const { return file_; }

 private:
  YAML::Node node_;
  std::string file_;
  std::string key_path_;
  std::shared_ptr<std::set<std::string>> consumed_;
};

namespace strict_yaml_detail {
// No setting of ours means "not a number" or "infinitely far": a .nan or
// .inf in a config is a typo or an overflow, and would otherwise pass every
// range check written as `x > lo` (NaN compares false both ways).
inline bool finite_value(double v) { return std::isfinite(v); }
inline bool finite_value(float v) { return std::isfinite(v); }
template <class T>
bool finite_value(const std::vector<T>& v) {
  for (const auto& x : v)
    if (!finite_value(x)) return false;
  return true;
}
template <class T>
bool finite_value(const T&) {
  return true;
}
/// The value as written, shortened for an error message.
inline std::string shown(const YAML::Node& node) {
  std::string text = YAML::Dump(node);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}
}  // namespace strict_yaml_detail

template <class T>
T StrictYaml::as() const {
  T value;
  try {
    value = node_.as<T>();
  } catch (const YAML::Exception& e) {
    fail("", "cannot read value '" + strict_yaml_detail::shown(node_) + "': wrong type");
  }
  if (!strict_yaml_detail::finite_value(value)) {
    fail("",
         "cannot read value '" + strict_yaml_detail::shown(node_) + "': must be a finite number");
  }
  return value;
}

template <class T>
T StrictYaml::get(const std::string& key) const {
  if (!has(key)) fail(key, "required key is missing");
  return child(key).as<T>();
}

template <class T>
T StrictYaml::get_or(const std::string& key, const T& fallback) const {
  if (!has(key)) {
    consumed_->insert(key);
    return fallback;
  }
  return child(key).as<T>();
}

}  // namespace dffeval
