// The store's connections, migrations and core reads, the same SQL on SQLite and PostgreSQL.
#include "store/sql/sql_store.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "store/audit_chain.hpp"
#include "store/sql/rows.hpp"

namespace md::store {

using namespace detail;

SqlStore::Reader SqlStore::acquire_reader() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!readers_.empty()) {
      auto c = std::move(readers_.back());
      readers_.pop_back();
      return Reader(*this, std::move(c));
    }
  }
  return Reader(*this, connect(true));
}

void SqlStore::return_reader(std::unique_ptr<SqlConn> c) {
  if (c->broken()) return;
  std::lock_guard lock(pool_mutex_);
  if (readers_.size() < 8) readers_.push_back(std::move(c));
}

SqlStore::SqlStore(std::string name, int writers) : name_(std::move(name)) {
  for (int i = 0; i < std::max(1, writers); ++i) {
    slots_.push_back(std::make_unique<WriterSlot>());
    slots_.back()->index = i;
  }
}

const std::string& SqlStore::audit_chain(WriterSlot& slot, SqlConn& c) {
  if (slot.audit_chain.empty())
    slot.audit_chain = c.dialect().row_locks
                           ? audit_chain_name(false) + "/" + std::to_string(slot.index)
                           : audit_chain_name(true);
  return slot.audit_chain;
}

void SqlConn::copy_in(const char*, std::string_view) {
  throw StoreError("COPY is PostgreSQL's: this engine takes rows as statements");
}

SqlConn& SqlStore::writer(WriterSlot& slot) {
  if (!slot.conn || slot.conn->broken()) {
    slot.conn.reset();
    slot.conn = connect(false);
  }
  return *slot.conn;
}

int SqlStore::schema_version() {
  std::lock_guard lock(first_writer().mutex);
  SqlConn& c = writer(first_writer());
  Query exists(c, c.dialect().has_migrations_table);
  if (!exists.step()) return 0;
  Query q(c, "SELECT coalesce(max(version), 0) FROM schema_migrations");
  q.step();
  return static_cast<int>(q.i64(0));
}

int SqlStore::migrate() {
  return migrate_to(static_cast<int>(migrations().size()));
}

int SqlStore::migrate_to(int version) {
  const int known = static_cast<int>(migrations().size());
  std::lock_guard lock(first_writer().mutex);
  SqlConn& c = writer(first_writer());
  c.exec(c.dialect().begin_write);
  try {
    // Several nodes may start at once: one migrates, the others wait and then find it done.
    if (*c.dialect().migration_lock) c.exec(c.dialect().migration_lock);
    // Created only when missing: a current schema is then checked without writing, so a node can
    // start on a read-only standby (and answer 503 to writes there).
    bool has_table = false;
    {
      Query q(c, c.dialect().has_migrations_table);
      has_table = q.step();
    }
    if (!has_table)
      c.exec(
          "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
          " description TEXT NOT NULL, applied_at BIGINT NOT NULL)");
    int current = 0;
    {
      Query q(c, "SELECT coalesce(max(version), 0) FROM schema_migrations");
      q.step();
      current = static_cast<int>(q.i64(0));
    }
    if (current > known)
      throw StoreError(name_ + " has schema version " + std::to_string(current) +
                       ", newer than this meterdesk knows (" + std::to_string(known) +
                       "): run the newer meterdesk, or restore a backup made by this one");
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    for (const auto& m : migrations()) {
      if (m.version <= current || m.version > version) continue;
      c.exec(m.sql);
      Query q(c,
              "INSERT INTO schema_migrations (version, description, applied_at)"
              " VALUES (?, ?, ?)");
      q.bind(m.version).bind(m.description).bind(static_cast<std::int64_t>(now));
      q.run();
      current = m.version;
    }
    c.exec("COMMIT");
    return current;
  } catch (...) {
    try {
      c.exec("ROLLBACK");
    } catch (...) {  // the connection is gone; the server rolled back
    }
    throw;
  }
}

std::unique_ptr<WriteTx> SqlStore::begin_write() {
  // A free connection if there is one, else wait for the next in turn, never for one this thread
  // holds (a transaction begun inside another would wait for itself, and every writer after it
  // for them: this once stopped a node's ingest after a failover).
  const auto me = std::this_thread::get_id();
  for (auto& slot : slots_) {
    if (slot->owner.load() == me) continue;  // (try_lock on a mutex one holds is undefined)
    std::unique_lock lock(slot->mutex, std::try_to_lock);
    if (lock.owns_lock()) {
      WriterLock held(std::move(lock), slot->owner);
      SqlConn& c = writer(*slot);
      return make_write_tx(std::move(held), c, audit_chain(*slot, c));
    }
  }
  for (std::size_t tries = 0; tries < slots_.size(); ++tries) {
    WriterSlot& slot = *slots_[next_slot_++ % slots_.size()];
    if (slot.owner.load() == me) continue;
    WriterLock held(std::unique_lock(slot.mutex), slot.owner);
    SqlConn& c = writer(slot);
    return make_write_tx(std::move(held), c, audit_chain(slot, c));
  }
  throw std::logic_error(
      "a write transaction was begun inside another on the same thread, and no other writer "
      "connection is free for it");
}

std::optional<MeterRow> SqlStore::find_meter(std::string_view account, std::string_view serial) {
  auto r = acquire_reader();
  return find_meter_on(*r, account, serial);
}

AttemptCounts SqlStore::attempts(std::string_view name, std::int64_t start, std::int64_t length) {
  auto r = acquire_reader();
  return attempts_on(*r, name, start, length);
}

std::optional<std::string> SqlStore::secret(std::string_view name) {
  auto r = acquire_reader();
  Query q(*r, "SELECT value FROM server_secrets WHERE name = ?");
  q.bind(name);
  if (!q.step()) return std::nullopt;
  return q.text(0);
}

std::vector<ReadingRow> SqlStore::history(std::int64_t meter_id, int limit) {
  auto r = acquire_reader();
  Query q(*r, "SELECT " READING_COLUMNS
              " FROM submissions s JOIN meters m ON m.id = s.meter_id WHERE s.meter_id = ?"
              " ORDER BY s.taken_on DESC, s.id DESC LIMIT ?");
  q.bind(meter_id).bind(limit);
  std::vector<ReadingRow> out;
  while (q.step()) out.push_back(reading_row(q));
  return out;
}

std::optional<ReadingRow> SqlStore::latest_accepted(std::int64_t meter_id) {
  auto r = acquire_reader();
  // The order of WriteTx::accepted_readings, which validation compares with.
  Query q(*r, "SELECT " READING_COLUMNS
              " FROM submissions s JOIN meters m ON m.id = s.meter_id"
              " WHERE s.meter_id = ? AND s.status = 'accepted'"
              " ORDER BY s.as_of DESC, s.id DESC LIMIT 1");
  q.bind(meter_id);
  if (!q.step()) return std::nullopt;
  return reading_row(q);
}

std::optional<ReadingRow> SqlStore::find_by_receipt(std::string_view receipt) {
  auto r = acquire_reader();
  Query q(*r, "SELECT " READING_COLUMNS
              " FROM submissions s JOIN meters m ON m.id = s.meter_id WHERE s.receipt = ?");
  q.bind(receipt);
  if (!q.step()) return std::nullopt;
  return reading_row(q);
}

std::vector<AuditRow> SqlStore::audit_tail(int limit) {
  auto r = acquire_reader();
  Query q(*r,
          "SELECT id, at, actor, channel, action, identity, raw_input, result, reason,"
          " submission_id, request_id FROM audit ORDER BY id DESC LIMIT ?");
  q.bind(limit);
  std::vector<AuditRow> out;
  while (q.step()) out.push_back(audit_row(q));
  return out;
}

Counts SqlStore::counts() {
  auto r = acquire_reader();
  Query q(*r,
          "SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM meters),"
          " (SELECT count(*) FROM submissions), (SELECT count(*) FROM audit)");
  q.step();
  return Counts{q.i64(0), q.i64(1), q.i64(2), q.i64(3)};
}

std::int64_t SqlStore::review_backlog() {
  auto r = acquire_reader();
  Query q(*r, "SELECT count(*) FROM review_items WHERE decision IS NULL");
  q.step();
  return q.i64(0);
}

namespace {

// The accepted readings of `point`'s meters from the readings cursor (which is at or before
// them, in metering-point order), in the order the close reads them. Whether the cursor still
// has a row.
bool take_readings(Query& readings, bool ready, PointHistory& point) {
  while (ready && readings.i64(0) < point.point_id) ready = readings.step();
  auto zones_of = [&](std::int64_t meter) {
    for (const auto& m : point.meters)
      if (m.id == meter) return m.zones;
    return 0;
  };
  auto order_of = [&](std::int64_t meter) {
    for (size_t i = 0; i < point.meters.size(); ++i)
      if (point.meters[i].id == meter) return i;
    return point.meters.size();
  };
  bool sorted = true;
  while (ready && readings.i64(0) == point.point_id) {
    PointHistory::Reading reading;
    reading.meter_id = readings.i64(1);
    reading.as_of = instant(readings.i64(2));
    reading.installation = readings.is_exchange(3);
    reading.taken_on = readings.day(7);
    int zones = zones_of(reading.meter_id);
    for (int z = 0; z < zones && z < 3; ++z)
      reading.unwrapped[static_cast<size_t>(z)] = readings.i64(4 + z);
    if (!point.readings.empty() && point.readings.back().as_of > reading.as_of) sorted = false;
    point.readings.push_back(reading);
    ready = readings.step();
  }
  // Across meters (after an exchange): by as-of instant, and at one instant the old meter's
  // final reading first.
  if (!sorted || point.meters.size() > 1)
    std::stable_sort(point.readings.begin(), point.readings.end(),
                     [&](const PointHistory::Reading& a, const PointHistory::Reading& b) {
                       if (a.as_of != b.as_of) return a.as_of < b.as_of;
                       return order_of(a.meter_id) < order_of(b.meter_id);
                     });
  return ready;
}

}  // namespace

void SqlStore::scan_points(const std::function<void(PointHistory&&)>& visit) {
  auto r = acquire_reader();
  (*r).exec((*r).dialect().begin_snapshot);  // one snapshot for the whole scan
  try {
    // Two cursors in metering-point order, merged: the meters of each point, and the accepted
    // readings of those meters.
    Query meters(*r,
                 "SELECT p.id, a.id, a.number, p.eic, a.electric_heating, m.id, m.serial, m.zones,"
                 " m.digits, m.installed_on, m.removed_on, m.counter_offsets, a.area"
                 " FROM metering_points p JOIN accounts a ON a.id = p.account_id"
                 " JOIN meters m ON m.metering_point_id = p.id ORDER BY p.id, m.installed_on, m.id",
                 Query::Scan{});
    Query readings(*r,
                   "SELECT m.metering_point_id, s.meter_id, s.as_of, s.type, s.u1, s.u2, s.u3,"
                   " s.taken_on FROM meters m JOIN submissions s ON s.meter_id = m.id"
                   " AND s.status = 'accepted' ORDER BY m.metering_point_id, m.id, s.as_of, s.id",
                   Query::Scan{});
    bool reading_ready = readings.step();
    PointHistory current;
    bool have = false;
    auto flush = [&] {
      reading_ready = take_readings(readings, reading_ready, current);
      visit(std::move(current));
    };
    while (meters.step()) {
      std::int64_t point = meters.i64(0);
      if (!have || point != current.point_id) {
        if (have) flush();
        current = PointHistory{};
        current.point_id = point;
        current.account_id = meters.i64(1);
        current.account_number = meters.text(2);
        current.eic = meters.text(3);
        current.electric_heating = meters.i64(4) != 0;
        current.area = meters.text(12);
        have = true;
      }
      PointHistory::Meter m;
      m.id = meters.i64(5);
      m.serial = meters.text(6);
      m.zones = static_cast<int>(meters.i64(7));
      m.digits = static_cast<int>(meters.i64(8));
      m.installed_on = day_of(meters.text(9));
      if (!meters.is_null(10)) m.removed_on = day_of(meters.text(10));
      m.counter_offsets = offsets_of(meters.text(11));
      current.meters.push_back(std::move(m));
    }
    if (have) flush();
  } catch (...) {
    (*r).exec("ROLLBACK");
    throw;
  }
  (*r).exec("COMMIT");
}

std::optional<YearMonth> SqlStore::last_closed_period() {
  auto r = acquire_reader();
  Query q(*r, "SELECT max(period) FROM periods");
  if (!q.step() || q.is_null(0)) return std::nullopt;
  return YearMonth::parse(q.text(0));
}

std::optional<PeriodRow> SqlStore::period(YearMonth m) {
  auto r = acquire_reader();
  Query q(*r, "SELECT closed_at, summary FROM periods WHERE period = ?");
  q.bind(m.str());
  if (!q.step()) return std::nullopt;
  return PeriodRow{m, instant(q.i64(0)), q.text(1)};
}

std::vector<VolumeRow> SqlStore::volumes(YearMonth m) {
  auto r = acquire_reader();
  Query q(*r, "SELECT " VOLUME_COLUMNS
              " WHERE v.period = ? ORDER BY a.number, m.serial, v.chain, v.zone_index");
  q.bind(m.str());
  std::vector<VolumeRow> out;
  while (q.step()) out.push_back(volume_row(q));
  return out;
}

void SqlStore::positions(YearMonth m, const std::function<void(const Position&)>& visit) {
  auto r = acquire_reader();
  Query q(*r,
          "SELECT metering_point_id, chain, zone_index, position, estimated_run"
          " FROM period_volumes WHERE period = ?");
  q.bind(m.str());
  while (q.step())
    visit(Position{q.i64(0), q.i64(1), static_cast<int>(q.i64(2)), q.i64(3),
                   static_cast<int>(q.i64(4))});
}

std::optional<TokenRow> SqlStore::find_token(std::string_view token_hash) {
  auto r = acquire_reader();
  Query q(*r, "SELECT id, role, name, revoked_at FROM api_tokens WHERE token_hash = ?");
  q.bind(token_hash);
  if (!q.step()) return std::nullopt;
  return TokenRow{q.i64(0), q.text(1), q.text(2), !q.is_null(3)};
}

std::vector<TokenRow> SqlStore::tokens() {
  auto r = acquire_reader();
  Query q(*r, "SELECT id, role, name, revoked_at FROM api_tokens ORDER BY id");
  std::vector<TokenRow> out;
  while (q.step()) out.push_back(TokenRow{q.i64(0), q.text(1), q.text(2), !q.is_null(3)});
  return out;
}

std::int64_t SqlStore::inspection_orders(YearMonth m) {
  auto r = acquire_reader();
  Query q(*r, "SELECT count(*) FROM inspection_orders WHERE period = ?");
  q.bind(m.str());
  q.step();
  return q.i64(0);
}

bool SqlStore::healthy() {
  try {
    auto r = acquire_reader();
    Query q(*r, "SELECT 1");
    return q.step();
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace md::store
