// Fuzzes the suite reader (config/suites/*.yaml: the strict YAML reader with
// the suite schema) and the trial expansion. Bad input must be an
// InputError (exit 2 in the binary); any other exception, a crash, or a
// loaded suite that breaks its own contract is a finding.

#include <cstdint>
#include <set>

#include "common/input_error.h"
#include "eval/harness/suite.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dffeval;
  const auto file = fuzz::write_input(data, size, "suite.yaml");
  SuiteSpec suite;
  try {
    suite = load_suite(file.string());
  } catch (const InputError&) {
    return 0;
  }
  if (suite.trials < 1 || suite.trials > 100000) fuzz::invariant_failed("trials out of range");
  if (suite.tasks.empty() || suite.object_sets.empty() || suite.scene_sets.empty())
    fuzz::invariant_failed("a suite without tasks, object sets or scene sets");
  if (suite.first_instance < 0 || suite.last_instance < suite.first_instance)
    fuzz::invariant_failed("an empty or negative instance range");
  // Expanding 100000 trials a cell is allowed but slow; the fuzzer's
  // question is whether the expansion holds, not how it scales.
  if (suite.trials > 200) return 0;
  std::vector<Trial> trials;
  try {
    trials = expand_trials(suite);
  } catch (const InputError&) {
    return 0;
  }
  std::set<std::string> ids;
  for (const auto& t : trials)
    if (!ids.insert(t.id).second) fuzz::invariant_failed("duplicate trial id " + t.id);
  return 0;
}
