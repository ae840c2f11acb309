#include "store/postgres/pg_store.hpp"

#include "store/postgres/pg_conn.hpp"

namespace md::store {

// Four writers unless told (ingest.writers): the round trips of one are what limits ingest, not
// the server (docs/scale.md).
PgStore::PgStore(std::string url, int writers)
    : SqlStore(pg_redacted(url), writers > 0 ? writers : 4), url_(std::move(url)) {}

std::unique_ptr<SqlConn> PgStore::connect(bool reader) {
  auto c = std::make_unique<PgConn>(url_);
  // Readers cannot write by mistake, as SQLite's query_only readers.
  if (reader) c->exec("SET default_transaction_read_only = on");
  return c;
}

namespace {
class AdvisoryLease final : public Lease {
 public:
  explicit AdvisoryLease(std::unique_ptr<PgConn> c) : conn_(std::move(c)) {}
  // Released before the connection closes: the server frees a closed session's locks only once
  // its backend has exited, a moment later, and the next leader should not have to wait for it.
  ~AdvisoryLease() override {
    try {
      conn_->exec("SELECT pg_advisory_unlock_all()");
    } catch (const StoreError&) {  // the session is gone, and its locks with it
    }
  }
  AdvisoryLease(const AdvisoryLease&) = delete;
  AdvisoryLease& operator=(const AdvisoryLease&) = delete;
  bool held() override {
    try {
      Query q(*conn_, "SELECT NOT pg_is_in_recovery()");
      return q.step() && q.i64(0) == 1;
    } catch (const StoreError&) {
      return false;  // the session is gone, and its lock with it
    }
  }

 private:
  std::unique_ptr<PgConn> conn_;  // closing it releases the lock
};
}  // namespace

std::unique_ptr<Lease> PgStore::try_lead(std::string_view role) {
  // A node that does not lead asks again every few seconds: on the connection it asked on last
  // time, not a new one each time (a server process started and ended per try, per role, per node).
  std::unique_ptr<PgConn> c;
  {
    std::lock_guard lock(candidates_mutex_);
    if (auto it = candidates_.find(std::string(role)); it != candidates_.end()) {
      c = std::move(it->second);
      candidates_.erase(it);
    }
  }
  if (!c || c->broken()) c = std::make_unique<PgConn>(url_);
  bool won = false, standby = false;
  {
    // Never on a standby: advisory locks work there too, in a lock space of their own, and a
    // node pointed at one by mistake would lead beside the primary's leader (and send the outbox
    // twice, as the outbox reads there as well).
    Query q(*c,
            "SELECT pg_is_in_recovery(), CASE WHEN pg_is_in_recovery() THEN false"
            " ELSE pg_try_advisory_lock(hashtext('meterdesk:' || ?)) END");
    q.bind(role);
    if (q.step()) {
      standby = q.i64(0) == 1;
      won = q.i64(1) == 1;
    }
  }
  if (won) return std::make_unique<AdvisoryLease>(std::move(c));
  if (standby) return nullptr;  // the next try connects again, through the host list
  std::lock_guard lock(candidates_mutex_);
  candidates_[std::string(role)] = std::move(c);
  return nullptr;
}

void PgStore::backup_to(const std::string&) {
  throw StoreError(
      "on PostgreSQL, back up the database with pg_basebackup (and WAL archiving) or pg_dump:"
      " see docs/deploy.md");
}

}  // namespace md::store
