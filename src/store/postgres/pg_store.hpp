// The store on PostgreSQL (libpq): the same SQL and the same migrations as SQLite, for several
// meterdesk nodes on one database. `url` is a libpq connection string or URL; listing several
// hosts with target_session_attrs=read-write follows a failover to the promoted standby.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/postgres/pg_conn.hpp"
#include "store/sql/sql_store.hpp"

namespace md::store {

const std::vector<Migration>& pg_migrations();

class PgStore final : public SqlStore {
 public:
  explicit PgStore(std::string url, int writers = 0);
  void backup_to(const std::string& path) override;
  [[nodiscard]] bool shared_by_nodes() const override { return true; }
  // A session-level advisory lock on a connection of its own: released by the server when this
  // node goes away, so another takes over.
  std::unique_ptr<Lease> try_lead(std::string_view role) override;

 protected:
  std::unique_ptr<SqlConn> connect(bool reader) override;
  const std::vector<Migration>& migrations() const override { return pg_migrations(); }

 private:
  std::string url_;
  std::mutex candidates_mutex_;
  std::map<std::string, std::unique_ptr<PgConn>> candidates_;  // by role: where we last asked
};

}  // namespace md::store
