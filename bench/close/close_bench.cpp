// bench/close: close one month for N metering points (default 1,000,000; half of them two-zone)
// with 24 months of history on SQLite, and report time and peak memory per close.
//
//   bench/close/run.sh [--points N] [--db PATH] [--pg ADMIN_URL] [--method blend]
// The database is generated once (bulk SQL, indexes built afterwards) and kept for later runs.
// With --pg (e.g. postgresql://postgres@127.0.0.1:55432/postgres) that history is copied once
// into the database bench_close_<N> of that cluster and each close runs on a copy of it there.
#include <libpq-fe.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "service/period_close.hpp"
#include "store/store.hpp"

using namespace md;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::fprintf(stderr, "%s: %s\n", sql, err);
    std::exit(1);
  }
}

void generate(const std::string& path, int points, domain::YearMonth first,
              domain::YearMonth last) {
  store::open_store(path)->migrate();
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  exec(db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -1000000");
  // Load without the submissions indexes, then build them as the schema defines them.
  std::vector<std::string> indexes, names;
  {
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db,
                       "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                       " AND tbl_name = 'submissions' AND sql IS NOT NULL",
                       -1, &q, nullptr);
    while (sqlite3_step(q) == SQLITE_ROW) {
      names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)));
      indexes.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q, 1)));
    }
    sqlite3_finalize(q);
  }
  for (const auto& name : names) exec(db, ("DROP INDEX " + name).c_str());
  exec(db, "BEGIN");
  sqlite3_stmt *acc, *pt, *mt, *sub;
  sqlite3_prepare_v2(
      db, "INSERT INTO accounts (id, number, holder, created_at) VALUES (?, ?, 'Bench', 0)", -1,
      &acc, nullptr);
  sqlite3_prepare_v2(db, "INSERT INTO metering_points (id, account_id, eic) VALUES (?, ?, ?)", -1,
                     &pt, nullptr);
  sqlite3_prepare_v2(db,
                     "INSERT INTO meters (id, metering_point_id, serial, zones, digits, "
                     "installed_on) VALUES (?, ?, ?, ?, 6, ?)",
                     -1, &mt, nullptr);
  sqlite3_prepare_v2(
      db,
      "INSERT INTO submissions (receipt, meter_id, account_id, channel, type, taken_on,"
      " as_of, period, received_at, status, v1, v2, u1, u2, raw_input, actor, receipt_json)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'accepted', ?, ?, ?, ?, '', 'bench', '{}')",
      -1, &sub, nullptr);
  std::mt19937_64 rng(42);
  std::int64_t receipt = 0;
  const domain::Day installed = first.first_day() + date::days{4};
  const std::string installed_text = domain::format_date(installed);
  auto t = Clock::now();
  for (int i = 1; i <= points; ++i) {
    char number[16], eic[20], serial[16], rid[16];
    std::snprintf(number, sizeof number, "%010d", i);
    std::snprintf(eic, sizeof eic, "62Z%012dX", i);  // the bench skips EIC validation
    std::snprintf(serial, sizeof serial, "B%07d", i);
    int zones = i % 2 ? 1 : 2;
    sqlite3_bind_int(acc, 1, i);
    sqlite3_bind_text(acc, 2, number, -1, SQLITE_TRANSIENT);
    sqlite3_step(acc);
    sqlite3_reset(acc);
    sqlite3_bind_int(pt, 1, i);
    sqlite3_bind_int(pt, 2, i);
    sqlite3_bind_text(pt, 3, eic, -1, SQLITE_TRANSIENT);
    sqlite3_step(pt);
    sqlite3_reset(pt);
    sqlite3_bind_int(mt, 1, i);
    sqlite3_bind_int(mt, 2, i);
    sqlite3_bind_text(mt, 3, serial, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(mt, 4, zones);
    sqlite3_bind_text(mt, 5, installed_text.c_str(), -1, SQLITE_STATIC);
    sqlite3_step(mt);
    sqlite3_reset(mt);
    double base = std::uniform_real_distribution<>(3, 15)(rng);
    double counter[2] = {static_cast<double>(rng() % 500000), static_cast<double>(rng() % 300000)};
    auto add = [&](domain::Day taken, domain::Instant as_of, const char* type,
                   std::optional<domain::YearMonth> period) {
      std::snprintf(rid, sizeof rid, "R-%04llX-%04llX",
                    static_cast<unsigned long long>(receipt >> 16),
                    static_cast<unsigned long long>(receipt & 0xffff));
      ++receipt;
      std::string taken_text = domain::format_date(taken);
      sqlite3_bind_text(sub, 1, rid, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int(sub, 2, i);
      sqlite3_bind_int(sub, 3, i);
      sqlite3_bind_text(sub, 4, period ? "telegram" : "import", -1, SQLITE_STATIC);
      sqlite3_bind_text(sub, 5, type, -1, SQLITE_STATIC);
      sqlite3_bind_text(sub, 6, taken_text.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(sub, 7, as_of.time_since_epoch().count());
      if (period)
        sqlite3_bind_text(sub, 8, period->str().c_str(), -1, SQLITE_TRANSIENT);
      else
        sqlite3_bind_null(sub, 8);
      sqlite3_bind_int64(sub, 9, as_of.time_since_epoch().count());
      for (int z = 0; z < 2; ++z) {
        if (z < zones) {
          auto u = static_cast<std::int64_t>(counter[z]);
          sqlite3_bind_int64(sub, 10 + z, u % 1000000);
          sqlite3_bind_int64(sub, 12 + z, u);
        } else {
          sqlite3_bind_null(sub, 10 + z);
          sqlite3_bind_null(sub, 12 + z);
        }
      }
      if (sqlite3_step(sub) != SQLITE_DONE) {
        std::fprintf(stderr, "insert: %s\n", sqlite3_errmsg(db));
        std::exit(1);
      }
      sqlite3_reset(sub);
    };
    add(installed, domain::end_of_day(installed), "exchange_initial", std::nullopt);
    for (domain::YearMonth m = first; m <= last; m = m.next()) {
      double season = 1 + 0.4 * std::cos(2 * 3.14159265 * (static_cast<int>(m.month) - 1) / 12);
      double used = base * season * m.days();
      counter[0] += zones == 1 ? used : used * 0.64;
      counter[1] += used * 0.36;
      if (rng() % 10 == 0) continue;  // a tenth of the months have no reading
      domain::Window w = domain::window(m, domain::WindowRules{});
      add(w.first + date::days{static_cast<int>(rng() % 5)}, domain::boundary(m.next()), "customer",
          m);
    }
    if (i % 100000 == 0) {
      std::fprintf(stderr, "  %d points, %lld readings, %.0f s\n", i,
                   static_cast<long long>(receipt), since(t));
    }
  }
  exec(db, "COMMIT");
  std::fprintf(stderr, "  indexing...\n");
  for (const auto& sql : indexes) exec(db, sql.c_str());
  exec(db, "ANALYZE");
  for (auto* s : {acc, pt, mt, sub}) sqlite3_finalize(s);
  exec(db, "PRAGMA journal_mode = WAL");
  sqlite3_close(db);
}

std::string pg_url(const std::string& admin, const std::string& database) {
  return admin.substr(0, admin.rfind('/') + 1) + database;
}

void pg_exec(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  auto status = PQresultStatus(r);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::fprintf(stderr, "%s: %s\n", sql.c_str(), PQresultErrorMessage(r));
    std::exit(1);
  }
  PQclear(r);
}

bool pg_database_exists(const std::string& admin, const std::string& name) {
  PGconn* c = PQconnectdb(admin.c_str());
  PGresult* r = PQexec(c, ("SELECT 1 FROM pg_database WHERE datname = '" + name + "'").c_str());
  bool exists = PQntuples(r) > 0;
  PQclear(r);
  PQfinish(c);
  return exists;
}

// The generated history into PostgreSQL: the schema by meterdesk's migrations, the rows by COPY
// with triggers (foreign keys) off and the submissions indexes built afterwards, as a DBA loads.
void copy_to_postgres(const std::string& sqlite_path, const std::string& admin,
                      const std::string& name) {
  PGconn* a = PQconnectdb(admin.c_str());
  pg_exec(a, "DROP DATABASE IF EXISTS " + name + "_load");
  pg_exec(a, "CREATE DATABASE " + name + "_load");
  store::open_store(pg_url(admin, name + "_load"))->migrate();
  PGconn* c = PQconnectdb(pg_url(admin, name + "_load").c_str());
  pg_exec(c, "SET session_replication_role = replica");
  std::vector<std::string> indexes;
  {
    PGresult* r = PQexec(c,
                         "SELECT indexname, indexdef FROM pg_indexes WHERE tablename ="
                         " 'submissions' AND indexname NOT IN (SELECT conname FROM pg_constraint)");
    for (int i = 0; i < PQntuples(r); ++i) {
      pg_exec(c, std::string("DROP INDEX ") + PQgetvalue(r, i, 0));
      indexes.emplace_back(PQgetvalue(r, i, 1));
    }
    PQclear(r);
  }
  sqlite3* db = nullptr;
  sqlite3_open(sqlite_path.c_str(), &db);
  for (const char* table : {"accounts", "metering_points", "meters", "submissions"}) {
    auto t = Clock::now();
    std::string columns;
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db,
                       (std::string("SELECT name FROM pragma_table_info('") + table + "')").c_str(),
                       -1, &q, nullptr);
    while (sqlite3_step(q) == SQLITE_ROW)
      columns += (columns.empty() ? "" : ", ") +
                 std::string(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)));
    sqlite3_finalize(q);
    sqlite3_prepare_v2(db, ("SELECT " + columns + " FROM " + table + " ORDER BY id").c_str(), -1,
                       &q, nullptr);
    PGresult* copy =
        PQexec(c, (std::string("COPY ") + table + " (" + columns + ") FROM STDIN").c_str());
    if (PQresultStatus(copy) != PGRES_COPY_IN) {
      std::fprintf(stderr, "COPY %s: %s\n", table, PQresultErrorMessage(copy));
      std::exit(1);
    }
    PQclear(copy);
    std::string buffer;
    long long rows = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(q); ++i) {
        if (i) buffer += '\t';
        if (sqlite3_column_type(q, i) == SQLITE_NULL) {
          buffer += "\\N";
          continue;
        }
        const auto* v = reinterpret_cast<const char*>(sqlite3_column_text(q, i));
        for (const char* ch = v; *ch; ++ch) {
          if (*ch == '\\' || *ch == '\t' || *ch == '\n' || *ch == '\r') buffer += '\\';
          buffer += *ch == '\t' ? 't' : *ch == '\n' ? 'n' : *ch == '\r' ? 'r' : *ch;
        }
      }
      buffer += '\n';
      ++rows;
      if (buffer.size() > (1 << 20)) {
        PQputCopyData(c, buffer.data(), static_cast<int>(buffer.size()));
        buffer.clear();
      }
    }
    sqlite3_finalize(q);
    PQputCopyData(c, buffer.data(), static_cast<int>(buffer.size()));
    PQputCopyEnd(c, nullptr);
    PGresult* r = PQgetResult(c);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
      std::fprintf(stderr, "COPY %s: %s\n", table, PQresultErrorMessage(r));
      std::exit(1);
    }
    PQclear(r);
    pg_exec(c, std::string("SELECT setval(pg_get_serial_sequence('") + table +
                   "', 'id'), (SELECT max(id) FROM " + table + "))");
    std::fprintf(stderr, "  %s: %lld rows in %.0f s\n", table, rows, since(t));
  }
  sqlite3_close(db);
  std::fprintf(stderr, "  indexing...\n");
  for (const auto& sql : indexes) pg_exec(c, sql);
  pg_exec(c, "ANALYZE");
  PQfinish(c);
  pg_exec(a, "DROP DATABASE IF EXISTS " + name);
  pg_exec(a, "ALTER DATABASE " + name + "_load RENAME TO " + name);
  PQfinish(a);
}

// Runs one close in a child process: its own peak memory, not the generator's.
void close_in_child(const std::string& path, domain::YearMonth month,
                    domain::EstimationMethod method) {
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    auto store = store::open_store(path);
    service::ServiceConfig config;
    config.estimation.method = method;
    auto now = domain::window_closes(month, config.rules.window) + std::chrono::hours(10);
    auto t = Clock::now();
    auto r = service::close_period(*store, month, now, config, "bench");
    double total = since(t);
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf("%-8s %9d %8d %9d %9.1f %9.1f %9.1f %9.1f %9.1f %10.0f\n", month.str().c_str(),
                r.chains, r.estimated, r.inspections, r.seconds_prior, r.seconds_learn,
                r.seconds_compute, r.seconds_write, total,
                static_cast<double>(usage.ru_maxrss) / 1024);
    std::fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
}

}  // namespace

int main(int argc, char** argv) {
  int points = 1000000;
  std::string path, pg;
  auto method = domain::EstimationMethod::regulatory;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--method") {
      auto m = domain::parse_method(argv[i + 1]);
      if (!m) {
        std::fprintf(stderr, "--method: regulatory, recent, seasonal or blend\n");
        return 2;
      }
      method = *m;
    } else if (a == "--points")
      points = std::atoi(argv[i + 1]);
    else if (a == "--db")
      path = argv[i + 1];
    else if (a == "--pg")
      pg = argv[i + 1];
  }
  std::printf("estimation.method = %s\n", std::string(domain::method_name(method)).c_str());
  if (path.empty())
    path = (std::filesystem::temp_directory_path() /
            ("meterdesk-close-" + std::to_string(points) + ".db"))
               .string();
  const domain::YearMonth last{2026, 9}, first = last.plus(-23);
  if (!std::filesystem::exists(path)) {
    std::fprintf(stderr, "generating %d points with 24 months of history into %s\n", points,
                 path.c_str());
    auto t = Clock::now();
    generate(path + ".tmp", points, first, last);
    std::filesystem::rename(path + ".tmp", path);
    std::fprintf(stderr, "generated in %.0f s (%.1f GB)\n", since(t),
                 static_cast<double>(std::filesystem::file_size(path)) / 1e9);
  }
  store::open_store(path)->migrate();  // a history generated by an older meterdesk
  std::printf("%-8s %9s %8s %9s %9s %9s %9s %9s %9s %10s\n", "month", "chains", "estim.",
              "inspect.", "prior s", "learn s", "compute s", "write s", "total s", "peak MiB");
  if (!pg.empty()) {
    const std::string name = "bench_close_" + std::to_string(points);
    if (!pg_database_exists(pg, name)) {
      std::fprintf(stderr, "copying the history into PostgreSQL database %s\n", name.c_str());
      auto t = Clock::now();
      copy_to_postgres(path, pg, name);
      std::fprintf(stderr, "copied in %.0f s\n", since(t));
    }
    PGconn* a = PQconnectdb(pg.c_str());
    pg_exec(a, "DROP DATABASE IF EXISTS bench_close_run");
    pg_exec(a, "CREATE DATABASE bench_close_run TEMPLATE " + name);
    close_in_child(pg_url(pg, "bench_close_run"), last.prev(), method);
    close_in_child(pg_url(pg, "bench_close_run"), last, method);
    pg_exec(a, "DROP DATABASE bench_close_run");
    PQfinish(a);
    return 0;
  }
  // Each run closes on a copy, so the generated history stays reusable.
  std::string work = path + ".run";
  std::filesystem::remove(work);
  std::filesystem::remove(work + "-wal");
  std::filesystem::copy_file(path, work);
  close_in_child(work, last.prev(), method);  // the first close: no prior positions
  close_in_child(work, last, method);  // a steady month: prior positions from the month before
  std::filesystem::remove(work);
  std::filesystem::remove(work + "-wal");
  std::filesystem::remove(work + "-shm");
  return 0;
}
