#include "store/postgres/pg_store.hpp"

#include "store/postgres/pg_conn.hpp"

namespace md::store {

PgStore::PgStore(std::string url) : SqlStore(pg_redacted(url)), url_(std::move(url)) {}

std::unique_ptr<SqlConn> PgStore::connect(bool reader) {
  auto c = std::make_unique<PgConn>(url_);
  // Readers cannot write by mistake, as SQLite's query_only readers.
  if (reader) c->exec("SET default_transaction_read_only = on");
  return c;
}

void PgStore::backup_to(const std::string&) {
  throw StoreError(
      "on PostgreSQL, back up the database with pg_basebackup (and WAL archiving) or pg_dump:"
      " see docs/deploy.md");
}

}  // namespace md::store
