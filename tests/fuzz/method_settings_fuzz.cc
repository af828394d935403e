// Fuzzes the method-settings reader (config/methods/sparsedff.yaml: the
// strict YAML reader with the SparseDFF settings schema). Bad input must be
// an InputError; nothing else may escape.

#include <cstdint>
#include <string>

#include "common/input_error.h"
#include "common/strict_yaml.h"
#include "pipeline/transfer/sparsedff_settings.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dffeval;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)read_sparsedff_config(StrictYaml::load_string(text, "sparsedff.yaml"));
  } catch (const InputError&) {
  }
  return 0;
}
