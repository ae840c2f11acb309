// The outbox worker's read of what to send next (Store::outbox_due, every pass, at least once a
// second) beside a year of sent messages: the outbox keeps what it sent, so this read must cost
// the pending messages, not the table. Also measured without schema 9's indexes, as before.
//   bench/outbox/run.sh [--sent N] [--db PATH]
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

constexpr long kNow = 1'800'000'000;

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::fprintf(stderr, "%s: %s\n", sql, err ? err : "error");
    std::exit(1);
  }
}

// `sent` messages already delivered (reminders and replies to 300,000 chats), then 1,000 pending:
// a reminder round being sent, every tenth chat's message waiting for a retry.
void generate(const std::string& path, long sent) {
  store::open_store(path)->migrate();
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; BEGIN");
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO outbox (channel, chat_id, method, body, created_at, not_before,"
                     " attempts, status, sent_at) VALUES ('telegram', ?, 'sendMessage', ?, ?, ?, ?,"
                     " ?, ?)",
                     -1, &st, nullptr);
  char chat[32], body[160];
  for (long i = 0; i < sent + 1000; ++i) {
    const bool pending = i >= sent;
    const long at = kNow - (sent + 1000 - i) * 10;
    std::snprintf(chat, sizeof chat, "%ld", 100'000'000 + i % 300'000);
    std::snprintf(body, sizeof body,
                  R"({"chat_id":%s,"text":"Нагадування: подайте показники лічильника до 3 числа"})",
                  chat);
    sqlite3_bind_text(st, 1, chat, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, body, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, at);
    sqlite3_bind_int64(st, 4, pending && i % 10 == 0 ? kNow + 60 : at);
    sqlite3_bind_int(st, 5, pending && i % 10 == 0 ? 1 : 0);
    sqlite3_bind_text(st, 6, pending ? "pending" : "sent", -1, SQLITE_STATIC);
    if (pending)
      sqlite3_bind_null(st, 7);
    else
      sqlite3_bind_int64(st, 7, at + 1);
    sqlite3_step(st);
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  exec(db, "COMMIT");
  sqlite3_close(db);
}

void measure(const char* name, const std::string& path) {
  auto store = store::open_store(path);
  std::vector<double> ms;
  std::size_t due = 0;
  for (int k = 0; k < 7; ++k) {
    auto t = std::chrono::steady_clock::now();
    due = store->outbox_due(domain::Instant{std::chrono::seconds{kNow}}, 200).size();
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("| %s | %zu | %.2f ms |\n", name, due, ms[3]);
}

}  // namespace

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);  // each line as it comes, also into a pipe
  std::string path = "/tmp/meterdesk-bench-outbox.db";
  long sent = 3'000'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--db") path = argv[i + 1];
    if (a == "--sent") sent = std::atol(argv[i + 1]);
  }
  if (!std::filesystem::exists(path)) {
    auto t = std::chrono::steady_clock::now();
    generate(path, sent);
    std::printf("generated %ld sent and 1,000 pending messages in %.0f s\n", sent,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
  }
  std::printf(
      "| schema | messages due (of 200 asked) | outbox_due, median of 7 |\n|---|---|---|\n");
  measure("current", path);
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  exec(db, "DROP INDEX outbox_queue; DROP INDEX outbox_chat");
  measure("version 8 (without outbox_queue, outbox_chat)", path);
  exec(db,
       "CREATE INDEX outbox_queue ON outbox(id) WHERE status = 'pending';"
       " CREATE INDEX outbox_chat ON outbox(channel, chat_id, id) WHERE status = 'pending'");
  sqlite3_close(db);
  return 0;
}
