#include "store/sqlite/sqlite_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "store/sqlite/sqlite_conn.hpp"

namespace md::store {

namespace {
// Switches a connection from WAL to a rollback journal; false when another connection has the
// database open (a running server), which WAL must then serve.
bool rollback_journal(SqliteConn& c) {
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(c.db(), "PRAGMA journal_mode = TRUNCATE", -1, &q, nullptr) != SQLITE_OK)
    return false;
  const bool switched =
      sqlite3_step(q) == SQLITE_ROW &&
      std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(q, 0))) == "truncate";
  sqlite3_finalize(q);
  return switched;
}
}  // namespace

SqliteStore::SqliteStore(std::string path, bool bulk)
    : SqlStore(path, 1), path_(std::move(path)), bulk_(bulk) {
  // Memory statistics take a global mutex on every allocation; we never read them. Only possible
  // before SQLite initialises, so the first store opened decides (later calls are no-ops).
  static const int configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)configured;
  {
    std::lock_guard lock(first_writer().mutex);
    writer(first_writer());  // opened now: a bad path fails here, and WAL is on before anyone reads
  }
  if (!rollback_) checkpointer_ = std::thread([this] { checkpoint_loop(); });
}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard lock(checkpoint_mutex_);
    stopping_ = true;
  }
  checkpoint_cv_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
  if (rollback_) {
    try {
      std::lock_guard lock(first_writer().mutex);
      writer(first_writer()).exec("PRAGMA journal_mode = WAL");  // as every other opener expects
    } catch (const std::exception&) {
      // the next opener switches it back itself
    }
  }
}

void SqliteStore::checkpoint_loop() {
  std::unique_ptr<SqliteConn> conn;
  std::unique_lock lock(checkpoint_mutex_);
  while (!checkpoint_cv_.wait_for(lock, std::chrono::milliseconds(250),
                                  [this] { return stopping_; })) {
    lock.unlock();
    try {
      if (!conn) conn = std::make_unique<SqliteConn>(path_);
      // PASSIVE never waits for the writer or readers: it copies what it can and comes back.
      sqlite3_wal_checkpoint_v2(conn->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } catch (const std::exception&) {
      conn.reset();  // retried at the next tick
    }
    lock.lock();
  }
}

namespace {
class FileLease final : public Lease {
 public:
  explicit FileLease(int fd) : fd_(fd) {}
  ~FileLease() override { ::close(fd_); }  // closing releases the lock
  FileLease(const FileLease&) = delete;
  FileLease& operator=(const FileLease&) = delete;
  bool held() override { return true; }

 private:
  int fd_;
};
}  // namespace

std::unique_ptr<Lease> SqliteStore::try_lead(std::string_view role) {
  std::string file = path_ + "." + std::string(role) + ".lock";
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw StoreError("cannot open " + file);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return nullptr;
  }
  return std::make_unique<FileLease>(fd);
}

std::unique_ptr<SqlConn> SqliteStore::connect(bool reader) {
  auto c = std::make_unique<SqliteConn>(path_);
  if (reader) {
    c->exec("PRAGMA query_only = ON");
  } else {
    rollback_ = bulk_ && rollback_journal(*c);
    if (!rollback_) c->exec("PRAGMA journal_mode = WAL");
    // A background thread checkpoints; the writer only steps in if the WAL grows far too large
    // (the checkpointer starved), as a bound on its size.
    c->exec("PRAGMA wal_autocheckpoint = 50000");
    // The one writer keeps the pages it dirties most (the index pages a window's readings land
    // on) between its commits: 64 MiB instead of 2, fewer reads of the same pages (bench/window).
    // An import's one long transaction spills less with more.
    c->exec(bulk_ ? "PRAGMA cache_size = -524288" : "PRAGMA cache_size = -65536");
    // Each reading is written under its own savepoint (one bad one must not undo its batch). A
    // savepoint's journal of the pages it changes (~17 of them for a reading, more than the 64 KiB
    // SQLite keeps in memory) otherwise went to a temporary file, written again for every reading
    // of the transaction: 17 pwrites per reading, a third of the writer's time (bench/window,
    // import-readings). Released after each reading, it stays small in memory.
    c->exec("PRAGMA temp_store = MEMORY");
  }
  return c;
}

namespace {
// Copies all pages of `from` into `to` in one step: one read snapshot of the source (in WAL mode
// writers go on meanwhile), so the copy is a consistent database.
void copy_pages(sqlite3* from, sqlite3* to) {
  sqlite3_backup* b = sqlite3_backup_init(to, "main", from, "main");
  if (!b) throw StoreError(std::string("backup: ") + sqlite3_errmsg(to));
  int rc = sqlite3_backup_step(b, -1);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) throw StoreError(std::string("backup: ") + sqlite3_errstr(rc));
}
}  // namespace

void SqliteStore::backup_to(const std::string& path) {
  if (std::filesystem::exists(path)) throw StoreError(path + " exists: choose a new file");
  auto r = acquire_reader();
  SqliteConn target(path);
  copy_pages(static_cast<SqliteConn&>(*r).db(), target.db());
  target.exec("PRAGMA journal_mode = DELETE");  // a single self-contained file
}

void sqlite_restore(const std::string& backup, const std::string& target) {
  if (!std::filesystem::exists(backup)) throw StoreError("no backup file " + backup);
  if (std::filesystem::exists(target))
    throw StoreError(target + " exists: restore into a new path (move the old database away)");
  sqlite3* source = nullptr;
  if (sqlite3_open_v2(backup.c_str(), &source, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(source);
    throw StoreError("cannot open " + backup);
  }
  auto check = [&](const char* sql) {
    sqlite3_stmt* q = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(source, sql, -1, &q, nullptr) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
      out = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    return out;
  };
  std::string integrity = check("PRAGMA integrity_check");
  std::string version = check("SELECT max(version) FROM schema_migrations");
  if (integrity != "ok" || version.empty()) {
    sqlite3_close(source);
    throw StoreError(backup + " is not a sound meterdesk database (" +
                     (integrity.empty() ? std::string("unreadable") : integrity) + ")");
  }
  if (std::stoi(version) > static_cast<int>(sqlite_migrations().size())) {
    sqlite3_close(source);
    throw StoreError(backup + " has schema " + version + ", newer than this meterdesk knows");
  }
  try {
    SqliteConn to(target);
    copy_pages(source, to.db());
    to.exec("PRAGMA journal_mode = WAL");
  } catch (...) {
    sqlite3_close(source);
    std::filesystem::remove(target);
    throw;
  }
  sqlite3_close(source);
}

}  // namespace md::store
