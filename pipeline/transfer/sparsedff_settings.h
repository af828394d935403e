#pragma once
// The SparseDFF settings file (config/methods/sparsedff.yaml): one schema per
// settings struct (common/settings_schema.h), and the shipped file read once.

#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/transfer/sparsedff_transfer.h"

namespace dffeval {

class StrictYaml;

/// Reads config/methods/sparsedff.yaml-shaped YAML; missing keys keep their
/// defaults, unknown keys and invalid values throw InputError naming the
/// file, line and key.
SparseDffConfig read_sparsedff_config(const StrictYaml& node);

/// Reads a `backbone:` mapping (name, l2_normalize, learned, torchscript,
/// geometric).
BackboneConfig read_backbone_config(const StrictYaml& node);

/// The shipped settings file, read once per process: its text is what the
/// configuration was parsed from and what results record (so a file edited
/// during a run does not make the record disagree with the run).
struct ShippedSparseDffSettings {
  std::filesystem::path file;
  std::string text;
  /// The command-line overrides applied on top of `text`
  /// (common/setting_overrides.h: the `method.` ones), as given.
  std::vector<std::string> overrides;
  SparseDffConfig config;
};
const ShippedSparseDffSettings& shipped_sparsedff_settings();

/// The shipped defaults: shipped_sparsedff_settings().config.
SparseDffConfig default_sparsedff_config();

}  // namespace dffeval
