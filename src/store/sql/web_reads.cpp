// The store's reads for the web pages: accounts, people, sessions, reviews, statistics.
#include <algorithm>

#include "store/sql/rows.hpp"
#include "store/sql/sql_store.hpp"

namespace md::store {

using namespace detail;

namespace {

constexpr const char* kAccountColumns =
    "a.id, a.number, a.holder, a.phone, a.email, a.address, a.active, a.electric_heating";

AccountRow account_row(Query& q) {
  return AccountRow{q.i64(0),  q.text(1), q.text(2),     q.text(3),
                    q.text(4), q.text(5), q.i64(6) != 0, q.i64(7) != 0};
}

constexpr const char* kUserColumns =
    "id, login, role, account_id, email, phone, password_hash, reminders, disabled_at";

UserRow user_row(Query& q) {
  UserRow u;
  u.id = q.i64(0);
  u.login = q.text(1);
  u.role = q.text(2);
  if (!q.is_null(3)) u.account_id = q.i64(3);
  u.email = q.text(4);
  u.phone = q.text(5);
  u.password_hash = q.text(6);
  u.reminders = q.i64(7) != 0;
  if (!q.is_null(8)) u.disabled_at = instant(q.i64(8));
  return u;
}

// LIKE with the user's text taken literally.
std::string like_escaped(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::optional<AccountRow> SqlStore::account(std::string_view number) {
  auto r = acquire_reader();
  static const std::string sql =
      std::string("SELECT ") + kAccountColumns + " FROM accounts a WHERE a.number = ?";
  Query q(*r, sql.c_str());
  q.bind(number);
  if (!q.step()) return std::nullopt;
  return account_row(q);
}

std::optional<AccountRow> SqlStore::account_by_id(std::int64_t id) {
  auto r = acquire_reader();
  static const std::string sql =
      std::string("SELECT ") + kAccountColumns + " FROM accounts a WHERE a.id = ?";
  Query q(*r, sql.c_str());
  q.bind(id);
  if (!q.step()) return std::nullopt;
  return account_row(q);
}

std::vector<AccountRow> SqlStore::search_accounts(std::string_view query, int limit) {
  auto r = acquire_reader();
  std::vector<AccountRow> out;
  // What an operator types most: a whole account number, EIC, serial or phone, each found through
  // its index. Only when none is a match does the search read every account for a part of a
  // number, a phone or an address (one query with both kinds read every account even for an
  // exact number: 2.5 s on 1,000,000; bench/search/run.sh).
  static const std::string exact =
      std::string("SELECT ") + kAccountColumns +
      " FROM accounts a WHERE a.id IN (SELECT id FROM accounts WHERE number = ?1"
      " UNION SELECT account_id FROM metering_points WHERE eic = upper(?1)"
      " UNION SELECT p.account_id FROM meters m JOIN metering_points p"
      " ON p.id = m.metering_point_id WHERE m.serial = ?1"
      " UNION SELECT id FROM accounts WHERE phone = ?1 AND phone <> '')"
      // Sorted once found (as inspection_order_list): not a walk of every number for the LIMIT.
      " ORDER BY a.number || '' LIMIT ?2";
  Query q(*r, exact.c_str());
  q.bind(query).bind(limit);
  while (q.step()) out.push_back(account_row(q));
  const auto characters = std::count_if(query.begin(), query.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  });
  if (!out.empty() || characters < 3) return out;
  static const std::string part =
      std::string("SELECT ") + kAccountColumns +
      " FROM accounts a WHERE a.number LIKE ?1 ESCAPE '\\' OR a.phone LIKE ?1 ESCAPE '\\'"
      " OR a.address LIKE ?2 ESCAPE '\\' OR a.id IN (SELECT account_id FROM metering_points"
      " WHERE address LIKE ?2 ESCAPE '\\') ORDER BY a.number LIMIT ?3";
  Query like(*r, part.c_str());
  std::string escaped = like_escaped(query);
  like.bind(escaped + "%").bind("%" + escaped + "%").bind(limit);
  while (like.step()) out.push_back(account_row(like));
  return out;
}

std::vector<MeterRow> SqlStore::account_meters(std::int64_t account_id) {
  auto r = acquire_reader();
  static const std::string sql =
      std::string("SELECT ") + kMeterColumns +
      " FROM meters m JOIN metering_points p ON p.id = m.metering_point_id"
      " JOIN accounts a ON a.id = p.account_id"
      " WHERE a.id = ? AND m.removed_on IS NULL ORDER BY p.id, m.id";
  Query q(*r, sql.c_str());
  q.bind(account_id);
  std::vector<MeterRow> out;
  while (q.step()) out.push_back(meter_row(q));
  return out;
}

std::vector<ReadingRow> SqlStore::account_readings(std::int64_t account_id, int limit) {
  auto r = acquire_reader();
  Query q(*r, "SELECT " READING_COLUMNS
              ", CASE WHEN ri.submission_id IS NULL THEN ''"
              " WHEN ri.decision IS NULL THEN 'pending' ELSE ri.decision END,"
              " coalesce(ri.decision_reason, ''), ph.submission_id IS NOT NULL"
              " FROM submissions s JOIN meters m ON m.id = s.meter_id"
              " LEFT JOIN review_items ri ON ri.submission_id = s.id"
              " LEFT JOIN submission_photos ph ON ph.submission_id = s.id"
              " WHERE s.account_id = ? ORDER BY s.id DESC LIMIT ?");
  q.bind(account_id).bind(limit);
  std::vector<ReadingRow> out;
  while (q.step()) {
    auto row = reading_row(q);
    row.review = q.text(19);
    row.review_reason = q.text(20);
    row.has_photo = q.i64(21) != 0;
    out.push_back(std::move(row));
  }
  return out;
}

std::vector<VolumeRow> SqlStore::account_volumes(std::int64_t account_id) {
  auto r = acquire_reader();
  // The volumes' key starts with the period: naming the periods (every volume's period is closed)
  // and the account's points lets both engines seek each month of each point, where a join from
  // the account walked every volume of every month (tests/store/plans_test.cpp).
  Query q(*r, "SELECT " VOLUME_COLUMNS
              " WHERE v.period IN (SELECT period FROM periods)"
              " AND v.metering_point_id IN (SELECT id FROM metering_points WHERE account_id = ?)"
              " ORDER BY v.period, p.id, v.chain, v.zone_index");
  q.bind(account_id);
  std::vector<VolumeRow> out;
  while (q.step()) out.push_back(volume_row(q));
  return out;
}

std::vector<AuditRow> SqlStore::account_audit(std::int64_t account_id, int limit) {
  auto r = acquire_reader();
  // Attempts name the account in `identity` ("account=N" or "account=N serial=S": the range below
  // takes both, through the index); stored ones link the submission. The parentheses matter on
  // PostgreSQL: ~<~ binds as tightly as ||. The inner LIMIT keeps PostgreSQL from merging the
  // ids with a walk down the whole primary key.
  const char* sql = dialect_sql((*r).dialect(), [](const Dialect& d) {
    return std::string(
               "SELECT id, at, actor, channel, action, identity, raw_input, result, reason,"
               " submission_id, request_id FROM audit WHERE id IN (SELECT id FROM ("
               "  SELECT au.id FROM audit au JOIN submissions s ON s.id = au.submission_id"
               "  WHERE s.account_id = ?1"
               "  UNION SELECT au.id FROM audit au, accounts a"
               "  WHERE a.id = ?1 AND au.submission_id IS NULL AND au.identity ") +
           d.bytes_ge + " ('account=' || a.number) AND au.identity " + d.bytes_lt +
           " ('account=' || a.number || '!')) u ORDER BY id DESC LIMIT ?2) ORDER BY id DESC"
           " LIMIT ?2";
  });
  Query q(*r, sql);
  q.bind(account_id).bind(limit);
  std::vector<AuditRow> out;
  while (q.step()) out.push_back(audit_row(q));
  return out;
}

AuditPage SqlStore::search_audit(const AuditQuery& query) {
  auto r = acquire_reader();
  AuditPage page;
  std::int64_t before = query.before_id;
  if (before <= 0) {
    Query top(*r, "SELECT max(id) FROM audit");
    if (!top.step() || top.is_null(0)) return page;
    before = top.i64(0) + 1;
  }
  // What a record was about narrows the search through the identity index, to the end. Else
  // each page walks the primary key down through the ids [before - window, before): the audit is
  // append-only, so its ids are dense but for a rolled-back insert's gap.
  static constexpr const char* kColumns =
      "SELECT id, at, actor, channel, action, identity, raw_input, result, reason,"
      " submission_id, request_id FROM audit WHERE ";
  static constexpr const char* kFilters =
      " AND (?3 = '' OR actor IN ('customer:' || ?3, 'operator:' || ?3, 'supervisor:' || ?3,"
      " 'admin:' || ?3)) AND (?4 = '' OR action = ?4)";
  // `+id`: not the primary key, which SQLite would otherwise walk through the whole table.
  const char* by_identity = dialect_sql((*r).dialect(), [](const Dialect& d) {
    return std::string(kColumns) + "identity " + d.bytes_ge + " ?2 AND identity " + d.bytes_lt +
           " (?2 || '!') AND +id < ?1" + kFilters + " ORDER BY +id DESC LIMIT ?5";
  });
  static const std::string by_window =
      std::string(kColumns) + "id < ?1 AND id >= ?2" + kFilters + " ORDER BY id DESC LIMIT ?5";
  const bool about = !query.identity_prefix.empty();
  const std::int64_t floor = std::max<std::int64_t>(0, before - query.window);
  Query q(*r, about ? by_identity : by_window.c_str());
  q.bind(before);
  if (about)
    q.bind(query.identity_prefix);
  else
    q.bind(floor);
  q.bind(query.who).bind(query.action).bind(query.limit + 1);
  while (q.step()) page.rows.push_back(audit_row(q));
  if (static_cast<int>(page.rows.size()) > query.limit) {
    page.rows.pop_back();
    page.next_before = page.rows.back().id;
  } else if (!about && floor > 0) {
    // The window ran out: the next page starts at the newest record below it, if there is one.
    Query older(*r, "SELECT max(id) FROM audit WHERE id < ?");
    older.bind(floor);
    if (older.step() && !older.is_null(0)) page.next_before = older.i64(0) + 1;
  }
  return page;
}

std::optional<UserRow> SqlStore::find_user(std::string_view login_or_email) {
  auto r = acquire_reader();
  static const std::string sql = std::string("SELECT ") + kUserColumns +
                                 " FROM users WHERE login = ?1 OR email = ?1 ORDER BY id LIMIT 1";
  Query q(*r, sql.c_str());
  q.bind(login_or_email);
  if (!q.step()) return std::nullopt;
  return user_row(q);
}

std::optional<UserRow> SqlStore::user_by_id(std::int64_t id) {
  auto r = acquire_reader();
  static const std::string sql = std::string("SELECT ") + kUserColumns + " FROM users WHERE id = ?";
  Query q(*r, sql.c_str());
  q.bind(id);
  if (!q.step()) return std::nullopt;
  return user_row(q);
}

std::vector<UserRow> SqlStore::staff_users() {
  auto r = acquire_reader();
  static const std::string sql =
      std::string("SELECT ") + kUserColumns +
      " FROM users WHERE role IN ('operator', 'supervisor', 'admin') ORDER BY login";
  Query q(*r, sql.c_str());
  std::vector<UserRow> out;
  while (q.step()) out.push_back(user_row(q));
  return out;
}

std::optional<SessionRow> SqlStore::find_session(std::string_view token_hash) {
  auto r = acquire_reader();
  Query q(*r, "SELECT user_id, csrf, expires_at FROM sessions WHERE token_hash = ?");
  q.bind(token_hash);
  if (!q.step()) return std::nullopt;
  return SessionRow{q.i64(0), q.text(1), instant(q.i64(2))};
}

std::optional<Photo> SqlStore::photo(std::int64_t submission_id) {
  auto r = acquire_reader();
  Query q(*r, "SELECT content_type, bytes FROM submission_photos WHERE submission_id = ?");
  q.bind(submission_id);
  if (!q.step()) return std::nullopt;
  return Photo{q.text(0), q.text(1)};
}

std::optional<std::string> SqlStore::receipt_json(std::string_view receipt) {
  auto r = acquire_reader();
  Query q(*r, "SELECT receipt_json FROM submissions WHERE receipt = ?");
  q.bind(receipt);
  if (!q.step()) return std::nullopt;
  return q.text(0);
}

std::vector<ReviewRow> SqlStore::review_queue(int limit) {
  auto r = acquire_reader();
  Query q(*r, "SELECT " READING_COLUMNS
              ", a.number, ri.reason, ri.created_at, ph.submission_id IS NOT NULL"
              " FROM review_items ri JOIN submissions s ON s.id = ri.submission_id"
              " JOIN meters m ON m.id = s.meter_id JOIN accounts a ON a.id = s.account_id"
              " LEFT JOIN submission_photos ph ON ph.submission_id = s.id"
              " WHERE ri.decision IS NULL ORDER BY ri.created_at, ri.id LIMIT ?");
  q.bind(limit);
  std::vector<ReviewRow> out;
  while (q.step()) {
    ReviewRow row;
    row.reading = reading_row(q);
    row.account_number = q.text(19);
    row.reason = q.text(20);
    row.created_at = instant(q.i64(21));
    row.reading.has_photo = q.i64(22) != 0;
    row.reading.review = "pending";
    out.push_back(std::move(row));
  }
  for (auto& row : out) {
    Query prev(*r, "SELECT " READING_COLUMNS
                   " FROM submissions s JOIN meters m ON m.id = s.meter_id"
                   " WHERE s.meter_id = ? AND s.status = 'accepted' AND s.as_of < ?"
                   " ORDER BY s.as_of DESC, s.id DESC LIMIT 2");
    prev.bind(row.reading.meter_id).bind(secs(row.reading.as_of));
    while (prev.step()) row.earlier.push_back(reading_row(prev));
  }
  return out;
}

std::vector<ChannelHour> SqlStore::channel_hours(Instant from, Instant to) {
  auto r = acquire_reader();
  Query q(*r,
          "SELECT received_at / 3600 * 3600, channel, count(*) FROM submissions"
          " WHERE received_at >= ? AND received_at < ? GROUP BY 1, 2 ORDER BY 1, 2");
  q.bind(secs(from)).bind(secs(to));
  std::vector<ChannelHour> out;
  while (q.step()) out.push_back(ChannelHour{instant(q.i64(0)), q.text(1), q.i64(2)});
  return out;
}

std::vector<InspectionOrderRow> SqlStore::inspection_order_list(YearMonth m, int limit) {
  auto r = acquire_reader();
  Query q(*r,
          "SELECT o.period, a.number, p.eic, p.address, o.reason, o.created_at,"
          " (SELECT min(s.received_at) FROM submissions s JOIN meters m ON m.id = s.meter_id"
          "  WHERE m.metering_point_id = p.id AND s.type = 'inspector'"
          "  AND s.received_at >= o.created_at)"
          " FROM inspection_orders o JOIN metering_points p ON p.id = o.metering_point_id"
          " JOIN accounts a ON a.id = p.account_id WHERE o.period = ?"
          // Sorted after the month's orders are found: ordered by the bare column, PostgreSQL
          // may walk every account in number order looking for the orders to fill the LIMIT.
          " ORDER BY a.number || '' LIMIT ?");
  q.bind(m.str()).bind(limit);
  std::vector<InspectionOrderRow> out;
  while (q.step()) {
    InspectionOrderRow row{YearMonth::parse(q.text(0)).value_or(YearMonth{}),
                           q.text(1),
                           q.text(2),
                           q.text(3),
                           q.text(4),
                           instant(q.i64(5)),
                           std::nullopt};
    if (!q.is_null(6)) row.inspected_at = instant(q.i64(6));
    out.push_back(std::move(row));
  }
  return out;
}

std::vector<PriceChangeRow> SqlStore::price_changes() {
  auto r = acquire_reader();
  Query q(*r,
          "SELECT item, valid_from, value, actor, reason, created_at FROM price_changes"
          " ORDER BY id");
  std::vector<PriceChangeRow> out;
  while (q.step())
    out.push_back(PriceChangeRow{domain::PriceChange{day_of(q.text(1)), q.text(0), q.i64(2)},
                                 q.text(3), q.text(4), instant(q.i64(5))});
  return out;
}

std::vector<OutageCoefficientRow> SqlStore::outage_coefficients() {
  auto r = acquire_reader();
  Query q(*r,
          "SELECT area, period, k_milli, actor, reason, created_at FROM outage_coefficients"
          " ORDER BY id");
  std::vector<OutageCoefficientRow> out;
  while (q.step()) {
    auto period = domain::YearMonth::parse(q.text(1));
    out.push_back(OutageCoefficientRow{q.text(0), period.value_or(domain::YearMonth{}),
                                       static_cast<int>(q.i64(2)), q.text(3), q.text(4),
                                       instant(q.i64(5))});
  }
  return out;
}

std::vector<std::string> SqlStore::account_areas() {
  auto r = acquire_reader();
  // One index seek per area (a skip scan): a DSO has tens of areas and a million accounts.
  Query q(*r,
          "WITH RECURSIVE a(area) AS (SELECT min(area) FROM accounts WHERE area <> ''"
          " UNION ALL SELECT (SELECT min(area) FROM accounts WHERE area <> '' AND area > a.area)"
          " FROM a WHERE a.area IS NOT NULL) SELECT area FROM a WHERE area IS NOT NULL");
  std::vector<std::string> out;
  while (q.step()) out.push_back(q.text(0));
  return out;
}

namespace {
std::vector<AuditHead> heads_on(SqlConn& c) {
  Query q(c, "SELECT chain, seq, hash FROM audit_heads ORDER BY chain");
  std::vector<AuditHead> out;
  while (q.step()) out.push_back(AuditHead{q.text(0), q.i64(1), q.text(2)});
  return out;
}
}  // namespace

std::vector<AuditHead> SqlStore::audit_heads() {
  auto r = acquire_reader();
  return heads_on(*r);
}

AuditChains SqlStore::scan_audit_chains(const std::function<void(const ChainedAuditRow&)>& visit) {
  auto r = acquire_reader();
  (*r).exec((*r).dialect().begin_snapshot);  // the heads and the records as of one moment
  AuditChains out;
  try {
    out.heads = heads_on(*r);
    {
      Query before(*r,
                   "SELECT count(*), coalesce(max(id), 0),"
                   " (SELECT coalesce(min(id), 0) FROM audit WHERE chain IS NOT NULL)"
                   " FROM audit WHERE chain IS NULL");
      before.step();
      out.unchained = before.i64(0);
      out.last_unchained_id = before.i64(1);
      out.first_chained_id = before.i64(2);
    }
    Query q(*r,
            "SELECT id, at, actor, channel, action, identity, raw_input, result, reason,"
            " submission_id, request_id, chain, seq, hash FROM audit WHERE chain IS NOT NULL"
            " ORDER BY chain, seq, id",
            Query::Scan{});
    while (q.step()) {
      ChainedAuditRow row;
      static_cast<AuditRow&>(row) = audit_row(q);
      row.chain = q.text(11);
      row.seq = q.is_null(12) ? 0 : q.i64(12);
      row.hash = q.text(13);
      visit(row);
    }
  } catch (...) {
    (*r).exec("ROLLBACK");
    throw;
  }
  (*r).exec("COMMIT");
  return out;
}

}  // namespace md::store
