#include "eval/methods/builtin_methods.h"

#include <mutex>

#include "eval/harness/grasp_method.h"
#include "eval/methods/heuristic_grasp.h"
#include "eval/methods/oracle_pose.h"
#include "eval/methods/sparsedff_method.h"

namespace dffeval {

void register_builtin_methods() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_sparsedff_methods();
    register_method({"oracle-pose",
                     "demonstrated grasp moved by the ground-truth object pose (PRIVILEGED: reads "
                     "ground truth; an upper bound when shapes match)",
                     true,
                     [] { return std::make_unique<OraclePoseMethod>(); },
                     {}});
    register_method({"heuristic",
                     "top-down power grasp over the target cloud's centroid, from the "
                     "observation only (a lower bound)",
                     false,
                     [] { return std::make_unique<HeuristicGraspMethod>(); },
                     {}});
  });
}

}  // namespace dffeval
