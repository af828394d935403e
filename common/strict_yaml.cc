#include "common/strict_yaml.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace dffeval {
namespace {

/// Config files are small: a document that expands (through aliases) to
/// more nodes than this is an alias bomb, not a config.
constexpr std::size_t kMaxNodes = 100000;
/// Deeper nesting than any schema of ours has is a typo or an attack on the
/// recursion below.
constexpr int kMaxDepth = 64;

/// Checks what every reader below relies on: each key is a plain scalar
/// (a `? [a, b]` or `? {a: 1}` key would make a key lookup throw yaml-cpp's
/// conversion error), no key is given twice (yaml-cpp keeps both entries and
/// lookups see only the first, so the second would be ignored without a
/// word), the nesting and the alias expansion stay small.
void check_tree(const YAML::Node& node, const std::string& origin, const std::string& path,
                int depth, std::size_t* nodes) {
  if (++*nodes > kMaxNodes) {
    throw InputError(
        fmt::format("{}: more than {} YAML nodes (aliases expanding too far?)", origin, kMaxNodes));
  }
  if (depth > kMaxDepth) {
    throw InputError(fmt::format("{}:{}: key '{}': nested more than {} levels deep", origin,
                                 node.Mark().line + 1, path, kMaxDepth));
  }
  if (node.IsMap()) {
    std::set<std::string> seen;
    for (const auto& kv : node) {
      if (!kv.first.IsScalar()) {
        throw InputError(fmt::format("{}:{}: key '{}': a key must be a plain name, not a {}",
                                     origin, kv.first.Mark().line + 1, path,
                                     kv.first.IsMap() ? "mapping" : "list or null"));
      }
      const std::string key = kv.first.Scalar();
      const std::string sub = path.empty() ? key : path + "." + key;
      if (!seen.insert(key).second) {
        throw InputError(fmt::format("{}:{}: key '{}': duplicate key (given twice in one mapping)",
                                     origin, kv.first.Mark().line + 1, sub));
      }
      check_tree(kv.second, origin, sub, depth + 1, nodes);
    }
  } else if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      check_tree(node[i], origin, fmt::format("{}[{}]", path, i), depth + 1, nodes);
    }
  }
}

}  // namespace

StrictYaml StrictYaml::load_file(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) {
    throw InputError(fmt::format("{}: file not found", file.string()));
  }
  // Reading a directory yields no bytes, which then reads as an empty
  // document: say what is wrong instead.
  if (std::filesystem::is_directory(file)) {
    throw InputError(fmt::format("{}: is a directory, expected a YAML file", file.string()));
  }
  std::ifstream in(file);
  if (!in) throw InputError(fmt::format("{}: cannot open for reading", file.string()));
  std::stringstream text;
  text << in.rdbuf();
  return load_string(text.str(), file.string());
}

StrictYaml StrictYaml::load_string(const std::string& text, const std::string& origin) {
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsDefined() || root.IsNull()) {
      throw InputError(fmt::format("{}: empty YAML document", origin));
    }
    std::size_t nodes = 0;
    check_tree(root, origin, "", 0, &nodes);
    return StrictYaml(root, origin, "");
  } catch (const YAML::ParserException& e) {
    throw InputError(fmt::format("{}:{}:{}: YAML syntax error: {}", origin, e.mark.line + 1,
                                 e.mark.column + 1, e.msg));
  } catch (const YAML::Exception& e) {
    // Anything else yaml-cpp refuses while building the tree is bad input too.
    throw InputError(fmt::format("{}: cannot read the YAML: {}", origin, e.what()));
  }
}

StrictYaml::StrictYaml(YAML::Node node, std::string file, std::string key_path)
    : node_(std::move(node)),
      file_(std::move(file)),
      key_path_(std::move(key_path)),
      consumed_(std::make_shared<std::set<std::string>>()) {}

bool StrictYaml::has(const std::string& key) const {
  return node_.IsMap() && node_[key].IsDefined();
}

StrictYaml StrictYaml::child(const std::string& key) const {
  if (!node_.IsMap()) fail("", "expected a mapping");
  if (!has(key)) fail(key, "required key is missing");
  consumed_->insert(key);
  std::string path = key_path_.empty() ? key : key_path_ + "." + key;
  return StrictYaml(node_[key], file_, path);
}

std::vector<StrictYaml> StrictYaml::elements() const {
  if (!node_.IsSequence()) fail("", "expected a sequence");
  std::vector<StrictYaml> out;
  for (std::size_t i = 0; i < node_.size(); ++i) {
    out.emplace_back(node_[i], file_, fmt::format("{}[{}]", key_path_, i));
  }
  return out;
}

std::vector<std::string> StrictYaml::keys() const {
  if (!node_.IsMap()) fail("", "expected a mapping");
  std::vector<std::string> out;
  for (const auto& kv : node_) out.push_back(kv.first.as<std::string>());
  return out;
}

void StrictYaml::reject_unknown_keys() const {
  if (!node_.IsMap()) return;
  for (const auto& kv : node_) {
    const std::string key = kv.first.as<std::string>();
    if (!consumed_->count(key)) {
      // Keys set from the command line have no line.
      const int at = kv.first.Mark().line + 1;
      std::string line = at > 0 ? fmt::format("{}:{}", file_, at) : file_;
      std::string path = key_path_.empty() ? key : key_path_ + "." + key;
      throw InputError(fmt::format("{}: unknown key '{}'", line, path));
    }
  }
}

void StrictYaml::accept_all_keys() const {
  if (!node_.IsMap()) return;
  for (const auto& kv : node_) consumed_->insert(kv.first.as<std::string>());
}

std::string StrictYaml::where(const std::string& key) const {
  // A node set from the command line (common/setting_overrides.h) has the
  // mark of a fresh document, line 0 column 0, where no value of a file's
  // mapping can be (it follows its key): such nodes get no line.
  const auto line_of = [](const YAML::Node& n) {
    const YAML::Mark m = n.Mark();
    return m.line == 0 && m.column == 0 ? 0 : m.line + 1;
  };
  int line = key_path_.empty() ? node_.Mark().line + 1 : line_of(node_);
  if (!key.empty() && has(key)) line = line_of(node_[key]);
  std::string path = key_path_;
  if (!key.empty()) path = path.empty() ? key : path + "." + key;
  if (line <= 0) return fmt::format("{}: key '{}'", file_, path);
  return fmt::format("{}:{}: key '{}'", file_, line, path);
}

void StrictYaml::fail(const std::string& key, const std::string& reason) const {
  throw InputError(fmt::format("{}: {}", where(key), reason));
}

}  // namespace dffeval
