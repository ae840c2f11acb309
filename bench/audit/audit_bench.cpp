// The audit trail's search (/operator/audit) on a year of a region's records: each page reads at
// most a window of records, so a search that matches nothing costs the window, not the table.
//   bench/audit/run.sh [--records N] [--db PATH]
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

// A year of records: mostly customers' submissions about 1,000,000 accounts, one in 2,000 a
// staff member's action (20 operators).
void generate(const std::string& path, long records) {
  store::open_store(path)->migrate();
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; BEGIN", nullptr, nullptr,
               nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO audit (at, actor, channel, action, identity, raw_input, result,"
                     " reason, request_id) VALUES (?, ?, ?, ?, ?, '', ?, '', '')",
                     -1, &st, nullptr);
  char identity[64], actor[32];
  for (long i = 0; i < records; ++i) {
    const bool staff = i % 2000 == 0;
    std::snprintf(identity, sizeof identity, "account=%010ld serial=S%07ld", i % 1'000'000 + 1,
                  i % 1'000'000 + 1);
    std::snprintf(actor, sizeof actor, "operator:op%02ld", (i / 2000) % 20);
    sqlite3_bind_int64(st, 1, 1'735'000'000 + i * 3);
    sqlite3_bind_text(st, 2, staff ? actor : "customer", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, staff ? "operator_console" : "web_form", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, staff ? "view_account" : "submit", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, identity, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, staff ? "ok" : "accepted", -1, SQLITE_STATIC);
    sqlite3_step(st);
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(db);
}

}  // namespace

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);  // each line as it comes, also into a pipe
  std::string path = "/tmp/meterdesk-bench-audit.db";
  long records = 12'000'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--db") path = argv[i + 1];
    if (a == "--records") records = std::atol(argv[i + 1]);
  }
  if (!std::filesystem::exists(path)) {
    auto t = std::chrono::steady_clock::now();
    generate(path, records);
    std::printf("generated %ld audit records in %.0f s\n", records,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
  }
  auto store = store::open_store(path);
  struct Case {
    const char* name;
    store::AuditQuery q;
  };
  auto with = [](std::string who, std::string action, std::string about) {
    store::AuditQuery q;
    q.who = std::move(who);
    q.action = std::move(action);
    q.identity_prefix = std::move(about);
    return q;
  };
  const std::vector<Case> cases = {
      {"newest, no filter", with("", "", "")},
      {"one operator's actions (1 in 40,000)", with("op07", "", "")},
      {"an action nobody took", with("", "user_role", "")},
      {"one account (about 12 records)", with("", "", "account=0000500000")},
      {"all submissions", with("", "submit", "")},
  };
  std::printf(
      "| search | rows on the first page | next page from | median of 7 |\n|---|---|---|---|\n");
  for (const auto& c : cases) {
    std::vector<double> ms;
    store::AuditPage page;
    for (int k = 0; k < 7; ++k) {
      auto t = std::chrono::steady_clock::now();
      page = store->search_audit(c.q);
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count());
    }
    std::sort(ms.begin(), ms.end());
    std::printf("| %s | %zu | %lld | %.1f ms |\n", c.name, page.rows.size(),
                static_cast<long long>(page.next_before), ms[3]);
  }
  return 0;
}
