#include "eval/harness/results_store.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <cstdlib>
#include <ctime>

#include "common/input_error.h"
#include "common/results_root.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr int kSchemaVersion = 1;
// Long enough for another run's transaction of a few thousand trials.
constexpr int kBusyTimeoutMs = 30000;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  suite TEXT NOT NULL, method TEXT NOT NULL, seed TEXT NOT NULL,
  settings_hash TEXT NOT NULL, commit_id TEXT NOT NULL, provenance TEXT NOT NULL,
  out_dir TEXT NOT NULL, shard TEXT NOT NULL, overrides TEXT NOT NULL,
  started_utc TEXT NOT NULL, ended_utc TEXT, status TEXT NOT NULL,
  trials_planned INTEGER NOT NULL, error TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS trials (
  run_id INTEGER NOT NULL REFERENCES runs(id), trial_id TEXT NOT NULL,
  task TEXT NOT NULL, category TEXT NOT NULL, object_set TEXT NOT NULL,
  scene_set TEXT NOT NULL, k INTEGER NOT NULL, seed TEXT NOT NULL,
  lift INTEGER NOT NULL, robust INTEGER NOT NULL, transfer INTEGER NOT NULL,
  failure_mode TEXT NOT NULL, part_agreement REAL, contact_error REAL,
  palm_error_sym_m REAL, palm_error_sym_deg REAL, total_time_s REAL,
  record TEXT NOT NULL, PRIMARY KEY (run_id, trial_id));
CREATE INDEX IF NOT EXISTS runs_by_suite ON runs(suite, method);
)sql";

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// A prepared statement, finalized when it goes out of scope.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql, const fs::path& file) : db_(db), file_(file) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) fail("prepare");
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void bind(int i, const std::string& v) {
    check(sqlite3_bind_text(stmt_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  void bind(int i, std::int64_t v) { check(sqlite3_bind_int64(stmt_, i, v)); }
  void bind(int i, const std::optional<double>& v) {
    check(v ? sqlite3_bind_double(stmt_, i, *v) : sqlite3_bind_null(stmt_, i));
  }
  /// Steps once: true while there is a row.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail("step");
    return false;
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
  std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) fail("bind");
  }
  [[noreturn]] void fail(const char* what) {
    throw InputError(
        fmt::format("{}: results store: {} failed: {}", file_.string(), what, sqlite3_errmsg(db_)));
  }
  sqlite3* db_;
  fs::path file_;
  sqlite3_stmt* stmt_ = nullptr;
};

std::optional<double> number_at(const json& j, const json::json_pointer& p) {
  if (!j.contains(p) || !j.at(p).is_number()) return std::nullopt;
  return j.at(p).get<double>();
}

}  // namespace

ResultsStore::ResultsStore(const fs::path& file) : file_(file) {
  std::error_code ec;
  if (file.has_parent_path()) fs::create_directories(file.parent_path(), ec);
  if (fs::is_directory(file))
    throw InputError(
        fmt::format("{}: results store: is a folder, not a database file", file.string()));
  if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw InputError(fmt::format("{}: cannot open the results store: {}", file.string(), why));
  }
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  try {
    exec("PRAGMA journal_mode=WAL");
    Statement version(db_, "PRAGMA user_version", file_);
    version.step();
    const std::int64_t v = version.integer(0);
    Statement tables(db_, "SELECT count(*) FROM sqlite_master", file_);
    tables.step();
    if (v == 0 && tables.integer(0) == 0) {
      exec(std::string("BEGIN IMMEDIATE;") + kSchema +
           fmt::format("PRAGMA user_version={};COMMIT;", kSchemaVersion));
    } else if (v != kSchemaVersion) {
      throw InputError(fmt::format(
          "{}: not a dffeval results store of schema {} (user_version {}); give another --db",
          file.string(), kSchemaVersion, v));
    }
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

ResultsStore::~ResultsStore() {
  if (db_) sqlite3_close(db_);
}

void ResultsStore::exec(const std::string& sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string why = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    // A failed statement inside an explicit transaction leaves it open.
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw InputError(fmt::format("{}: results store: {}", file_.string(), why));
  }
}

std::int64_t ResultsStore::begin_run(const StoredRunStart& run) {
  Statement s(db_,
              "INSERT INTO runs (suite, method, seed, settings_hash, commit_id, provenance, "
              "out_dir, shard, overrides, started_utc, status, trials_planned) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)",
              file_);
  s.bind(1, run.suite);
  s.bind(2, run.method);
  s.bind(3, std::to_string(run.seed));
  s.bind(4, run.settings_hash);
  s.bind(5, run.commit);
  s.bind(6, run.provenance.dump());
  s.bind(7, run.out_dir);
  s.bind(8, run.shard);
  s.bind(9, json(run.overrides).dump());
  s.bind(10, utc_now());
  s.bind(11, static_cast<std::int64_t>(run.trials_planned));
  s.step();
  return sqlite3_last_insert_rowid(db_);
}

void ResultsStore::end_run(std::int64_t run_id, const std::vector<TrialResult>& results,
                           const std::string& status, const std::string& error) {
  exec("BEGIN IMMEDIATE");
  try {
    Statement ins(db_,
                  "INSERT OR REPLACE INTO trials VALUES "
                  "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  file_);
    for (const TrialResult& r : results) {
      const Trial& t = r.trial;
      const json& rec = r.record;
      ins.bind(1, run_id);
      ins.bind(2, t.id);
      ins.bind(3, t.task);
      ins.bind(4, t.category);
      ins.bind(5, t.object_set);
      ins.bind(6, t.scene_set);
      ins.bind(7, static_cast<std::int64_t>(t.k));
      ins.bind(8, std::to_string(t.seed));
      ins.bind(9, static_cast<std::int64_t>(r.success));
      ins.bind(10, static_cast<std::int64_t>(r.robust));
      ins.bind(11, static_cast<std::int64_t>(r.transfer));
      ins.bind(12, r.failure_mode);
      ins.bind(13, number_at(rec, "/fidelity/part_agreement"_json_pointer));
      ins.bind(14, number_at(rec, "/fidelity/contact_error"_json_pointer));
      ins.bind(15, number_at(rec, "/fidelity/palm_error_sym/position_m"_json_pointer));
      ins.bind(16, number_at(rec, "/fidelity/palm_error_sym/rotation_deg"_json_pointer));
      const auto total = r.timing_s.find("total");
      ins.bind(17, total == r.timing_s.end() ? std::nullopt : std::optional<double>(total->second));
      ins.bind(18, rec.dump());
      ins.step();
      ins.reset();
    }
    Statement upd(db_, "UPDATE runs SET status = ?, ended_utc = ?, error = ? WHERE id = ?", file_);
    upd.bind(1, status);
    upd.bind(2, utc_now());
    upd.bind(3, error);
    upd.bind(4, run_id);
    upd.step();
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  exec("COMMIT");
}

std::vector<StoredRun> ResultsStore::runs(const StoredRunFilter& filter) const {
  Statement s(db_,
              "SELECT r.id, r.suite, r.method, r.seed, r.settings_hash, r.commit_id, r.provenance, "
              "r.out_dir, r.shard, r.trials_planned, r.started_utc, coalesce(r.ended_utc, ''), "
              "r.status, r.error, r.overrides, count(t.trial_id), coalesce(sum(t.lift), 0), "
              "coalesce(sum(t.robust), 0), coalesce(sum(t.transfer), 0) "
              "FROM runs r LEFT JOIN trials t ON t.run_id = r.id "
              "WHERE (?1 = '' OR r.suite = ?1) AND (?2 = '' OR r.method = ?2) "
              "AND (?3 = '' OR substr(r.commit_id, 1, length(?3)) = ?3) "
              "GROUP BY r.id ORDER BY r.id DESC",
              file_);
  s.bind(1, filter.suite);
  s.bind(2, filter.method);
  s.bind(3, filter.commit);
  std::vector<StoredRun> out;
  while (s.step()) {
    StoredRun r;
    r.id = s.integer(0);
    r.start.suite = s.text(1);
    r.start.method = s.text(2);
    r.start.seed = std::strtoull(s.text(3).c_str(), nullptr, 10);
    r.start.settings_hash = s.text(4);
    r.start.commit = s.text(5);
    r.start.provenance = json::parse(s.text(6), nullptr, /*allow_exceptions=*/false);
    r.start.out_dir = s.text(7);
    r.start.shard = s.text(8);
    r.start.trials_planned = static_cast<std::size_t>(s.integer(9));
    r.started_utc = s.text(10);
    r.ended_utc = s.text(11);
    r.status = s.text(12);
    r.error = s.text(13);
    const json overrides = json::parse(s.text(14), nullptr, /*allow_exceptions=*/false);
    if (overrides.is_array())
      for (const json& o : overrides)
        if (o.is_string()) r.start.overrides.push_back(o.get<std::string>());
    r.trials = static_cast<int>(s.integer(15));
    r.lift = static_cast<int>(s.integer(16));
    r.robust = static_cast<int>(s.integer(17));
    r.transfer = static_cast<int>(s.integer(18));
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<json> ResultsStore::trial_records(std::int64_t run_id) const {
  Statement s(db_, "SELECT record FROM trials WHERE run_id = ? ORDER BY rowid", file_);
  s.bind(1, run_id);
  std::vector<json> out;
  while (s.step()) out.push_back(json::parse(s.text(0)));
  return out;
}

std::optional<fs::path> results_store_path(const std::string& db_option) {
  std::string choice = db_option;
  if (choice.empty())
    if (const char* env = std::getenv("DFFEVAL_DB"); env && *env) choice = env;
  if (choice == "none") return std::nullopt;
  if (choice.empty()) return results_root() / "dffeval.sqlite";
  return fs::path(choice);
}

std::string text_digest(const std::string& text) {
  // FNV-1a's 64-bit offset basis and prime (Fowler, Noll, Vo). Until
  // 2026-12-04 the basis lacked its last digit: a stable digest still, but
  // not FNV-1a; digests made before then (partial files, store rows) differ.
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return fmt::format("{:016x}", h);
}

std::string run_settings_hash(const std::string& suite_settings_digest,
                              const std::string& method_settings_digest) {
  return text_digest(suite_settings_digest + "/" + method_settings_digest);
}

}  // namespace dffeval
