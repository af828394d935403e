// A run named by its folder or by its id in the results store, and each way
// that cannot name a run refused with the reason.

#include "eval/harness/run_reference.h"

#include <gtest/gtest.h>

#include <string>

#include "common/input_error.h"
#include "eval/harness/results_store.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

std::string error_of(const std::string& argument, const std::string& db) {
  try {
    result_folder_of(argument, db);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(RunReference, AFolderOrARunIdOfTheStore) {
  const fs::path dir = fixtures::fresh_temp_dir("run_reference");
  const fs::path kept = dir / "kept", gone = dir / "gone";
  fs::create_directories(kept);
  const fs::path db = dir / "store.sqlite";
  std::int64_t kept_id = 0, gone_id = 0;
  {
    ResultsStore store(db);
    StoredRunStart s;
    s.suite = "smoke";
    s.method = "heuristic";
    s.out_dir = kept.string();
    kept_id = store.begin_run(s);
    s.out_dir = gone.string();
    gone_id = store.begin_run(s);
  }
  EXPECT_EQ(result_folder_of(kept.string(), db.string()), kept);
  EXPECT_EQ(result_folder_of(std::to_string(kept_id), db.string()), kept);
  EXPECT_NE(error_of(std::to_string(gone_id), db.string())
                .find("its folder " + gone.string() + " is gone"),
            std::string::npos);
  EXPECT_NE(error_of("99", db.string()).find("has no run 99"), std::string::npos);
  EXPECT_NE(error_of("nowhere", db.string()).find("nowhere: no such folder"), std::string::npos);
  EXPECT_NE(error_of("7", "none").find("the results store is off"), std::string::npos);
  EXPECT_NE(error_of("7", (dir / "missing.sqlite").string()).find("no results store at"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "missing.sqlite"));
}

}  // namespace
}  // namespace dffeval
