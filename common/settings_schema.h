#pragma once
// One declarative reader per settings struct: a SettingsSchema<T> lists each
// YAML key of T's mapping once, with where it lands in T and what values are
// valid; read() then reads a StrictYaml mapping into a T, validates every
// field (the defaults too, so a bad default is caught by the first test that
// reads any file), and rejects unknown keys with the file, line and key path.
//
// Why not key-by-key get_or calls: with ~60 SparseDFF settings that was 264
// lines in which a key could be read, validated or rejected in different
// places (or twice), and a new setting needed three edits.

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/strict_yaml.h"

namespace dffeval {

/// Validation of one value: returns an empty string when `v` is valid, else
/// the reason ("must be > 0").
template <class V>
using SettingCheck = std::function<std::string(const V&)>;

/// Shortest text of a number for messages (0.6, 1e-06).
std::string format_setting(double v);

/// Common checks (numbers compared as double; NaN fails every one).
template <class V>
SettingCheck<V> at_least(double lo) {
  return [lo](const V& v) {
    return static_cast<double>(v) >= lo ? std::string() : "must be >= " + format_setting(lo);
  };
}
template <class V>
SettingCheck<V> greater_than(double lo) {
  return [lo](const V& v) {
    return static_cast<double>(v) > lo ? std::string() : "must be > " + format_setting(lo);
  };
}
/// Valid where `ok(value)`; `reason` otherwise ("must be in (0, 1]").
template <class V>
SettingCheck<V> satisfies(std::function<bool(const V&)> ok, std::string reason) {
  return [ok, reason](const V& v) { return ok(v) ? std::string() : reason; };
}

template <class V>
struct is_double_array : std::false_type {};
template <std::size_t N>
struct is_double_array<std::array<double, N>> : std::true_type {};

template <class T>
class SettingsSchema {
 public:
  /// A scalar (or list) key read into `access(settings)`; T's default stays
  /// when the key is absent. V is anything StrictYaml::as<V> reads, or
  /// Eigen::Vector3d (a list of 3 numbers).
  template <class V, class Access>
  SettingsSchema& field(std::string key, Access access, SettingCheck<V> check = {}) {
    entries_.push_back([key = std::move(key), access, check](const StrictYaml& node, T* t) {
      V& value = access(*t);
      if (node.has(key)) value = read_value<V>(node, key);
      if (check) {
        const std::string reason = check(value);
        if (!reason.empty()) node.fail(key, reason);
      }
    });
    return *this;
  }
  /// The same for a data member of T.
  template <class V>
  SettingsSchema& field(std::string key, V T::*member, SettingCheck<V> check = {}) {
    return field<V>(
        std::move(key), [member](T& t) -> V& { return t.*member; }, std::move(check));
  }
  /// A key whose text is parsed by `parse` (an enum name, say); `parse`
  /// throws std::invalid_argument with the reason for a bad name.
  template <class V, class Access>
  SettingsSchema& parsed(std::string key, Access access,
                         std::function<V(const std::string&)> parse) {
    entries_.push_back([key = std::move(key), access, parse](const StrictYaml& node, T* t) {
      if (!node.has(key)) return;
      try {
        access(*t) = parse(node.get<std::string>(key));
      } catch (const std::invalid_argument& e) {
        node.fail(key, e.what());
      }
    });
    return *this;
  }
  /// A sub-mapping read by its own schema.
  template <class S, class Access>
  SettingsSchema& child(std::string key, Access access, const SettingsSchema<S>& schema) {
    entries_.push_back([key = std::move(key), access, schema](const StrictYaml& node, T* t) {
      S& sub = access(*t);
      if (node.has(key)) {
        schema.read(node.child(key), &sub);
      }
    });
    return *this;
  }
  template <class S>
  SettingsSchema& child(std::string key, S T::*member, const SettingsSchema<S>& schema) {
    return child<S>(
        std::move(key), [member](T& t) -> S& { return t.*member; }, schema);
  }
  /// A check across fields, run after all of them were read; `key` names
  /// the key the message is about.
  SettingsSchema& check(std::string key, std::function<std::string(const T&)> check) {
    entries_.push_back([key = std::move(key), check](const StrictYaml& node, T* t) {
      const std::string reason = check(*t);
      if (!reason.empty()) node.fail(key, reason);
    });
    return *this;
  }

  /// Reads `node` (a mapping) into `*settings`: keys present overwrite,
  /// absent keys keep `*settings`' values; throws InputError for a bad value
  /// or an unknown key.
  void read(const StrictYaml& node, T* settings) const {
    if (!node.is_map()) node.fail("", "expected a mapping of settings");
    for (const auto& entry : entries_) entry(node, settings);
    node.reject_unknown_keys();
  }
  T read(const StrictYaml& node, T defaults = T()) const {
    read(node, &defaults);
    return defaults;
  }

 private:
  template <class V>
  static V read_value(const StrictYaml& node, const std::string& key) {
    if constexpr (std::is_same_v<V, Eigen::Vector3d>) {
      const auto v = node.get<std::vector<double>>(key);
      if (v.size() != 3) node.fail(key, "expected [x, y, z]");
      return {v[0], v[1], v[2]};
    } else if constexpr (is_double_array<V>::value) {
      const auto v = node.get<std::vector<double>>(key);
      V out{};
      if (v.size() != out.size()) node.fail(key, "needs " + std::to_string(out.size()) + " values");
      std::copy(v.begin(), v.end(), out.begin());
      return out;
    } else {
      return node.get<V>(key);
    }
  }

  std::vector<std::function<void(const StrictYaml&, T*)>> entries_;
};

}  // namespace dffeval
