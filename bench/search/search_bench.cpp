// The console's account search (Store::search_accounts, /operator/search) on a region's accounts:
// by number, EIC, serial and phone through their indexes, and by a fragment of the address, which
// no index serves. 1,000,000 accounts by default, each with one point, one meter and an address
// in one of 400 streets of 12 towns.
//   bench/search/run.sh [--accounts N] [--db PATH]
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "store/store.hpp"

using namespace md;

namespace {

const char* const kTowns[] = {
    "Одеса",     "Чорноморськ", "Южне", "Ізмаїл", "Білгород-Дністровський",
    "Подільськ", "Балта",       "Рені", "Кілія",  "Роздільна",
    "Теплодар",  "Березівка"};

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::fprintf(stderr, "%s: %s\n", sql, err ? err : "error");
    std::exit(1);
  }
}

void generate(const std::string& path, long accounts) {
  store::open_store(path)->migrate();
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; BEGIN");
  sqlite3_stmt* a = nullptr;
  sqlite3_stmt* p = nullptr;
  sqlite3_stmt* m = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO accounts (id, number, holder, phone, address, created_at)"
                     " VALUES (?, ?, 'Holder', ?, ?, 0)",
                     -1, &a, nullptr);
  sqlite3_prepare_v2(
      db, "INSERT INTO metering_points (id, account_id, eic, address) VALUES (?, ?, ?, ?)", -1, &p,
      nullptr);
  sqlite3_prepare_v2(
      db,
      "INSERT INTO meters (id, metering_point_id, serial, zones, digits, installed_on)"
      " VALUES (?, ?, ?, 2, 6, '2024-01-01')",
      -1, &m, nullptr);
  char number[32], phone[32], address[200], eic[40], serial[32];
  for (long i = 1; i <= accounts; ++i) {
    std::snprintf(number, sizeof number, "%010ld", i);
    std::snprintf(phone, sizeof phone, "+380%09ld", 500'000'000 + i);
    std::snprintf(address, sizeof address, "м. %s, вул. Вулиця-%ld, %ld, кв. %ld", kTowns[i % 12],
                  i % 400, i / 400 % 150 + 1, i % 97 + 1);
    std::snprintf(eic, sizeof eic, "62Z%012ldX", i);
    std::snprintf(serial, sizeof serial, "S%08ld", i);
    sqlite3_bind_int64(a, 1, i);
    sqlite3_bind_text(a, 2, number, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(a, 3, phone, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(a, 4, address, -1, SQLITE_TRANSIENT);
    sqlite3_step(a);
    sqlite3_reset(a);
    sqlite3_bind_int64(p, 1, i);
    sqlite3_bind_int64(p, 2, i);
    sqlite3_bind_text(p, 3, eic, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(p, 4, address, -1, SQLITE_TRANSIENT);
    sqlite3_step(p);
    sqlite3_reset(p);
    sqlite3_bind_int64(m, 1, i);
    sqlite3_bind_int64(m, 2, i);
    sqlite3_bind_text(m, 3, serial, -1, SQLITE_TRANSIENT);
    sqlite3_step(m);
    sqlite3_reset(m);
  }
  sqlite3_finalize(a);
  sqlite3_finalize(p);
  sqlite3_finalize(m);
  exec(db, "COMMIT");
  sqlite3_close(db);
}

}  // namespace

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);  // each line as it comes, also into a pipe
  std::string path = "/tmp/meterdesk-bench-search.db";
  long accounts = 1'000'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i];
    if (arg == "--db") path = argv[i + 1];
    if (arg == "--accounts") accounts = std::atol(argv[i + 1]);
  }
  if (!std::filesystem::exists(path)) {
    auto t = std::chrono::steady_clock::now();
    generate(path, accounts);
    std::printf("generated %ld accounts in %.0f s\n", accounts,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
  }
  auto store = store::open_store(path);
  struct Case {
    const char* name;
    std::string query;
  };
  const std::vector<Case> cases = {
      {"account number", "0000500000"},
      {"EIC", "62z000000500000x"},
      {"meter serial", "S00500000"},
      {"phone", "+380500500000"},
      {"address: a street in every town (1 in 400)", "Вулиця-123,"},
      {"address: one house (1 in 60,000)", "Вулиця-123, 77,"},
      {"address: nobody's", "Шевченка"},
  };
  std::printf("| search | accounts found (of 20 asked) | median of 5 |\n|---|---|---|\n");
  for (const auto& c : cases) {
    std::vector<double> ms;
    std::size_t found = 0;
    for (int k = 0; k < 5; ++k) {
      auto t = std::chrono::steady_clock::now();
      found = store->search_accounts(c.query, 20).size();
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count());
    }
    std::sort(ms.begin(), ms.end());
    std::printf("| %s | %zu | %.2f ms |\n", c.name, found, ms[2]);
  }
  return 0;
}
