// Provenance in every result file: the build-time commit, host, compiler and a UTC time stamp
// of now, plus the versions that higher layers register (the last value per key wins, and
// registration is safe from many threads).

#include "common/provenance.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <ctime>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace dffeval {
namespace {

/// Seconds since the epoch of "YYYY-MM-DDTHH:MM:SSZ" read as UTC; -1 if malformed.
std::time_t parse_utc(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == nullptr || *end != '\0') return -1;
  return timegm(&tm);
}

TEST(Provenance, RecordsCommitHostCompilerAndTime) {
  const nlohmann::json p = provenance();
  for (const char* key : {"git_commit", "host", "compiler", "time_utc"}) {
    ASSERT_TRUE(p.contains(key)) << key << " missing: " << p.dump();
    ASSERT_TRUE(p[key].is_string()) << key;
    EXPECT_FALSE(p[key].get<std::string>().empty()) << key;
  }
  // The short commit that built the binary (12 hex digits, "-dirty" with
  // local changes), or "unknown" outside a git checkout.
  const std::string commit = p["git_commit"];
  EXPECT_TRUE(std::regex_match(commit, std::regex("[0-9a-f]{12}(-dirty)?")) || commit == "unknown")
      << commit;
  char host[256] = "";
  ASSERT_EQ(gethostname(host, sizeof(host) - 1), 0);
  EXPECT_EQ(p["host"].get<std::string>(), std::string(host));
  EXPECT_EQ(p["compiler"].get<std::string>().rfind("g++ ", 0), 0u) << p["compiler"].dump();
}

TEST(Provenance, TimeIsNowInUtc) {
  const std::time_t before = std::time(nullptr);
  const std::string stamp = provenance()["time_utc"];
  const std::time_t after = std::time(nullptr);
  ASSERT_TRUE(std::regex_match(stamp, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)")))
      << stamp;
  // Read back as UTC it lies between the clock readings around the call (a
  // local-time stamp would be off by the zone's offset wherever TZ is not UTC).
  const std::time_t t = parse_utc(stamp);
  EXPECT_GE(t, before) << stamp;
  EXPECT_LE(t, after) << stamp;
}

TEST(Provenance, RegisteredEntriesAppearAndTheLastValueWins) {
  add_provenance_entry("provenance_test_library", "1.0");
  EXPECT_EQ(provenance()["provenance_test_library"].get<std::string>(), "1.0");
  add_provenance_entry("provenance_test_library", "2.5-rc1");
  const nlohmann::json p = provenance();
  EXPECT_EQ(p["provenance_test_library"].get<std::string>(), "2.5-rc1");
  // The built-in keys are still there next to it.
  EXPECT_TRUE(p.contains("git_commit"));
  EXPECT_TRUE(p.contains("time_utc"));
}

TEST(Provenance, EntriesFromManyThreadsAreAllKept) {
  // Layers register their versions at start-up, possibly from worker
  // threads while another thread writes a result file.
  constexpr int kThreads = 8, kPerThread = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < kPerThread; ++i) {
        add_provenance_entry("thread_" + std::to_string(t) + "_" + std::to_string(i),
                             std::to_string(t * 1000 + i));
        if (i % 10 == 0) provenance();  // readers interleaved with writers
      }
    });
  }
  for (std::thread& th : threads) th.join();
  const nlohmann::json p = provenance();
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      const std::string key = "thread_" + std::to_string(t) + "_" + std::to_string(i);
      ASSERT_TRUE(p.contains(key)) << key;
      EXPECT_EQ(p[key].get<std::string>(), std::to_string(t * 1000 + i)) << key;
    }
  }
}

}  // namespace
}  // namespace dffeval
