// The write transaction, the same SQL on SQLite and PostgreSQL. Over 600 lines on purpose: one
// class whose members share the batch's state (the meters and accepted readings read ahead, the
// readings and audit rows held back for multi-row inserts, the savepoints) and must be read
// together; its plain statements are in bot_writes.cpp and people_writes.cpp.
#include <algorithm>
#include <array>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>
#include <tuple>

#include "store/audit_chain.hpp"
#include "store/sql/rows.hpp"
#include "store/sql/sql_store.hpp"
#include "store/sql/writes.hpp"

namespace md::store {

using namespace detail;

AttemptCounts detail::attempts_on(SqlConn& c, std::string_view name, std::int64_t start,
                                  std::int64_t length) {
  Query q(c,
          "SELECT window_start, n FROM attempt_counts WHERE name = ? AND window_start IN (?, ?)");
  q.bind(name).bind(start).bind(start - length);
  AttemptCounts out;
  while (q.step()) (q.i64(0) == start ? out.current : out.previous) = static_cast<int>(q.i64(1));
  return out;
}

std::optional<MeterRow> detail::find_meter_on(SqlConn& c, std::string_view account,
                                              std::string_view serial, bool lock) {
  static const std::string sql =
      std::string("SELECT ") + kMeterColumns +
      " FROM meters m JOIN metering_points p ON p.id = m.metering_point_id"
      " JOIN accounts a ON a.id = p.account_id"
      " WHERE m.serial = ? AND a.number = ? AND m.removed_on IS NULL";
  static const std::string locking = sql + " FOR UPDATE OF m";
  Query q(c, lock && c.dialect().row_locks ? locking.c_str() : sql.c_str());
  q.bind(serial).bind(account);
  if (!q.step()) return std::nullopt;
  return meter_row(q);
}

namespace {

// A union keeps no order: each part back in its own.
void sort_accepted(WriteTx::Accepted& a) {
  std::sort(a.latest.begin(), a.latest.end(), [](const ReadingRow& x, const ReadingRow& y) {
    return std::tie(x.as_of, x.id) > std::tie(y.as_of, y.id);
  });
  std::sort(a.in_window.begin(), a.in_window.end());
}

// Rows in multi-row INSERTs of a few fixed sizes, each size a statement prepared once: `sql[k]`
// holds kChunks[k] rows. Returns how many rows the statements returned (with RETURNING).
constexpr std::array<std::size_t, 4> kChunks = {64, 16, 4, 1};
using ChunkedSql = std::array<std::string, kChunks.size()>;

ChunkedSql chunked_sql(std::string_view head, std::string_view row, std::string_view tail) {
  ChunkedSql sql;
  for (std::size_t k = 0; k < sql.size(); ++k) {
    sql[k] = head;
    for (std::size_t r = 0; r < kChunks[k]; ++r) (sql[k] += r == 0 ? "" : ", ") += row;
    sql[k] += tail;
  }
  return sql;
}

template <typename Row, typename Bind>
std::size_t insert_chunked(SqlConn& c, const ChunkedSql& sql, const std::vector<Row>& rows,
                           Bind bind) {
  std::size_t i = 0, returned = 0;
  for (std::size_t k = 0; k < kChunks.size(); ++k) {
    for (; rows.size() - i >= kChunks[k]; i += kChunks[k]) {
      Query q(c, sql[k].c_str());
      for (std::size_t r = i; r < i + kChunks[k]; ++r) bind(q, rows[r]);
      while (q.step()) ++returned;
    }
  }
  return returned;
}

// Where each audit record goes in its chain (store/audit_chain.hpp).
struct Link {
  std::int64_t seq = 0;
  std::string hash;
};

// Takes the chain's next links for `rows` and moves its head past them. Where several write
// (PostgreSQL) the head row stays locked to the commit: the audit is the last thing a transaction
// writes, so a transaction holding the lock waits for nothing, and the chain's order is the
// commits' order.
std::vector<Link> link_audit(SqlConn& c, const std::string& chain,
                             const std::vector<AuditEntry>& rows) {
  static const std::string select = "SELECT seq, hash FROM audit_heads WHERE chain = ?";
  static const std::string locking = select + " FOR UPDATE";
  auto read_head = [&]() -> std::optional<Link> {
    Query q(c, c.dialect().row_locks ? locking.c_str() : select.c_str());
    q.bind(chain);
    if (!q.step()) return std::nullopt;
    return Link{q.i64(0), q.text(1)};
  };
  auto head = read_head();
  if (!head) {
    Query(c,
          "INSERT INTO audit_heads (chain, seq, hash) VALUES (?, 0, ?)"
          " ON CONFLICT (chain) DO NOTHING")
        .bind(chain)
        .bind(kAuditGenesis)
        .run();
    head = read_head();
    if (!head) throw StoreError("the audit chain's head cannot be made");
  }
  std::vector<Link> links;
  links.reserve(rows.size());
  for (const AuditEntry& e : rows) {
    head->hash = audit_link(head->hash, chain, ++head->seq, e);
    links.push_back(*head);
  }
  Query(c, "UPDATE audit_heads SET seq = ?, hash = ? WHERE chain = ?")
      .bind(head->seq)
      .bind(head->hash)
      .bind(chain)
      .run();
  return links;
}

void insert_audit(SqlConn& c, const std::string& chain, const std::vector<AuditEntry>& rows,
                  const std::vector<Link>& links) {
  static const ChunkedSql sql = chunked_sql(
      "INSERT INTO audit (at, actor, channel, action, identity, raw_input, result, reason,"
      " submission_id, request_id, chain, seq, hash) VALUES ",
      "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "");
  std::size_t i = 0;
  insert_chunked(c, sql, rows, [&](Query& q, const AuditEntry& e) {
    q.bind(secs(e.at))
        .bind(e.actor)
        .bind(e.channel)
        .bind(e.action)
        .bind(e.identity)
        .bind(e.raw_input)
        .bind(e.result)
        .bind(e.reason)
        .bind(e.submission_id)
        .bind(e.request_id)
        .bind(chain)
        .bind(links[i].seq)
        .bind(links[i].hash);
    ++i;
  });
}

// Rows for COPY … FROM STDIN in the text format: tab between fields, \N for NULL, backslash
// escapes for what would end a field or a row. Named as Query's binds: the same code fills a
// statement's parameters or a row.
class CopyRows {
 public:
  CopyRows& bind(std::string_view v) {
    next();
    for (char c : v) {
      switch (c) {
        case '\\':
          out_ += "\\\\";
          break;
        case '\t':
          out_ += "\\t";
          break;
        case '\n':
          out_ += "\\n";
          break;
        case '\r':
          out_ += "\\r";
          break;
        default:
          out_ += c;
      }
    }
    return *this;
  }
  CopyRows& bind(std::int64_t v) {
    next();
    out_ += std::to_string(v);
    return *this;
  }
  CopyRows& bind_null() {
    next();
    out_ += "\\N";
    return *this;
  }
  void end_row() {
    out_ += '\n';
    first_ = true;
  }
  [[nodiscard]] const std::string& rows() const { return out_; }

 private:
  void next() {
    if (!first_) out_ += '\t';
    first_ = false;
  }
  std::string out_;
  bool first_ = true;
};

#define SUBMISSION_COLUMNS                                                                  \
  "receipt, meter_id, account_id, channel, idempotency_key, type, taken_on, as_of, period," \
  " received_at, status, flags, v1, v2, v3, u1, u2, u3, raw_input, actor, receipt_json"
#define SUBMISSION_VALUES "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"

// A new reading's fields in SUBMISSION_COLUMNS' order, to a statement (Query) or a COPY row.
template <class Sink>
void bind_submission(Sink& out, const NewSubmission& s) {
  out.bind(s.receipt).bind(s.meter_id).bind(s.account_id).bind(s.channel);
  if (s.idempotency_key.empty())
    out.bind_null();
  else
    out.bind(s.idempotency_key);
  out.bind(s.type).bind(day_text(s.taken_on)).bind(secs(s.as_of));
  if (s.period)
    out.bind(s.period->str());
  else
    out.bind_null();
  out.bind(secs(s.received_at)).bind("accepted").bind(join_flags(s.flags));
  for (const auto* values : {&s.values, &s.unwrapped})
    for (std::size_t i = 0; i < 3; ++i) {
      if (i < values->size())
        out.bind((*values)[i]);
      else
        out.bind_null();
    }
  out.bind(s.raw_input).bind(s.actor).bind(s.receipt_json);
}

class SqlWriteTx final : public WriteTx {
 public:
  SqlWriteTx(WriterLock lock, SqlConn& c, std::string audit_chain)
      : lock_(std::move(lock)), c_(c), chain_(std::move(audit_chain)) {
    c_.exec(c_.dialect().begin_write);
  }
  ~SqlWriteTx() override {
    if (!done_) {
      try {
        c_.exec("ROLLBACK");
      } catch (...) {  // nothing more can be done in a destructor; the lock is released
      }
    }
  }

  std::optional<MeterRow> find_meter(std::string_view account, std::string_view serial) override {
    // Locked until the commit where the engine has row locks: two nodes (or writers) taking
    // readings of one meter at once go one after the other, so the second sees the first and
    // supersedes it in the window instead of both staying accepted.
    auto known = meters_.find({std::string(account), std::string(serial)});
    if (known != meters_.end()) return known->second;
    return find_meter_on(conn(), account, serial, true);
  }

  void prefetch(const std::vector<MeterKey>& keys, int limit) override {
    if (!c_.dialect().prefetch) return;
    prefetched_ = true;
    // Keys are sent as JSON; one that is not plain ASCII (no account or serial is) is left to
    // the usual query and its usual answer.
    auto ascii = [](std::string_view s) {
      return std::all_of(s.begin(), s.end(), [](char ch) { return ch > 0; });
    };
    std::vector<std::pair<std::string, std::string>> wanted_keys;
    for (const auto& k : keys)
      if (!k.idempotency_key.empty() && ascii(k.channel) && ascii(k.idempotency_key) &&
          keys_.emplace(std::pair{k.channel, k.idempotency_key}, std::nullopt).second)
        wanted_keys.emplace_back(k.channel, k.idempotency_key);
    if (!wanted_keys.empty()) {
      Query q(c_,
              "SELECT x.* FROM json_array_elements(CAST(? AS json)) e CROSS JOIN LATERAL"
              " (SELECT channel, idempotency_key, receipt_json FROM submissions s"
              " WHERE s.channel = e->>0 AND s.idempotency_key = e->>1) x");
      q.bind(nlohmann::json(wanted_keys).dump());
      while (q.step()) keys_[{q.text(0), q.text(1)}] = q.text(2);
    }
    // Locked in one order (serial, account) on every writer and node, so that two batches never
    // wait for each other.
    std::vector<std::pair<std::string, std::string>> wanted_meters;
    for (const auto& k : keys) {
      if (!ascii(k.account) || !ascii(k.serial)) continue;
      if (meters_.emplace(std::pair{k.account, k.serial}, std::nullopt).second)
        wanted_meters.emplace_back(k.serial, k.account);
    }
    if (wanted_meters.empty()) return;
    std::sort(wanted_meters.begin(), wanted_meters.end());
    // A lookup by index per key (LATERAL … LIMIT 1 keeps the planner from joining whole tables).
    static const std::string meters_sql =
        std::string("SELECT x.* FROM json_array_elements(CAST(? AS json)) e CROSS JOIN LATERAL") +
        " (SELECT " + kMeterColumns +
        " FROM meters m JOIN metering_points p ON p.id = m.metering_point_id"
        " JOIN accounts a ON a.id = p.account_id"
        " WHERE m.serial = e->>0 AND a.number = e->>1 AND m.removed_on IS NULL"
        " LIMIT 1 FOR UPDATE OF m) x";
    {
      Query q(conn(), meters_sql.c_str());
      q.bind(nlohmann::json(wanted_meters).dump());
      while (q.step()) {
        MeterRow m = meter_row(q);
        meters_[{m.account_number, m.serial}] = m;
      }
    }
    nlohmann::json wanted = nlohmann::json::array();
    for (const auto& k : keys) {
      auto m = meters_.find({k.account, k.serial});
      if (m == meters_.end() || !m->second) continue;
      std::string window = k.window ? k.window->str() : std::string();
      if (accepted_.emplace(std::pair{m->second->meter_id, window}, Accepted{}).second)
        wanted.push_back({m->second->meter_id, k.window ? nlohmann::json(window) : nullptr});
    }
    accepted_limit_ = limit;
    if (wanted.empty()) return;
    Query q(conn(),
            "WITH k AS (SELECT (e->>0)::bigint AS meter_id, e->>1 AS win"
            " FROM json_array_elements(CAST(?1 AS json)) e)"
            " SELECT x.*, k.meter_id, coalesce(k.win, '') FROM k CROSS JOIN LATERAL ("
            "(SELECT " READING_COLUMNS
            ", 0 AS w FROM submissions s JOIN meters m ON m.id = s.meter_id"
            " WHERE s.meter_id = k.meter_id AND s.status = 'accepted'"
            " AND (s.period IS NULL OR s.period IS DISTINCT FROM k.win)"
            " ORDER BY s.as_of DESC, s.id DESC LIMIT ?2)"
            " UNION ALL (SELECT " READING_COLUMNS
            ", 1 FROM submissions s"
            " JOIN meters m ON m.id = s.meter_id"
            " WHERE s.meter_id = k.meter_id AND s.period = k.win AND s.status = 'accepted')) x");
    q.bind(wanted.dump()).bind(limit);
    while (q.step()) {
      Accepted& a = accepted_[{q.i64(kReadingColumns + 1), q.text(kReadingColumns + 2)}];
      if (q.i64(kReadingColumns) == 0)
        a.latest.push_back(reading_row(q));
      else
        a.in_window.push_back(q.i64(0));
    }
    for (auto& [key, a] : accepted_) sort_accepted(a);
  }

  std::optional<std::string> find_replay(std::string_view channel, std::string_view key) override {
    // Read in advance as used (or used in this batch). One read as unused is asked again: the
    // question comes when an insert found it taken after all.
    auto known = keys_.find({std::string(channel), std::string(key)});
    if (known != keys_.end() && known->second) return known->second;
    Query q(conn(),
            "SELECT receipt_json FROM submissions WHERE channel = ? AND idempotency_key = ?");
    q.bind(channel).bind(key);
    if (!q.step()) return std::nullopt;
    return q.text(0);
  }

  Accepted accepted_readings(std::int64_t meter_id, int limit,
                             std::optional<YearMonth> window) override {
    auto known = accepted_.find({meter_id, window ? window->str() : std::string()});
    if (known != accepted_.end() && limit <= accepted_limit_) {
      Accepted a = known->second;
      if (a.latest.size() > static_cast<std::size_t>(limit)) a.latest.resize(limit);
      return a;
    }
    Query q(conn(), "SELECT * FROM (SELECT " READING_COLUMNS
                    ", 0 AS w"
                    " FROM submissions s JOIN meters m ON m.id = s.meter_id"
                    " WHERE s.meter_id = ?1 AND s.status = 'accepted'"
                    " AND (s.period IS NULL OR s.period IS DISTINCT FROM ?2)"
                    " ORDER BY s.as_of DESC, s.id DESC LIMIT ?3) latest"
                    " UNION ALL SELECT " READING_COLUMNS
                    ", 1"
                    " FROM submissions s JOIN meters m ON m.id = s.meter_id"
                    " WHERE s.meter_id = ?1 AND s.period = ?2 AND s.status = 'accepted'");
    q.bind(meter_id);
    if (window)
      q.bind(window->str());
    else
      q.bind_null();
    q.bind(limit);
    Accepted out;
    while (q.step()) {
      if (q.i64(kReadingColumns) == 0)
        out.latest.push_back(reading_row(q));
      else
        out.in_window.push_back(q.i64(0));
    }
    sort_accepted(out);
    return out;
  }

  std::optional<YearMonth> last_closed_period() override {
    // Asked for every submission; only a close in this transaction changes it.
    if (last_closed_) return *last_closed_;
    Query q(conn(), "SELECT max(period) FROM periods");
    last_closed_.emplace();
    if (q.step() && !q.is_null(0)) *last_closed_ = YearMonth::parse(q.text(0));
    return *last_closed_;
  }

  std::int64_t insert_submission(const NewSubmission& s) override {
    std::erase_if(accepted_, [&](const auto& a) { return a.first.first == s.meter_id; });
    if (auto id = defer(s)) return *id;
    Query q(conn(), "INSERT INTO submissions (" SUBMISSION_COLUMNS ") VALUES (" SUBMISSION_VALUES
                    ")"
                    // A taken receipt or idempotency key is not an error of the statement: on
                    // PostgreSQL that would abort the whole group commit, which goes on.
                    " ON CONFLICT DO NOTHING RETURNING id");
    bind_submission(q, s);
    if (q.step()) {
      std::int64_t id = q.i64(0);
      q.run();
      // Only a batch read in advance asks keys_ before the database; elsewhere it would only
      // grow (an import of millions of readings is one transaction).
      if (prefetched_ && !s.idempotency_key.empty())
        keys_[{s.channel, s.idempotency_key}] = s.receipt_json;
      return id;
    }
    Query taken(conn(), "SELECT 1 FROM submissions WHERE receipt = ?");
    taken.bind(s.receipt);
    throw taken.step() ? ConflictError(Conflict::receipt, "receipt id taken")
                       : ConflictError(Conflict::idempotency, "idempotency key used");
  }

  void change_status(std::int64_t id, std::string_view to, const AuditEntry& why) override {
    std::erase_if(accepted_, [&](const auto& a) {
      const Accepted& r = a.second;
      return std::ranges::find(r.in_window, id) != r.in_window.end() ||
             std::ranges::any_of(r.latest, [&](const ReadingRow& x) { return x.id == id; });
    });
    Query q(conn(), "UPDATE submissions SET status = ? WHERE id = ?");
    q.bind(to).bind(id);
    q.run();
    if (q.changes() != 1) throw StoreError("no submission " + std::to_string(id));
    AuditEntry e = why;
    e.submission_id = id;
    append_audit(e);
  }

  void append_audit(const AuditEntry& e) override { audit_.push_back(e); }

  void add_review_item(std::int64_t submission_id, std::string_view reason, Instant at) override {
    Query q(conn(),
            "INSERT INTO review_items (submission_id, reason, created_at) VALUES (?, ?, ?)");
    q.bind(submission_id).bind(reason).bind(secs(at));
    q.run();
  }

  std::optional<std::int64_t> find_account(std::string_view number) override {
    Query q(conn(), "SELECT id FROM accounts WHERE number = ?");
    q.bind(number);
    if (!q.step()) return std::nullopt;
    return q.i64(0);
  }

  std::int64_t insert_account(const NewAccount& a, Instant now) override {
    meters_.clear();  // what find_meter answers may change
    Query q(conn(),
            "INSERT INTO accounts (number, holder, phone, email, address, area, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id");
    q.bind(a.number).bind(a.holder).bind(a.phone).bind(a.email).bind(a.address).bind(a.area);
    q.bind(secs(now));
    return returning_id(q);
  }

  std::int64_t insert_metering_point(std::int64_t account_id, std::string_view eic,
                                     std::string_view address) override {
    meters_.clear();  // what find_meter answers may change
    Query q(conn(),
            "INSERT INTO metering_points (account_id, eic, address) VALUES (?, ?, ?) RETURNING id");
    q.bind(account_id).bind(eic).bind(address);
    return returning_id(q);
  }

  std::int64_t insert_meter(std::int64_t point_id, const NewMeter& m) override {
    meters_.clear();  // what find_meter answers may change
    Query q(conn(),
            "INSERT INTO meters (metering_point_id, serial, zones, digits, installed_on,"
            " counter_offsets) VALUES (?, ?, ?, ?, ?, ?) RETURNING id");
    q.bind(point_id).bind(m.serial).bind(m.zones).bind(m.digits).bind(day_text(m.installed_on));
    q.bind(offsets_text(m.counter_offsets));
    return returning_id(q);
  }

  bool eic_exists(std::string_view eic) override {
    Query q(conn(), "SELECT 1 FROM metering_points WHERE eic = ?");
    q.bind(eic);
    return q.step();
  }

  void remove_meter(std::int64_t meter_id, Day removed_on) override {
    meters_.clear();  // what find_meter answers may change
    Query q(conn(), "UPDATE meters SET removed_on = ? WHERE id = ? AND removed_on IS NULL");
    q.bind(day_text(removed_on)).bind(meter_id);
    q.run();
    if (q.changes() != 1) throw StoreError("the meter is not installed");
  }

  void insert_exchange(const NewExchange& e, Instant at) override {
    meters_.clear();  // what find_meter answers may change
    Query q(conn(),
            "INSERT INTO meter_exchanges (metering_point_id, old_meter_id, new_meter_id,"
            " exchanged_on, offsets, created_at, actor) VALUES (?, ?, ?, ?, ?, ?, ?)");
    q.bind(e.point_id).bind(e.old_meter_id).bind(e.new_meter_id).bind(day_text(e.exchanged_on));
    q.bind(offsets_text(e.offsets)).bind(secs(at)).bind(e.actor);
    q.run();
  }

  void insert_volume(const VolumeRow& v) override {
    Query q(conn(),
            "INSERT INTO period_volumes (period, metering_point_id, chain, meter_id, zone,"
            " zone_index, start_value, start_shown, start_kind, end_value, end_shown, end_kind,"
            " volume, correction, position, method, estimated_run, estimate)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.bind(v.period.str()).bind(v.point_id).bind(v.chain).bind(v.meter_id).bind(v.zone);
    q.bind(v.zone_index).bind(v.start_value).bind(v.start_shown).bind(v.start_kind);
    q.bind(v.end_value).bind(v.end_shown).bind(v.end_kind).bind(v.volume);
    q.bind(v.correction).bind(v.position).bind(v.method).bind(v.estimated_run).bind(v.estimate);
    q.run();
  }

  // Each statement execution has a fixed cost (program start, cursors for the table and the
  // foreign-key parents) larger than the row itself: 64 rows per statement amortize it.
  void insert_volumes(const std::vector<VolumeRow>& rows) override {
    if (c_.dialect().prefetch) return copy_volumes(rows);
    constexpr size_t kRows = 64;
    static const std::string batch_sql = [] {
      std::string sql =
          "INSERT INTO period_volumes (period, metering_point_id, chain, meter_id, zone,"
          " zone_index, start_value, start_shown, start_kind, end_value, end_shown, end_kind,"
          " volume, correction, position, method, estimated_run, estimate) VALUES ";
      for (size_t i = 0; i < kRows; ++i)
        sql += std::string(i ? "," : "") + "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
      return sql;
    }();
    size_t i = 0;
    for (; i + kRows <= rows.size(); i += kRows) {
      Query q(conn(), batch_sql.c_str());
      std::vector<std::string> periods;  // alive until the statement has run
      periods.reserve(kRows);
      for (size_t k = i; k < i + kRows; ++k) {
        const VolumeRow& v = rows[k];
        periods.push_back(v.period.str());
        q.bind_static(periods.back()).bind(v.point_id).bind(v.chain).bind(v.meter_id);
        q.bind_static(v.zone).bind(v.zone_index).bind(v.start_value).bind(v.start_shown);
        q.bind_static(v.start_kind).bind(v.end_value).bind(v.end_shown).bind_static(v.end_kind);
        q.bind(v.volume).bind(v.correction).bind(v.position).bind_static(v.method);
        q.bind(v.estimated_run).bind_static(v.estimate);
      }
      q.run();
    }
    for (; i < rows.size(); ++i) insert_volume(rows[i]);
  }

  // Where a statement is a round trip (PostgreSQL): COPY, a few thousand rows at a time.
  void copy_volumes(const std::vector<VolumeRow>& rows) {
    constexpr std::size_t kPart = 8192;
    SqlConn& c = conn();
    for (std::size_t from = 0; from < rows.size(); from += kPart) {
      CopyRows copy;
      for (std::size_t i = from; i < std::min(rows.size(), from + kPart); ++i) {
        const VolumeRow& v = rows[i];
        copy.bind(v.period.str()).bind(v.point_id).bind(v.chain).bind(v.meter_id);
        copy.bind(v.zone).bind(v.zone_index).bind(v.start_value).bind(v.start_shown);
        copy.bind(v.start_kind).bind(v.end_value).bind(v.end_shown).bind(v.end_kind);
        copy.bind(v.volume).bind(v.correction).bind(v.position).bind(v.method);
        copy.bind(v.estimated_run).bind(v.estimate).end_row();
      }
      c.copy_in(
          "COPY period_volumes (period, metering_point_id, chain, meter_id, zone, zone_index,"
          " start_value, start_shown, start_kind, end_value, end_shown, end_kind, volume,"
          " correction, position, method, estimated_run, estimate) FROM STDIN",
          copy.rows());
    }
  }

  void insert_period(YearMonth period, Instant closed_at, std::string_view summary) override {
    Query q(conn(), "INSERT INTO periods (period, closed_at, summary) VALUES (?, ?, ?)");
    q.bind(period.str()).bind(secs(closed_at)).bind(summary);
    q.run();
    last_closed_.reset();
  }

  void insert_inspection_order(std::int64_t point_id, YearMonth period, std::string_view reason,
                               Instant at) override {
    Query q(conn(),
            "INSERT INTO inspection_orders (metering_point_id, period, reason, created_at)"
            " VALUES (?, ?, ?, ?)");
    q.bind(point_id).bind(period.str()).bind(reason).bind(secs(at));
    q.run();
  }

  void insert_token(std::string_view token_hash, std::string_view role, std::string_view name,
                    Instant at) override {
    Query q(conn(),
            "INSERT INTO api_tokens (token_hash, role, name, created_at) VALUES (?, ?, ?, ?)");
    q.bind(token_hash).bind(role).bind(name).bind(secs(at));
    q.run();
  }

  void insert_photo(std::int64_t submission_id, const Photo& photo, Instant at) override {
    people::insert_photo(conn(), submission_id, photo, at);
  }
  std::int64_t insert_user(const NewUser& u, Instant at) override {
    return people::insert_user(conn(), u, at);
  }
  void set_password(std::int64_t user_id, std::string_view hash) override {
    people::set_password(conn(), user_id, hash);
  }
  void set_disabled(std::int64_t user_id, std::optional<Instant> at) override {
    people::set_disabled(conn(), user_id, at);
  }
  void set_role(std::int64_t user_id, std::string_view role) override {
    people::set_role(conn(), user_id, role);
  }
  int lock_active_admins() override { return people::lock_active_admins(conn()); }
  void set_reminders(std::int64_t user_id, bool on) override {
    people::set_reminders(conn(), user_id, on);
  }
  void set_contact(std::int64_t user_id, std::string_view email, std::string_view phone) override {
    people::set_contact(conn(), user_id, email, phone);
  }
  void insert_session(std::string_view token_hash, const SessionRow& s, Instant at) override {
    people::insert_session(conn(), token_hash, s, at);
  }
  std::string keep_secret(std::string_view name, std::string_view candidate, Instant at) override {
    return people::keep_secret(conn(), name, candidate, at);
  }
  void delete_session(std::string_view token_hash) override {
    people::delete_session(conn(), token_hash);
  }
  void delete_sessions_of(std::int64_t user_id) override {
    people::delete_sessions_of(conn(), user_id);
  }
  void insert_password_reset(std::string_view code_hash, std::int64_t user_id,
                             std::string_view issued_by, Instant at, Instant expires_at) override {
    people::insert_password_reset(conn(), code_hash, user_id, issued_by, at, expires_at);
  }
  void expire_password_resets(std::int64_t user_id, Instant at) override {
    people::expire_password_resets(conn(), user_id, at);
  }
  bool use_password_reset(std::string_view code_hash, std::int64_t user_id, Instant at) override {
    return people::use_password_reset(conn(), code_hash, user_id, at);
  }
  bool decide_review(std::int64_t submission_id, std::string_view decision, std::string_view actor,
                     std::string_view reason, Instant at) override {
    return people::decide_review(conn(), submission_id, decision, actor, reason, at);
  }
  void insert_price_change(const domain::PriceChange& c, std::string_view actor,
                           std::string_view reason, Instant at) override {
    people::insert_price_change(conn(), c, actor, reason, at);
  }
  void insert_outage_coefficient(const OutageCoefficientRow& row) override {
    people::insert_outage_coefficient(conn(), row);
  }
  bool revoke_token(std::int64_t id, Instant at) override {
    return people::revoke_token(conn(), id, at);
  }
  bool record_update(std::string_view channel, std::string_view key, Instant at) override {
    return bots::record_update(conn(), channel, key, at);
  }
  std::optional<ChatRow> chat(std::string_view channel, std::string_view chat_id) override {
    return bots::chat(conn(), channel, chat_id);
  }
  void save_chat(const ChatRow& r, Instant at) override { bots::save_chat(conn(), r, at); }
  std::vector<std::string> chat_accounts(std::string_view channel,
                                         std::string_view chat_id) override {
    return bots::chat_accounts(conn(), channel, chat_id);
  }
  void link_account(std::string_view channel, std::string_view chat_id, std::int64_t account_id,
                    Instant at) override {
    bots::link_account(conn(), channel, chat_id, account_id, at);
  }
  void unlink_account(std::string_view channel, std::string_view chat_id,
                      std::int64_t account_id) override {
    bots::unlink_account(conn(), channel, chat_id, account_id);
  }
  std::int64_t enqueue(const OutboxMessage& m, Instant at) override {
    return bots::enqueue(conn(), m, at);
  }
  bool claim_run(std::string_view kind, std::string_view key, std::int64_t messages,
                 Instant at) override {
    return bots::claim_run(conn(), kind, key, messages, at);
  }
  void outbox_sent(std::int64_t id, Instant at) override { bots::outbox_sent(conn(), id, at); }
  void outbox_retry(std::int64_t id, int attempts, Instant not_before,
                    std::string_view error) override {
    bots::outbox_retry(conn(), id, attempts, not_before, error);
  }
  void outbox_failed(std::int64_t id, int attempts, std::string_view error, Instant at) override {
    bots::outbox_failed(conn(), id, attempts, error, at);
  }
  void outbox_forget_body(std::int64_t id) override { bots::outbox_forget_body(conn(), id); }
  std::int64_t prune_updates(Instant before) override {
    return bots::prune_updates(conn(), before);
  }
  std::int64_t prune_outbox(Instant done_before) override {
    return bots::prune_outbox(conn(), done_before);
  }
  AttemptCounts attempts(std::string_view name, std::int64_t start, std::int64_t length) override {
    return attempts_on(conn(), name, start, length);
  }
  bool count_attempt(std::string_view name, std::int64_t start, int below) override {
    return attempts::count(conn(), name, start, below);
  }
  std::int64_t prune_attempts(std::int64_t before) override {
    return attempts::prune(conn(), before);
  }

  // Audit rows are held back to the commit (the chain's head is locked only then); a rollback
  // to the savepoint drops those that came after it.
  void savepoint() override {
    flush_submissions();
    Query(c_, "SAVEPOINT item").run();
    ++savepoints_;
    audit_marks_.push_back(audit_.size());
  }
  void release() override {
    Query(conn(), "RELEASE item").run();
    --savepoints_;
    audit_marks_.pop_back();
  }
  void rollback_to() override {
    audit_.resize(audit_marks_.back());
    audit_marks_.pop_back();
    pending_.clear();
    last_closed_.reset();
    meters_.clear();
    accepted_.clear();
    keys_.clear();
    --savepoints_;
    Query(c_, "ROLLBACK TO item").run();
    Query(c_, "RELEASE item").run();
  }
  void flush() override {
    flush_submissions();
    if (audit_.empty() || savepoints_ > 0) return;
    const std::vector<Link> links = link_audit(c_, chain_, audit_);
    if (c_.dialect().prefetch) {
      // Where a statement is a round trip: one COPY for all, as the readings.
      CopyRows rows;
      for (std::size_t i = 0; i < audit_.size(); ++i) {
        const AuditEntry& e = audit_[i];
        rows.bind(secs(e.at)).bind(e.actor).bind(e.channel).bind(e.action).bind(e.identity);
        rows.bind(e.raw_input).bind(e.result).bind(e.reason);
        if (e.submission_id)
          rows.bind(*e.submission_id);
        else
          rows.bind_null();
        rows.bind(e.request_id).bind(chain_).bind(links[i].seq).bind(links[i].hash).end_row();
      }
      c_.copy_in(
          "COPY audit (at, actor, channel, action, identity, raw_input, result, reason,"
          " submission_id, request_id, chain, seq, hash) FROM STDIN",
          rows.rows());
    } else {
      insert_audit(c_, chain_, audit_, links);
    }
    audit_.clear();
  }
  void commit() override {
    flush();
    c_.exec("COMMIT");
    done_ = true;
  }

 private:
  // The connection for a statement: the readings held back are written first, so that every
  // statement sees them (and rows referring to them find them).
  SqlConn& conn() {
    flush_submissions();
    return c_;
  }

  // Where a statement is a round trip (PostgreSQL) and this batch's keys were read in advance, a
  // reading is held back and written with the others in multi-row inserts, its id taken from
  // the sequence beforehand. nullopt: write it now.
  std::optional<std::int64_t> defer(const NewSubmission& s) {
    if (!prefetched_ || savepoints_ > 0) return std::nullopt;
    if (!s.idempotency_key.empty()) {
      auto used = keys_.find({s.channel, s.idempotency_key});
      if (used == keys_.end()) return std::nullopt;  // not read in advance: ask the database
      if (used->second) throw ConflictError(Conflict::idempotency, "idempotency key used");
    }
    // Taken per transaction, after its meters are locked: a meter's later reading then always has
    // the higher id, which orders readings with the same as-of instant (a pool kept between
    // transactions broke that: a later reading could get an older, lower id).
    if (ids_.empty()) {
      Query q(c_,
              "SELECT nextval(pg_get_serial_sequence('submissions', 'id'))"
              " FROM generate_series(1, 64)");
      while (q.step()) ids_.push_back(q.i64(0));
      std::reverse(ids_.begin(), ids_.end());
    }
    const std::int64_t id = ids_.back();
    ids_.pop_back();
    pending_.push_back({id, s});
    if (!s.idempotency_key.empty()) keys_[{s.channel, s.idempotency_key}] = s.receipt_json;
    return id;
  }

  // Held back only on PostgreSQL: the rows go in one COPY however many.
  void flush_submissions() {
    if (pending_.empty()) return;
    std::vector<std::pair<std::int64_t, NewSubmission>> rows;
    rows.swap(pending_);
    CopyRows copy;
    for (const auto& [id, s] : rows) {
      copy.bind(id);
      bind_submission(copy, s);
      copy.end_row();
    }
    // A receipt id taken twice, or a key stored by another node since the batch began, fails the
    // COPY (and the transaction): the caller writes the batch again, each reading on its own.
    c_.copy_in("COPY submissions (id, " SUBMISSION_COLUMNS ") FROM STDIN", copy.rows());
  }

  WriterLock lock_;
  SqlConn& c_;
  bool done_ = false;
  std::vector<AuditEntry> audit_;         // appended, not yet written
  std::vector<std::size_t> audit_marks_;  // audit_'s size at each savepoint
  const std::string chain_;
  std::vector<std::pair<std::int64_t, NewSubmission>> pending_;  // held back, with their ids
  std::vector<std::int64_t> ids_;                                // taken from the sequence
  int savepoints_ = 0;
  bool prefetched_ = false;  // a batch's keys were read in advance: its readings may be held back
  // Idempotency keys read in advance: the stored answer, or nullopt when the key is unused.
  std::map<std::pair<std::string, std::string>, std::optional<std::string>> keys_;
  // Read in advance (prefetch), kept true by this transaction's writes.
  std::map<std::pair<std::string, std::string>, std::optional<MeterRow>> meters_;
  std::map<std::pair<std::int64_t, std::string>, Accepted> accepted_;  // meter, window ("" none)
  int accepted_limit_ = 0;
  std::optional<std::optional<YearMonth>> last_closed_;
};

}  // namespace

std::unique_ptr<WriteTx> make_write_tx(WriterLock lock, SqlConn& c, std::string audit_chain) {
  return std::make_unique<SqlWriteTx>(std::move(lock), c, std::move(audit_chain));
}

}  // namespace md::store
