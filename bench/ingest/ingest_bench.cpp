// bench/ingest: accepted durable submissions per second over HTTP, beside the two ceilings measured
// in the same run: the HTTP ceiling (GET /healthz of the same server) and the storage ceiling (the
// same rows inserted straight into SQLite, group-committed, synchronous=FULL). Also the in-process
// service rate (validation + store, no HTTP) to show where the time goes.
//
//   bench/ingest/run.sh [--accounts N] [--duration S] [--connections C]
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
    while (!ingestor.submit_async(r, [&](service::SubmitOutcome o) {
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
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    int v = std::atoi(argv[i + 1]);
    if (a == "--accounts")
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

  auto t = Clock::now();
  bench::prepare_accounts(base, accounts);
  std::printf("prepared %d accounts in %.1f s\n", accounts, seconds_since(t));
  auto copy = [&](const std::string& name) {
    std::string path = (dir / name).string();
    std::filesystem::copy_file(base, path);
    return path;
  };

  int rows = std::max(200000, accounts * 4);
  double storage = raw_sqlite_rate(copy("raw.db"), rows);
  std::printf("storage ceiling (raw SQLite, 512 rows/commit, FULL): %.0f rows/s\n", storage);
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

  auto store = store::open_store(db);
  auto counts = store->counts();
  long stored = counts.submissions - accounts;
  double accepted_rps =
      ingest.rps *
      (ingest.requests ? double(ingest.requests - ingest.non2xx) / ingest.requests : 0);

  std::printf("\n%-46s %12s %9s %9s\n", "", "per second", "p50 ms", "p99 ms");
  std::printf("%-46s %12.0f %9.2f %9.2f\n", "HTTP ceiling: GET /healthz", health.rps,
              health.p50 / 1e3, health.p99 / 1e3);
  std::printf("%-46s %12.0f %9.2f %9.2f\n", "accepted durable submissions over HTTP", accepted_rps,
              ingest.p50 / 1e3, ingest.p99 / 1e3);
  std::printf("%-46s %12.0f\n", "service path in-process (no HTTP)", service);
  std::printf("%-46s %12.0f\n", "storage ceiling: raw SQLite group commit", storage);
  std::printf("\nsubmissions: %.1f%% of the HTTP ceiling, %.1f%% of the storage ceiling\n",
              100 * accepted_rps / health.rps, 100 * accepted_rps / storage);
  std::printf(
      "requests %ld, non-2xx %ld, socket errors %ld; rows stored %ld (every 201 is a row)\n",
      ingest.requests, ingest.non2xx, ingest.errors, stored);
  std::printf("wrk -t1 -c%d -d%ds; %d accounts; machine: %u cores\n", connections, duration,
              accounts, std::thread::hardware_concurrency());
  std::filesystem::remove_all(dir);
  // wrk stops counting at the deadline while a few requests are still in flight, so the store may
  // hold slightly more rows than wrk saw answered; it must never hold fewer.
  return ingest.non2xx == 0 && stored >= ingest.requests ? 0 : 1;
}
