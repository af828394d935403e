// Fuzzes the demonstration reader (assets/demos/*.yaml). Bad input must be
// an InputError; a loaded demo must be a grasp the executor can replay: a
// finite palm pose with a rotation, joints near their ranges.

#include <cstdint>

#include "common/input_error.h"
#include "eval/harness/demonstration.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dffeval;
  const auto file = fuzz::write_input(data, size, "demo.yaml");
  Demonstration d;
  try {
    d = load_demonstration(file.string());
  } catch (const InputError&) {
    return 0;
  }
  const Eigen::Matrix3d R = d.X_ObjPalm.linear();
  if (!d.X_ObjPalm.matrix().allFinite()) fuzz::invariant_failed("palm pose not finite");
  if (!(R.transpose() * R).isIdentity(1e-6) || !(R.determinant() > 0))
    fuzz::invariant_failed("palm rotation not a rotation");
  for (double q : d.joints_rad)
    if (!std::isfinite(q)) fuzz::invariant_failed("joint not finite");
  if (d.source_index < 0 || d.source_index >= instances_per_set(d.source_set))
    fuzz::invariant_failed("source index out of range");
  return 0;
}
