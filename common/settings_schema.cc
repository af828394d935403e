#include "common/settings_schema.h"

#include <fmt/format.h>

namespace dffeval {

std::string format_setting(double v) { return fmt::format("{}", v); }

}  // namespace dffeval
