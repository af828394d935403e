#pragma once
// oracle-pose: the demonstrated grasp moved by the ground-truth relative pose
// of the source and target objects. Privileged (reads ground truth); an upper
// bound when source and target shapes match.

#include "eval/harness/grasp_method.h"

namespace dffeval {

class OraclePoseMethod : public GraspMethod {
 public:
  MethodOutput plan(const MethodInput& input) override;
};

}  // namespace dffeval
