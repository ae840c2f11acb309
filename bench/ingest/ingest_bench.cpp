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

#include "domain/eic.hpp"
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

std::string account_of(int i) {
  char b[16];
  std::snprintf(b, sizeof b, "%010d", i + 1);
  return b;
}
std::string serial_of(int i) {
  char b[16];
  std::snprintf(b, sizeof b, "S%07d", i + 1);
  return b;
}

void prepare(const std::string& path) {
  auto store = store::open_store(path);
  store->migrate();
  service::Submissions subs{service::ServiceConfig{}};
  auto now = *domain::parse_instant("2025-01-10T12:00:00");
  auto tx = store->begin_write();
  for (int i = 0; i < accounts; ++i) {
    auto a = tx->insert_account(store::NewAccount{account_of(i), "Bench", "", "", ""}, now);
    char eic[16];
    std::string code;
    for (int bump = 0; code.empty(); ++bump) {
      std::snprintf(eic, sizeof eic, "62Z%012d", i * 10 + bump);
      if (auto c = domain::eic_check_char(eic)) code = std::string(eic) + *c;
    }
    auto p = tx->insert_metering_point(a, code, "");
    tx->insert_meter(p, store::NewMeter{serial_of(i), 1, 5, *domain::parse_date("2025-01-10")});
    service::SubmitRequest r;
    r.channel = "import";
    r.type = "exchange_initial";
    r.account = account_of(i);
    r.meter_serial = serial_of(i);
    r.taken_on = domain::parse_date("2025-01-10");
    r.values = {{"total", "1000"}};
    subs.process(*tx, r, now);
  }
  tx->commit();
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
    r.account = account_of(n % accounts);
    r.meter_serial = serial_of(n % accounts);
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

struct WrkResult {
  double rps = 0;
  long requests = 0, non2xx = 0, errors = 0;
  long p50 = 0, p99 = 0, max = 0;
};

WrkResult run_wrk(int port, const std::string& path, const std::string& script) {
  std::ostringstream cmd;
  cmd << "BENCH_ACCOUNTS=" << accounts << " wrk -t1 -c" << connections << " -d" << duration
      << "s --timeout 10s -s " << script << " http://127.0.0.1:" << port << path << " 2>&1";
  FILE* p = popen(cmd.str().c_str(), "r");
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  pclose(p);
  WrkResult r;
  std::smatch m;
  if (std::regex_search(out, m, std::regex(R"(Requests/sec:\s+([0-9.]+))")))
    r.rps = std::stod(m[1]);
  if (std::regex_search(out, m, std::regex(R"(([0-9]+) requests in)")))
    r.requests = std::stol(m[1]);
  if (std::regex_search(out, m, std::regex(R"(Non-2xx or 3xx responses: ([0-9]+))")))
    r.non2xx = std::stol(m[1]);
  if (std::regex_search(
          out, m,
          std::regex(
              R"(Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+))")))
    r.errors = std::stol(m[1]) + std::stol(m[2]) + std::stol(m[3]) + std::stol(m[4]);
  if (std::regex_search(out, m,
                        std::regex(R"(latency_us p50=([0-9]+) p99=([0-9]+) max=([0-9]+))"))) {
    r.p50 = std::stol(m[1]);
    r.p99 = std::stol(m[2]);
    r.max = std::stol(m[3]);
  }
  if (r.rps == 0) std::fprintf(stderr, "wrk said:\n%s\n", out.c_str());
  return r;
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
  prepare(base);
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
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    freopen(log.c_str(), "w", stdout);
    execl(METERDESK_BINARY, METERDESK_BINARY, "serve", "--db", db.c_str(), "--listen",
          "127.0.0.1:0", "--now", "2025-11-12T10:00:00", static_cast<char*>(nullptr));
    _exit(127);
  }
  int port = 0;
  for (int i = 0; i < 300 && !port; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    auto at = text.find("serving http://127.0.0.1:");
    if (at != std::string::npos) port = std::atoi(text.c_str() + at + 25);
  }
  if (!port) {
    std::fprintf(stderr, "server did not start\n");
    return 1;
  }
  std::string here = std::filesystem::path(METERDESK_WRK_SCRIPT).parent_path().string();
  WrkResult health = run_wrk(port, "/healthz", here + "/healthz.lua");
  WrkResult ingest = run_wrk(port, "/api/v1/readings", METERDESK_WRK_SCRIPT);
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);

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
