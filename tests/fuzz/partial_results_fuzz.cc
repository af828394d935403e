// Fuzzes the reader of an interrupted run's record
// (OUT/trials.partial.jsonl), as --resume uses it: the header check, the
// torn-line cut and the record parse. A damaged file must be an InputError
// or be read around; after a resume the file must end on a whole line (the
// next record cannot merge with a torn one).

#include <cstdint>
#include <fstream>
#include <iterator>

#include "common/input_error.h"
#include "eval/harness/partial_results.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dffeval;
  // The seeds' header carries this fingerprint (tests/fuzz/corpus/partial_results).
  static const RunFingerprint fingerprint = {
      {"suite", "smoke"}, {"seed", 1}, {"method", "heuristic"}};
  const auto file = fuzz::write_input(data, size, "trials.partial.jsonl");
  try {
    ResumedRecords resumed;
    PartialResultsFile out = PartialResultsFile::resume(file, fingerprint, resumed);
    for (const auto& [id, record] : resumed.records) {
      if (id.empty() || !record.is_object()) fuzz::invariant_failed("a record without an id");
    }
    out.append({{"id", "fuzz/appended"}, {"failure_mode", "none"}});
  } catch (const InputError&) {
    return 0;
  }
  std::ifstream in(file, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.empty() || text.back() != '\n') fuzz::invariant_failed("file does not end on a line");
  if (read_partial_results(file).count("fuzz/appended") != 1)
    fuzz::invariant_failed("the appended record cannot be read back");
  return 0;
}
