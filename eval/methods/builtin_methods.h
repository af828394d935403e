#pragma once
// The methods shipped with dffeval, registered in one place.

namespace dffeval {

/// Registers sparsedff and its ablations, oracle-pose and heuristic with the
/// harness's registry (eval/harness/grasp_method.h). Idempotent and
/// thread-safe; the CLI calls it before anything looks a method up.
void register_builtin_methods();

}  // namespace dffeval
