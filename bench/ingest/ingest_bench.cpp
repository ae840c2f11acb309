// bench/ingest: accepted durable submissions per second over HTTP, beside the two ceilings measured
// in the same run: the HTTP ceiling (GET /healthz of the same server) and the storage ceiling (the
// same rows inserted straight into the database, group-committed and durable: SQLite
// synchronous=FULL, or PostgreSQL synchronous_commit=on through a libpq pipeline). Also the
// in-process service rate (validation + store, no HTTP) to show where the time goes.
//
//   bench/ingest/run.sh [--accounts N] [--duration S] [--connections C]
//   bench/ingest/run.sh --db postgresql://postgres@127.0.0.1:55432/postgres   (a cluster where
//       this may create databases; scripts/pg-test.sh start gives one)
#include <libpq-fe.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "bench/common/bench.hpp"
#include "service/ingestor.hpp"
#include "service/submission.hpp"
#include "store/store.hpp"

using namespace md;
using Clock = std::chrono::steady_clock;

namespace {

int accounts = 20000, duration = 10, connections = 64;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// The storage ceiling: the same submission rows, no validation, 512 per transaction.
double raw_sqlite_rate(const std::string& path, int rows) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO submissions (receipt, meter_id, account_id, channel,"
                     " idempotency_key, type, taken_on, as_of, period, received_at, status, flags,"
                     " v1, u1, raw_input, actor, receipt_json) VALUES (?, ?, ?, 'api', ?,"
                     " 'customer', '2025-11-12', 1762984800, NULL, 1762934400, 'accepted',"
                     " 'off_cycle', ?, ?, ?, 'customer', ?)",
                     -1, &ins, nullptr);
  sqlite3_stmt* audit = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO audit (at, actor, channel, action, identity, raw_input, result,"
                     " reason, submission_id) VALUES (1762934400, 'customer', 'api', 'submit', ?,"
                     " ?, 'accepted', '', ?)",
                     -1, &audit, nullptr);
  std::string body =
      R"({"account":"0000000001","meter_serial":"S0000001","readings":{"total":2001}})";
  std::string receipt_json(330, 'x');
  auto start = Clock::now();
  for (int n = 0; n < rows;) {
    sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    for (int k = 0; k < 512 && n < rows; ++k, ++n) {
      char receipt[16], key[32];
      std::snprintf(receipt, sizeof receipt, "R-%04X-%04X", (n * 2654435761u) >> 16 & 0xffff,
                    n & 0xffff);
      std::snprintf(key, sizeof key, "raw-%d", n);
      int meter = n % accounts + 1;
      sqlite3_bind_text(ins, 1, receipt, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int(ins, 2, meter);
      sqlite3_bind_int(ins, 3, meter);
      sqlite3_bind_text(ins, 4, key, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int(ins, 5, 2000 + n / accounts);
      sqlite3_bind_int(ins, 6, 2000 + n / accounts);
      sqlite3_bind_text(ins, 7, body.c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_text(ins, 8, receipt_json.c_str(), -1, SQLITE_STATIC);
      if (sqlite3_step(ins) != SQLITE_DONE)
        std::fprintf(stderr, "raw insert: %s\n", sqlite3_errmsg(db));
      sqlite3_reset(ins);
      sqlite3_bind_text(audit, 1, "account= serial=", -1, SQLITE_STATIC);
      sqlite3_bind_text(audit, 2, body.c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_int64(audit, 3, sqlite3_last_insert_rowid(db));
      sqlite3_step(audit);
      sqlite3_reset(audit);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  double rate = rows / seconds_since(start);
  sqlite3_finalize(ins);
  sqlite3_finalize(audit);
  sqlite3_close(db);
  return rate;
}

PGconn* raw_connect(const std::string& url) {
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) == CONNECTION_OK) return c;
  std::fprintf(stderr, "raw postgres: %s", PQerrorMessage(c));
  PQfinish(c);
  return nullptr;
}

// The same rows into PostgreSQL through a libpq pipeline, 512 per transaction: the most one
// connection can store, with synchronous_commit on.
double raw_postgres_rate(const std::string& url, int rows) {
  PGconn* c = raw_connect(url);
  if (!c) return 0;
  PQclear(PQprepare(c, "ins",
                    "WITH s AS (INSERT INTO submissions (receipt, meter_id, account_id, channel,"
                    " idempotency_key, type, taken_on, as_of, period, received_at, status, flags,"
                    " v1, u1, raw_input, actor, receipt_json) VALUES ($1, $2, $2, 'api', $3,"
                    " 'customer', '2025-11-12', 1762984800, NULL, 1762934400, 'accepted',"
                    " 'off_cycle', $4, $4, $5, 'customer', $6) RETURNING id)"
                    " INSERT INTO audit (at, actor, channel, action, identity, raw_input, result,"
                    " reason, submission_id) SELECT 1762934400, 'customer', 'api', 'submit',"
                    " 'account= serial=', $5, 'accepted', '', id FROM s",
                    6, nullptr));
  std::string body =
      R"({"account":"0000000001","meter_serial":"S0000001","readings":{"total":2001}})";
  std::string receipt_json(330, 'x');
  PQenterPipelineMode(c);
  auto start = Clock::now();
  int failed = 0;
  for (int n = 0; n < rows;) {
    PQsendQueryParams(c, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0);
    int batch = 0;
    for (; batch < 512 && n < rows; ++batch, ++n) {
      char receipt[16], key[32], meter[16], value[16];
      std::snprintf(receipt, sizeof receipt, "R-%04X-%04X", (n * 2654435761u) >> 16 & 0xffff,
                    n & 0xffff);
      std::snprintf(key, sizeof key, "raw-%d", n);
      std::snprintf(meter, sizeof meter, "%d", n % accounts + 1);
      std::snprintf(value, sizeof value, "%d", 2000 + n / accounts);
      const char* params[] = {receipt, meter, key, value, body.c_str(), receipt_json.c_str()};
      PQsendQueryPrepared(c, "ins", 6, params, nullptr, nullptr, 0);
    }
    PQsendQueryParams(c, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0);
    PQpipelineSync(c);
    for (int results = 0; results < batch + 3;) {  // BEGIN, the inserts, COMMIT, the sync
      PGresult* r = PQgetResult(c);
      if (!r) continue;  // the end of one query's results
      auto st = PQresultStatus(r);
      if (st == PGRES_FATAL_ERROR && failed++ < 3)
        std::fprintf(stderr, "raw postgres: %s", PQresultErrorMessage(r));
      PQclear(r);
      ++results;
    }
  }
  double rate = rows / seconds_since(start);
  PQexitPipelineMode(c);
  PQfinish(c);
  return failed ? 0 : rate;
}

// The same rows as raw_postgres_rate, as meterdesk now writes a batch: one COPY of readings (ids
// chosen here, far above the sequence) and one of their audit rows, 512 per commit.
double raw_postgres_copy_rate(const std::string& url, int rows) {
  PGconn* c = raw_connect(url);
  if (!c) return 0;
  const std::string body =
      R"({"account":"0000000001","meter_serial":"S0000001","readings":{"total":2001}})";
  const std::string receipt_json(330, 'x');
  auto ok = [&](PGresult* r, ExecStatusType want) {
    bool good = PQresultStatus(r) == want;
    if (!good) std::fprintf(stderr, "raw postgres copy: %s", PQresultErrorMessage(r));
    PQclear(r);
    return good;
  };
  auto copy = [&](const char* sql, const std::string& data) {
    if (!ok(PQexec(c, sql), PGRES_COPY_IN)) return false;
    PQputCopyData(c, data.data(), static_cast<int>(data.size()));
    PQputCopyEnd(c, nullptr);
    return ok(PQgetResult(c), PGRES_COMMAND_OK);
  };
  auto start = Clock::now();
  bool good = true;
  for (int n = 0; n < rows && good;) {
    std::string readings, audit;
    char line[1024];
    for (int batch = 0; batch < 512 && n < rows; ++batch, ++n) {
      const long id = 100000000L + n;
      const int meter = n % accounts + 1, value = 2000 + n / accounts;
      std::snprintf(line, sizeof line,
                    "%ld\tR-%04X-%04X\t%d\t%d\tapi\trawcopy-%d\tcustomer\t2025-11-12\t1762984800\t"
                    "\\N\t1762934400\taccepted\toff_cycle\t%d\t%d\t",
                    id, (n * 2654435761u) >> 16 & 0xffff, n & 0xffff, meter, meter, n, value,
                    value);
      readings += line + body + "\tcustomer\t" + receipt_json + "\n";
      std::snprintf(line, sizeof line,
                    "1762934400\tcustomer\tapi\tsubmit\taccount= serial=\t%s\taccepted\t\t%ld\n",
                    body.c_str(), id);
      audit += line;
    }
    good = ok(PQexec(c, "BEGIN"), PGRES_COMMAND_OK) &&
           copy(
               "COPY submissions (id, receipt, meter_id, account_id, channel, idempotency_key,"
               " type, taken_on, as_of, period, received_at, status, flags, v1, u1, raw_input,"
               " actor, receipt_json) FROM STDIN",
               readings) &&
           copy(
               "COPY audit (at, actor, channel, action, identity, raw_input, result, reason,"
               " submission_id) FROM STDIN",
               audit) &&
           ok(PQexec(c, "COMMIT"), PGRES_COMMAND_OK);
  }
  double rate = rows / seconds_since(start);
  PQfinish(c);
  return good ? rate : 0;
}

// The service path without HTTP: validation, idempotency, receipts, audit, group commit.
double service_rate(const std::string& path, int rows) {
  auto store = store::open_store(path);
  service::Submissions subs{service::ServiceConfig{}};
  service::Clock clock{*domain::parse_instant("2025-11-12T10:00:00")};
  service::Ingestor ingestor(*store, subs, clock, nullptr,
                             service::IngestOptions{512, static_cast<std::size_t>(rows) + 1});
  std::atomic<int> done{0};
  auto start = Clock::now();
  for (int n = 0; n < rows; ++n) {
    service::SubmitRequest r;
    r.channel = "api";
    r.idempotency_key = "svc-" + std::to_string(n);
    r.account = bench::account_of(n % accounts);
    r.meter_serial = bench::serial_of(n % accounts);
    r.values = {{"total", std::to_string(2000 + n / accounts)}};
    r.raw_input = "{}";
    while (!ingestor.submit_async(r, [&](const service::SubmitOutcome& o) {
      if (o.status != service::SubmitOutcome::Status::accepted)
        std::fprintf(stderr, "service: %s\n", std::string(service::status_name(o.status)).c_str());
      ++done;
    }))
      std::this_thread::yield();
  }
  while (done.load() < rows) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  double rate = rows / seconds_since(start);
  ingestor.stop();
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);  // each line as it comes, also into a pipe
  std::string postgres;  // the admin URL of a cluster: bench PostgreSQL instead of SQLite
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    int v = std::atoi(argv[i + 1]);
    if (a == "--db")
      postgres = argv[i + 1];
    else if (a == "--accounts")
      accounts = v;
    else if (a == "--duration")
      duration = v;
    else if (a == "--connections")
      connections = v;
  }
  auto dir =
      std::filesystem::temp_directory_path() / ("meterdesk-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string base = (dir / "base.db").string();

  if (!postgres.empty()) base = bench::postgres_copy(postgres, "template0", "bench_base");

  auto t = Clock::now();
  bench::prepare_accounts(base, accounts);
  std::printf("prepared %d accounts in %.1f s\n", accounts, seconds_since(t));
  auto copy = [&](const std::string& name) {
    if (!postgres.empty())
      return bench::postgres_copy(postgres, "bench_base",
                                  "bench_" + name.substr(0, name.find('.')));
    std::string path = (dir / name).string();
    std::filesystem::copy_file(base, path);
    return path;
  };

  int rows = std::max(200000, accounts * 4);
  const char* engine = postgres.empty() ? "SQLite" : "PostgreSQL";
  double storage = postgres.empty() ? raw_sqlite_rate(copy("raw.db"), rows)
                                    : raw_postgres_rate(copy("raw.db"), rows);
  std::printf("storage ceiling (raw %s, 512 rows/commit, durable): %.0f rows/s\n", engine, storage);
  double copied = 0;
  if (!postgres.empty()) {
    copied = raw_postgres_copy_rate(copy("rawcopy.db"), rows);
    std::printf("raw PostgreSQL COPY (512 rows/commit, one connection): %.0f rows/s\n", copied);
  }
  double service = service_rate(copy("service.db"), rows);
  std::printf("service path in-process (no HTTP):                 %.0f submissions/s\n", service);

  if (std::getenv("BENCH_SKIP_HTTP")) return 0;
  std::string db = copy("http.db");
  std::string log = (dir / "serve.log").string();
  auto server = bench::start_server(db, log, "2025-11-12T10:00:00");
  int port = server.port;
  if (!port) {
    std::fprintf(stderr, "server did not start\n");
    return 1;
  }
  std::string here = std::filesystem::path(METERDESK_WRK_SCRIPT).parent_path().string();
  const std::string env = "BENCH_ACCOUNTS=" + std::to_string(accounts);
  auto health = bench::run_wrk(port, "/healthz", here + "/healthz.lua", env, connections, duration);
  auto ingest =
      bench::run_wrk(port, "/api/v1/readings", METERDESK_WRK_SCRIPT, env, connections, duration);
  bench::stop_server(server);

  // Closed before the directory goes: its checkpointer thread would write the WAL again.
  const long stored = store::open_store(db)->counts().submissions - accounts;
  double accepted_rps = ingest.ok_rps();

  std::printf("\n%-46s %12s %9s %9s\n", "", "per second", "p50 ms", "p99 ms");
  std::printf("%-46s %12.0f %9.2f %9.2f\n", "HTTP ceiling: GET /healthz", health.rps,
              health.p50_ms(), health.p99_ms());
  std::printf("%-46s %12.0f %9.2f %9.2f\n", "accepted durable submissions over HTTP", accepted_rps,
              ingest.p50_ms(), ingest.p99_ms());
  std::printf("%-46s %12.0f\n", "service path in-process (no HTTP)", service);
  std::printf("%-46s %12.0f\n",
              (std::string("storage ceiling: raw ") + engine + " group commit").c_str(), storage);
  if (copied > 0) std::printf("%-46s %12.0f\n", "raw PostgreSQL COPY, one connection", copied);
  std::printf("\nsubmissions: %.1f%% of the HTTP ceiling, %.1f%% of the storage ceiling\n",
              100 * accepted_rps / health.rps, 100 * accepted_rps / std::max(storage, copied));
  std::printf(
      "requests %ld, non-2xx %ld, socket errors %ld; rows stored %ld (every 201 is a row)\n",
      ingest.requests, ingest.non2xx, ingest.errors, stored);
  std::printf("wrk -t1 -c%d -d%ds; %d accounts; machine: %u cores\n", connections, duration,
              accounts, std::thread::hardware_concurrency());
  std::error_code ignored;  // a leftover temporary directory is no reason to lose the result
  std::filesystem::remove_all(dir, ignored);
  std::fflush(stdout);
  // wrk stops counting at the deadline while a few requests are still in flight, so the store may
  // hold slightly more rows than wrk saw answered; it must never hold fewer.
  return ingest.non2xx == 0 && stored >= ingest.requests ? 0 : 1;
}
