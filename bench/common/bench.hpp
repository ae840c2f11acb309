// Shared by the benchmarks: synthetic accounts, starting `meterdesk serve`, running wrk.
#pragma once

#include <libpq-fe.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "domain/eic.hpp"
#include "service/submission.hpp"
#include "store/store.hpp"

namespace md::bench {

inline std::string account_of(int i) {
  char b[16];
  std::snprintf(b, sizeof b, "%010d", i + 1);
  return b;
}
inline std::string serial_of(int i) {
  char b[16];
  std::snprintf(b, sizeof b, "S%07d", i + 1);
  return b;
}

// A valid EIC for metering point i (62Z + 12 digits + its check character).
inline std::string eic_of(int i) {
  for (int bump = 0;; ++bump) {
    char body[16];
    std::snprintf(body, sizeof body, "62Z%012d", i * 10 + bump);
    if (auto c = domain::eic_check_char(body)) return std::string(body) + *c;
  }
}

// `accounts` one-zone, 5-digit meters (account_of(i) / serial_of(i)) installed at 1000 kWh.
inline void prepare_accounts(const std::string& path, int accounts) {
  auto store = store::open_store(path);
  store->migrate();
  service::Submissions subs{service::ServiceConfig{}};
  auto now = *domain::parse_instant("2025-01-10T12:00:00");
  auto tx = store->begin_write();
  for (int i = 0; i < accounts; ++i) {
    auto a = tx->insert_account(store::NewAccount{account_of(i), "Bench", "", "", ""}, now);
    auto p = tx->insert_metering_point(a, eic_of(i), "");
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

struct Server {
  pid_t pid = -1;
  int port = 0;
};

// `meterdesk serve` on an ephemeral port with extra environment; port 0 when it did not start.
inline Server start_server(const std::string& db, const std::string& log, const char* now,
                           const std::map<std::string, std::string>& env = {}) {
  std::fflush(stdout);
  Server s;
  s.pid = fork();
  if (s.pid == 0) {
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    if (!freopen(log.c_str(), "w", stdout)) _exit(126);
    execl(METERDESK_BINARY, METERDESK_BINARY, "serve", "--db", db.c_str(), "--listen",
          "127.0.0.1:0", "--now", now, static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 300 && !s.port; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    auto at = text.find("serving http://127.0.0.1:");
    if (at != std::string::npos) s.port = std::atoi(text.c_str() + at + 25);
  }
  return s;
}

inline void stop_server(const Server& s) {
  kill(s.pid, SIGTERM);
  waitpid(s.pid, nullptr, 0);
}

struct WrkResult {
  double rps = 0;
  long requests = 0, non2xx = 0, errors = 0;
  long p50 = 0, p99 = 0, max = 0;  // microseconds

  // The rate of the requests that were answered 2xx/3xx.
  [[nodiscard]] double ok_rps() const {
    return requests ? rps * static_cast<double>(requests - non2xx) / static_cast<double>(requests)
                    : 0;
  }
  [[nodiscard]] double p50_ms() const { return static_cast<double>(p50) / 1e3; }
  [[nodiscard]] double p99_ms() const { return static_cast<double>(p99) / 1e3; }
};

// wrk -t1 against one path with a Lua script; `env` is prepended to the command (VAR=value ...).
inline WrkResult run_wrk(int port, const std::string& path, const std::string& script,
                         const std::string& env, int connections, int duration) {
  std::ostringstream cmd;
  cmd << env << " wrk -t1 -c" << connections << " -d" << duration << "s --timeout 10s -s " << script
      << " http://127.0.0.1:" << port << path << " 2>&1";
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

// The first column of the first row, by the sqlite3 command-line tool ("" if none).
inline std::string sql_count(const std::string& db, const std::string& sql) {
  std::string cmd = db.starts_with("postgresql://") ? "psql -Atc \"" + sql + "\" '" + db + "'"
                                                    : "sqlite3 '" + db + "' \"" + sql + "\"";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[256];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// A copy of the prepared database: a file for SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL.
inline std::string postgres_copy(const std::string& admin, const std::string& base,
                                 const std::string& name) {
  PGconn* c = PQconnectdb(admin.c_str());
  PQclear(PQexec(c, ("DROP DATABASE IF EXISTS " + name).c_str()));
  PGresult* r = PQexec(c, ("CREATE DATABASE " + name + " TEMPLATE " + base).c_str());
  if (PQresultStatus(r) != PGRES_COMMAND_OK)
    std::fprintf(stderr, "create database %s: %s", name.c_str(), PQresultErrorMessage(r));
  PQclear(r);
  PQfinish(c);
  return admin.substr(0, admin.rfind('/') + 1) + name;
}

}  // namespace md::bench
