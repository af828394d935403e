#pragma once
// What `dffeval compare` and `dffeval report` accept for a run: its result
// folder, or its id in the results store (the first column of `dffeval
// runs`), which stands for the folder the store recorded for it.

#include <filesystem>
#include <string>

namespace dffeval {

/// The result folder `argument` names: the folder itself when one exists
/// at that path (a folder named "17" wins over run 17), else, for a whole
/// number, that run's folder in the store `db_option` selects (as `--db`:
/// "" for the default, results_store_path()). Throws InputError when it is
/// neither, when the store is off or has no such run, or when the run's
/// folder is gone (a run moved or deleted since).
std::filesystem::path result_folder_of(const std::string& argument,
                                       const std::string& db_option = "");

}  // namespace dffeval
