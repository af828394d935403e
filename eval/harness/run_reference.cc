#include "eval/harness/run_reference.h"

#include <fmt/format.h>

#include "common/input_error.h"
#include "eval/harness/results_store.h"

namespace dffeval {

namespace fs = std::filesystem;

fs::path result_folder_of(const std::string& argument, const std::string& db_option) {
  if (fs::is_directory(argument)) return argument;
  const bool number = !argument.empty() && argument.size() < 19 &&
                      argument.find_first_not_of("0123456789") == std::string::npos;
  if (!number)
    throw InputError(
        fmt::format("{}: no such folder (nor a run id of the results store)", argument));
  const auto store_file = results_store_path(db_option);
  if (!store_file)
    throw InputError(fmt::format(
        "{}: no such folder, and the results store is off (--db none or DFFEVAL_DB=none) to look "
        "it up as a run id",
        argument));
  if (!fs::is_regular_file(*store_file))
    throw InputError(fmt::format("{}: no such folder, and no results store at {} to look it up",
                                 argument, store_file->string()));
  const ResultsStore store(*store_file);
  const std::int64_t id = std::stoll(argument);
  for (const StoredRun& run : store.runs()) {
    if (run.id != id) continue;
    if (!fs::is_directory(run.start.out_dir))
      throw InputError(fmt::format("run {} of {}: its folder {} is gone", id, store_file->string(),
                                   run.start.out_dir));
    return run.start.out_dir;
  }
  throw InputError(
      fmt::format("{}: no such folder, and {} has no run {} (`dffeval runs` lists "
                  "them)",
                  argument, store_file->string(), id));
}

}  // namespace dffeval
