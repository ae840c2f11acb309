#include "store/sqlite/sqlite_store.hpp"

namespace md::store {

// Forward-only. A released migration is never edited: add a new one. One long list on purpose:
// the schema's history reads top to bottom, version by version, as it was applied.
const std::vector<Migration>& sqlite_migrations() {
  static const std::vector<Migration> migrations = {
      {1, "accounts, metering points, meters, submissions, audit", R"sql(
CREATE TABLE accounts (
  id          INTEGER PRIMARY KEY,
  number      TEXT NOT NULL UNIQUE,
  holder      TEXT NOT NULL,
  phone       TEXT NOT NULL DEFAULT '',
  email       TEXT NOT NULL DEFAULT '',
  address     TEXT NOT NULL DEFAULT '',
  active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at  INTEGER NOT NULL
);
CREATE INDEX accounts_phone ON accounts(phone);

CREATE TABLE metering_points (
  id          INTEGER PRIMARY KEY,
  account_id  INTEGER NOT NULL REFERENCES accounts(id),
  eic         TEXT NOT NULL UNIQUE,
  address     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX metering_points_account ON metering_points(account_id);

CREATE TABLE meters (
  id                 INTEGER PRIMARY KEY,
  metering_point_id  INTEGER NOT NULL REFERENCES metering_points(id),
  serial             TEXT NOT NULL,
  zones              INTEGER NOT NULL CHECK (zones BETWEEN 1 AND 3),
  digits             INTEGER NOT NULL CHECK (digits BETWEEN 4 AND 8),
  installed_on       TEXT NOT NULL,
  removed_on         TEXT
);
CREATE INDEX meters_serial ON meters(serial);
CREATE INDEX meters_point ON meters(metering_point_id);

-- The exchange act: the old meter's final and the new meter's initial readings are submissions
-- of type exchange_final / exchange_initial; offsets keep each zone's counter continuous.
CREATE TABLE meter_exchanges (
  id                 INTEGER PRIMARY KEY,
  metering_point_id  INTEGER NOT NULL REFERENCES metering_points(id),
  old_meter_id       INTEGER NOT NULL REFERENCES meters(id),
  new_meter_id       INTEGER NOT NULL REFERENCES meters(id),
  exchanged_on       TEXT NOT NULL,
  offsets            TEXT NOT NULL DEFAULT '',
  created_at         INTEGER NOT NULL,
  actor              TEXT NOT NULL
);

-- Append-only: rows are never deleted; only `status` changes, and each change is audited.
-- Instants are Unix seconds (UTC); dates are Kyiv civil dates YYYY-MM-DD.
CREATE TABLE submissions (
  id               INTEGER PRIMARY KEY,
  receipt          TEXT NOT NULL UNIQUE,
  meter_id         INTEGER NOT NULL REFERENCES meters(id),
  account_id       INTEGER NOT NULL REFERENCES accounts(id),
  channel          TEXT NOT NULL,
  idempotency_key  TEXT,
  type             TEXT NOT NULL CHECK (type IN ('customer', 'inspector', 'operator',
                                                 'exchange_final', 'exchange_initial')),
  taken_on         TEXT NOT NULL,
  as_of            INTEGER NOT NULL,
  period           TEXT,
  received_at      INTEGER NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('accepted', 'superseded',
                                                   'rejected_by_operator')),
  flags            TEXT NOT NULL DEFAULT '',
  v1 INTEGER NOT NULL, v2 INTEGER, v3 INTEGER,
  u1 INTEGER NOT NULL, u2 INTEGER, u3 INTEGER,
  raw_input        TEXT NOT NULL,
  actor            TEXT NOT NULL,
  receipt_json     TEXT NOT NULL,
  UNIQUE (channel, idempotency_key)
);
-- Covers the close's scan of every reading (type and counters included): one b-tree per row.
CREATE INDEX submissions_meter ON submissions(meter_id, status, as_of, id, type, u1, u2, u3);
CREATE INDEX submissions_period ON submissions(period, meter_id);

CREATE TRIGGER submissions_no_delete BEFORE DELETE ON submissions
BEGIN SELECT RAISE(ABORT, 'submissions are append-only'); END;
CREATE TRIGGER submissions_immutable BEFORE UPDATE OF id, receipt, meter_id, account_id, channel,
  idempotency_key, type, taken_on, as_of, period, received_at, flags, v1, v2, v3, u1, u2, u3,
  raw_input, actor, receipt_json ON submissions
BEGIN SELECT RAISE(ABORT, 'submissions are append-only: only status may change'); END;
CREATE TRIGGER submissions_status_transition BEFORE UPDATE OF status ON submissions
WHEN OLD.status <> 'accepted' OR NEW.status = 'accepted'
BEGIN SELECT RAISE(ABORT, 'status may only move from accepted'); END;

-- Every attempt and every action, accepted or not (rules.md §12).
CREATE TABLE audit (
  id             INTEGER PRIMARY KEY,
  at             INTEGER NOT NULL,
  actor          TEXT NOT NULL,
  channel        TEXT NOT NULL,
  action         TEXT NOT NULL,
  identity       TEXT NOT NULL,
  raw_input      TEXT NOT NULL,
  result         TEXT NOT NULL,
  reason         TEXT NOT NULL,
  submission_id  INTEGER REFERENCES submissions(id)
);
CREATE INDEX audit_submission ON audit(submission_id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;

-- Flagged readings waiting for an operator; decisions arrive as audit records and status changes.
CREATE TABLE review_items (
  id             INTEGER PRIMARY KEY,
  submission_id  INTEGER NOT NULL UNIQUE REFERENCES submissions(id),
  reason         TEXT NOT NULL,
  created_at     INTEGER NOT NULL
);

-- Closed billing periods (written by the period close).
CREATE TABLE periods (
  period     TEXT PRIMARY KEY,
  closed_at  INTEGER NOT NULL
);
)sql"},
      {2, "period close: volumes, inspection orders, API tokens, meter exchange offsets", R"sql(
-- One row per register chain and closed month (rules.md §8). Written once by the close, never
-- changed: a closed month never changes.
CREATE TABLE period_volumes (
  period             TEXT NOT NULL,
  metering_point_id  INTEGER NOT NULL REFERENCES metering_points(id),
  chain              INTEGER NOT NULL,  -- the first meter of the zone configuration (see §4)
  meter_id           INTEGER NOT NULL REFERENCES meters(id),  -- the meter at the month's end
  zone               TEXT NOT NULL,
  zone_index         INTEGER NOT NULL,
  start_value        INTEGER NOT NULL,  -- the continuous counter
  start_shown        INTEGER NOT NULL,  -- as the meter installed then showed it
  start_kind         TEXT NOT NULL CHECK (start_kind IN ('actual', 'derived', 'estimated', 'installation')),
  end_value          INTEGER NOT NULL,
  end_shown          INTEGER NOT NULL,
  end_kind           TEXT NOT NULL CHECK (end_kind IN ('actual', 'derived', 'estimated')),
  volume             INTEGER NOT NULL CHECK (volume >= 0),
  correction         INTEGER NOT NULL,
  position           INTEGER NOT NULL,
  method             TEXT NOT NULL CHECK (method IN ('actual', 'derived', 'estimated')),
  estimated_run      INTEGER NOT NULL,
  estimate           TEXT NOT NULL DEFAULT '',
  -- The close writes rows in this order: appends to one b-tree, no separate key index.
  PRIMARY KEY (period, metering_point_id, chain, zone_index)
) WITHOUT ROWID;
CREATE TRIGGER period_volumes_immutable BEFORE UPDATE ON period_volumes
BEGIN SELECT RAISE(ABORT, 'a closed period never changes'); END;
CREATE TRIGGER period_volumes_no_delete BEFORE DELETE ON period_volumes
BEGIN SELECT RAISE(ABORT, 'a closed period never changes'); END;

ALTER TABLE periods ADD COLUMN summary TEXT NOT NULL DEFAULT '';
CREATE TRIGGER periods_immutable BEFORE UPDATE ON periods
BEGIN SELECT RAISE(ABORT, 'a closed period never changes'); END;
CREATE TRIGGER periods_no_delete BEFORE DELETE ON periods
BEGIN SELECT RAISE(ABORT, 'a closed period never changes'); END;

CREATE TABLE inspection_orders (
  id                 INTEGER PRIMARY KEY,
  metering_point_id  INTEGER NOT NULL REFERENCES metering_points(id),
  period             TEXT NOT NULL,
  reason             TEXT NOT NULL,
  created_at         INTEGER NOT NULL,
  UNIQUE (metering_point_id, period)
);

-- API tokens: only a hash is kept; the token itself is shown once, when created.
CREATE TABLE api_tokens (
  id          INTEGER PRIMARY KEY,
  token_hash  TEXT NOT NULL UNIQUE,
  role        TEXT NOT NULL CHECK (role IN ('supplier', 'operator', 'supervisor', 'admin')),
  name        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  revoked_at  INTEGER
);

ALTER TABLE accounts ADD COLUMN electric_heating INTEGER NOT NULL DEFAULT 0
  CHECK (electric_heating IN (0, 1));

-- Per zone, what the metering point's counter is ahead of what this meter shows: after an
-- exchange with the same zones the counter continues (rules.md §4). "" means all zero.
ALTER TABLE meters ADD COLUMN counter_offsets TEXT NOT NULL DEFAULT '';
)sql"},
      {3, "request ids in the audit", R"sql(
-- The id of the request an action came with (X-Request-Id): it follows a submission from the
-- channel into the store and the logs.
ALTER TABLE audit ADD COLUMN request_id TEXT NOT NULL DEFAULT '';
)sql"},
      {4, "web: people, sessions, meter photos, review decisions", R"sql(
-- Customers (login = account number) and staff; only argon2id hashes of passwords.
CREATE TABLE users (
  id              INTEGER PRIMARY KEY,
  login           TEXT NOT NULL UNIQUE,
  role            TEXT NOT NULL CHECK (role IN ('customer', 'operator', 'supervisor', 'admin')),
  account_id      INTEGER UNIQUE REFERENCES accounts(id),
  email           TEXT UNIQUE COLLATE NOCASE,
  phone           TEXT NOT NULL DEFAULT '',
  password_hash   TEXT NOT NULL,
  reminders       INTEGER NOT NULL DEFAULT 1 CHECK (reminders IN (0, 1)),
  failed_signins  INTEGER NOT NULL DEFAULT 0,
  locked_until    INTEGER,
  created_at      INTEGER NOT NULL,
  CHECK ((role = 'customer') = (account_id IS NOT NULL))
);
-- Only a hash of the session token is kept: a copy of the database signs nobody in.
CREATE TABLE sessions (
  token_hash  TEXT PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users(id),
  csrf        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE submission_photos (
  submission_id  INTEGER PRIMARY KEY REFERENCES submissions(id),
  content_type   TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
  bytes          BLOB NOT NULL,
  created_at     INTEGER NOT NULL
);
CREATE TRIGGER submission_photos_no_update BEFORE UPDATE ON submission_photos
BEGIN SELECT RAISE(ABORT, 'photos are append-only'); END;
CREATE TRIGGER submission_photos_no_delete BEFORE DELETE ON submission_photos
BEGIN SELECT RAISE(ABORT, 'photos are append-only'); END;
-- An operator's decision on a flagged reading; once made it stays.
ALTER TABLE review_items ADD COLUMN decision TEXT CHECK (decision IN ('accepted', 'rejected'));
ALTER TABLE review_items ADD COLUMN decided_by TEXT;
ALTER TABLE review_items ADD COLUMN decided_at INTEGER;
ALTER TABLE review_items ADD COLUMN decision_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX review_items_pending ON review_items(created_at) WHERE decision IS NULL;
CREATE TRIGGER review_items_decided_once BEFORE UPDATE OF decision ON review_items
WHEN OLD.decision IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a review decision is final'); END;
CREATE INDEX submissions_account ON submissions(account_id, id);
CREATE INDEX submissions_received ON submissions(received_at);
CREATE INDEX audit_identity ON audit(identity);
)sql"},
      {5, "price and coefficient changes", R"sql(
-- Supervisors' changes to prices and zone coefficients (rules.md §10), on top of the configured
-- ones. Append-only: a mistake is corrected by a later change.
CREATE TABLE price_changes (
  id          INTEGER PRIMARY KEY,
  item        TEXT NOT NULL,
  valid_from  TEXT NOT NULL,
  value       INTEGER NOT NULL CHECK (value >= 0),
  actor       TEXT NOT NULL,
  reason      TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE TRIGGER price_changes_no_update BEFORE UPDATE ON price_changes
BEGIN SELECT RAISE(ABORT, 'price changes are append-only'); END;
CREATE TRIGGER price_changes_no_delete BEFORE DELETE ON price_changes
BEGIN SELECT RAISE(ABORT, 'price changes are append-only'); END;
)sql"},
      {6, "messengers: chats, linked accounts, processed updates, the outbox, reminder runs", R"sql(
-- One row per messenger conversation (Telegram chat, Viber user): the dialog's state survives a
-- restart because it lives here, written in the same transaction as what the step did.
CREATE TABLE chats (
  channel     TEXT NOT NULL CHECK (channel IN ('telegram', 'viber')),
  chat_id     TEXT NOT NULL,
  lang        TEXT NOT NULL DEFAULT 'uk',
  state       TEXT NOT NULL DEFAULT '{}',
  reminders   INTEGER NOT NULL DEFAULT 1 CHECK (reminders IN (0, 1)),
  subscribed  INTEGER NOT NULL DEFAULT 1 CHECK (subscribed IN (0, 1)),
  phone       TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (channel, chat_id)
);
CREATE TABLE chat_accounts (
  channel     TEXT NOT NULL,
  chat_id     TEXT NOT NULL,
  account_id  INTEGER NOT NULL REFERENCES accounts(id),
  linked_at   INTEGER NOT NULL,
  PRIMARY KEY (channel, chat_id, account_id),
  FOREIGN KEY (channel, chat_id) REFERENCES chats(channel, chat_id)
);
CREATE INDEX chat_accounts_account ON chat_accounts(account_id);
-- Platforms redeliver; an update is processed once. Rows older than a week are pruned.
CREATE TABLE bot_updates (
  channel      TEXT NOT NULL,
  update_key   TEXT NOT NULL,
  received_at  INTEGER NOT NULL,
  PRIMARY KEY (channel, update_key)
) WITHOUT ROWID;
CREATE INDEX bot_updates_received ON bot_updates(received_at);
-- Every message to a platform: written with what caused it, sent by the outbox worker.
CREATE TABLE outbox (
  id          INTEGER PRIMARY KEY,
  channel     TEXT NOT NULL,
  chat_id     TEXT NOT NULL,
  method      TEXT NOT NULL,
  body        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  not_before  INTEGER NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  sent_at     INTEGER,
  last_error  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_pending ON outbox(not_before, id) WHERE status = 'pending';
-- A reminder round or notice batch happens once: its key is claimed in the transaction that
-- queues its messages.
CREATE TABLE notice_runs (
  kind        TEXT NOT NULL,
  run_key     TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  messages    INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (kind, run_key)
);
-- Phones are stored normalised; a shared contact matches on the subscriber number's last 9 digits.
CREATE INDEX accounts_phone_tail ON accounts(substr(phone, -9)) WHERE phone <> '';
)sql"},
      {7, "attempt counters shared by the nodes", R"sql(
-- Written only on PostgreSQL (several nodes); one SQLite node counts in memory. Kept in both
-- schemas so the versions stay the same.
CREATE TABLE attempt_counts (
  name          TEXT NOT NULL,
  window_start  BIGINT NOT NULL,
  n             INTEGER NOT NULL,
  PRIMARY KEY (name, window_start)
);
)sql"},
      {8, "password reset codes; staff who have left", R"sql(
-- One-time codes an operator gives a person who has forgotten their password (after checking
-- who is calling); only a hash is kept, so a copy of the database resets nobody's password.
CREATE TABLE password_resets (
  code_hash   TEXT PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users(id),
  issued_by   TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  used_at     INTEGER
);
CREATE INDEX password_resets_user ON password_resets(user_id);
-- Staff who have left keep their row (the audit names them) but sign in no more.
ALTER TABLE users ADD COLUMN disabled_at INTEGER;
)sql"},
      {9,
       "indexes: the outbox's queue, chat order and age; staff by role; a month's inspection "
       "orders",
       R"sql(
-- The outbox keeps what it sent; the worker reads the pending messages in order every second, so
-- it walks an index of the pending ones only, not every message ever sent (tests/store/plans_test.cpp).
CREATE INDEX outbox_queue ON outbox(id) WHERE status = 'pending';
CREATE INDEX outbox_chat ON outbox(channel, chat_id, id) WHERE status = 'pending';
-- What it sent is kept outbox.keep_days, then forgotten oldest first.
CREATE INDEX outbox_done ON outbox(sent_at) WHERE status <> 'pending';
-- Staff among the customers' accounts: the last-admin check, the users page.
CREATE INDEX users_role ON users(role);
-- A month's inspection orders (the console's list and count).
CREATE INDEX inspection_orders_period ON inspection_orders(period);
)sql"},
      {10, "the close's covering index of readings carries the day each was taken", R"sql(
-- The blend estimator times rates by the day a reading was taken; the close's scan of every
-- reading stays one b-tree walk.
DROP INDEX submissions_meter;
CREATE INDEX submissions_meter ON submissions(meter_id, status, as_of, id, type, u1, u2, u3,
                                              taken_on);
)sql"},
      {11, "areas of accounts; operators' K_outage per area and month", R"sql(
-- The DSO's area (district) of an account: K_outage and the blend's signal may be set per area.
ALTER TABLE accounts ADD COLUMN area TEXT NOT NULL DEFAULT '';
-- The console lists the areas accounts have: a seek per area, not a read of every account.
CREATE INDEX accounts_area ON accounts(area) WHERE area <> '';
-- K_outage(M) entered by supervisors (NEURC 1603/2022) for one area, or for all ('') over the
-- configured one. Append-only: the latest entry for an area and month counts.
CREATE TABLE outage_coefficients (
  id          INTEGER PRIMARY KEY,
  area        TEXT NOT NULL,
  period      TEXT NOT NULL,
  k_milli     INTEGER NOT NULL CHECK (k_milli BETWEEN 0 AND 1000),
  actor       TEXT NOT NULL,
  reason      TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE TRIGGER outage_coefficients_no_update BEFORE UPDATE ON outage_coefficients
BEGIN SELECT RAISE(ABORT, 'outage coefficients are append-only'); END;
CREATE TRIGGER outage_coefficients_no_delete BEFORE DELETE ON outage_coefficients
BEGIN SELECT RAISE(ABORT, 'outage coefficients are append-only'); END;
)sql"},
      {12, "the installation's secrets (the keys of receipt links and form tokens)", R"sql(
-- Made once by the first node that needs one, then shared by every node of the database. A copy
-- of the database holds them: receipt links and form tokens are as safe as the database is.
-- users.failed_signins and users.locked_until are read and written no more: wrong sign-ins are
-- counted per person and client address (service/people.hpp), not on the person.
CREATE TABLE server_secrets (
  name        TEXT PRIMARY KEY,
  value       TEXT NOT NULL,
  created_at  BIGINT NOT NULL
);
)sql"},
      {13, "the audit's hash chains (tamper evidence)", R"sql(
-- Each record carries its chain, its place in it and SHA-256 of the one before and itself
-- (store/audit_chain.hpp); a chain's head is kept apart and moves in the same transaction.
-- Records from before this version have none: they come before every chained one.
ALTER TABLE audit ADD COLUMN chain TEXT;
ALTER TABLE audit ADD COLUMN seq INTEGER;
ALTER TABLE audit ADD COLUMN hash TEXT;
CREATE INDEX audit_chain ON audit(chain, seq);
CREATE TABLE audit_heads (
  chain  TEXT PRIMARY KEY,
  seq    BIGINT NOT NULL,
  hash   TEXT NOT NULL
);
)sql"},
      {14, "the window at scale: one index less per reading, notices after the answers", R"sql(
-- submissions(period, meter_id): no statement reads through it (tests/store/plans_test.cpp: every
-- read keeps an index without it), and each reading in the window put a page of it in its commit:
-- 7 KiB of WAL and checkpoint per reading at 200,000 accounts (bench/window).
DROP INDEX submissions_period;
-- A notice to many chats (the window's reminders) is bulk: the outbox sends every conversation's
-- answers first, so a customer writing while 100,000 reminders go out is answered at once.
ALTER TABLE outbox ADD COLUMN bulk INTEGER NOT NULL DEFAULT 0;
DROP INDEX outbox_queue;
CREATE INDEX outbox_queue ON outbox(bulk, id) WHERE status = 'pending';
)sql"},
  };
  return migrations;
}

}  // namespace md::store
