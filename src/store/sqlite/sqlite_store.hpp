// The embedded default store: SQLite in WAL mode with synchronous=FULL, foreign keys on.
// One write connection (a WriteTx holds it exclusively) and a small pool of read connections.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/sql/sql_store.hpp"

namespace md::store {

const std::vector<Migration>& sqlite_migrations();

// Copies a SQLite database file (a backup) into `target`, which must not exist: checked first
// (integrity, a schema this binary knows), then copied page by page and made durable.
void sqlite_restore(const std::string& backup, const std::string& target);

class SqliteStore final : public SqlStore {
 public:
  // `bulk`: for one long import into a database no other process has open. Its writer then
  // journals by rollback instead of WAL (a transaction of millions of rows makes a WAL of
  // gigabytes, each page read a search of its index: the import slowed as it went, 16k rows/s
  // to 4k) and keeps a larger cache. With the database open elsewhere it is an ordinary store.
  explicit SqliteStore(std::string path, bool bulk = false);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  void backup_to(const std::string& path) override;
  // An exclusive lock on the file <database>.<role>.lock: one process per role on this machine.
  std::unique_ptr<Lease> try_lead(std::string_view role) override;

 protected:
  std::unique_ptr<SqlConn> connect(bool reader) override;
  const std::vector<Migration>& migrations() const override { return sqlite_migrations(); }

 private:
  std::string path_;
  bool bulk_ = false;
  bool rollback_ = false;  // bulk, and no one else had the database open: no WAL meanwhile
  // WAL checkpoints run here, not inside the writer's commits, so group commits stay short.
  void checkpoint_loop();
  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_cv_;
  bool stopping_ = false;
  std::thread checkpointer_;
};

}  // namespace md::store
