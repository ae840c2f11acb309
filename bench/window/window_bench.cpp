// bench/window: the reading window as a DSO meets it, not as a friendly benchmark shows it.
// N accounts (default 1,000,000; --quick 200,000), each with a year of monthly readings, a third
// of them two-zone; every account hands over exactly one reading, in a random order, through the
// channels customers use: 70 % POST /api/v1/readings, 20 % the public form (its page, the values,
// the review, Send), 10 % Telegram updates from chats linked to their account (the reading, then
// Send on the review the bot sent). Reports accepted readings a second, the latency of every
// request (p50, p99, max), the /healthz ceiling of the same server in the same run, the ratio,
// and the server's peak RSS; then compares what every client was told with the store: each
// account's reading stored once, with its values and (API) its receipt, or the run fails.
//
//   bench/window/run.sh [--quick] [--accounts N] [--connections C] [--db postgresql://ADMIN]
// The history is generated once per N (bulk SQL) and kept: SQLite in $TMPDIR, PostgreSQL as the
// database bench_window_<N> of the cluster (each run works on a copy).
#include <sys/socket.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bench/common/history.hpp"
#include "support/support.hpp"

using namespace md;
using bench::since;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kNow = "2026-11-30T10:00:00+02:00";  // November's window is open
constexpr const char* kToken = "123456:ABC-meterdesk-window";
constexpr const char* kSecret = "window-Secret-token";
constexpr std::int64_t kChatBase = 5'000'000'000;  // chat id = kChatBase + account id

enum class Channel { api, form, telegram };
// --api-only: every account through the API (to see the channels' costs apart).
bool api_only = false;
Channel channel_of(int account) {
  if (api_only) return Channel::api;
  const int r = account % 10;
  return r == 0 ? Channel::telegram : r <= 2 ? Channel::form : Channel::api;
}
const char* name_of(Channel c) {
  return c == Channel::api ? "api" : c == Channel::form ? "web_form" : "telegram";
}

// What one account hands over: its identity and the next value of each register.
struct Plan {
  int zones = 1;
  std::int64_t value[2] = {0, 0};
};

// The next reading of every meter: the last one plus 30 days at its average daily use.
std::vector<Plan> plan_readings(const std::string& db, int accounts) {
  std::vector<Plan> plans(static_cast<std::size_t>(accounts) + 1);
  std::string error;
  // The days the history spans, in either database's dialect.
  const std::string days = db.starts_with("postgresql://")
                               ? "max(s.taken_on::date) - min(s.taken_on::date)"
                               : "julianday(max(s.taken_on)) - julianday(min(s.taken_on))";
  const bool ok = md::test::sql_each(
      db,
      "SELECT s.meter_id, m.zones, max(s.u1), min(s.u1), max(coalesce(s.u2, 0)),"
      " min(coalesce(s.u2, 0)), " +
          days +
          " FROM submissions s JOIN meters m ON m.id = s.meter_id GROUP BY s.meter_id, m.zones",
      [&](const std::vector<std::string>& row) {
        const auto id = std::stoul(row[0]);
        if (id >= plans.size()) return;
        Plan& p = plans[id];
        p.zones = std::stoi(row[1]);
        const double span = std::max(1.0, std::stod(row[6]));
        for (std::size_t z = 0; z < static_cast<std::size_t>(p.zones); ++z) {
          const auto hi = std::stoll(row[2 + 2 * z]);
          const auto lo = std::stoll(row[3 + 2 * z]);
          const auto month =
              static_cast<std::int64_t>(std::llround(static_cast<double>(hi - lo) / span * 30));
          p.value[z] = (hi + std::max<std::int64_t>(1, month)) % 1000000;
        }
      },
      &error);
  if (!ok) {
    std::fprintf(stderr, "reading the history: %s\n", error.c_str());
    std::exit(1);
  }
  return plans;
}

std::string number_of(int account) {
  char b[16];
  std::snprintf(b, sizeof b, "%010d", account);
  return b;
}
std::string serial_of(int account) {
  char b[16];
  std::snprintf(b, sizeof b, "B%07d", account);
  return b;
}

// Chats linked to the Telegram tenth of the accounts, idle (as after an earlier month's reading).
void link_chats(const std::string& path, int accounts) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  bench::exec(db, "BEGIN");
  bench::exec(db, ("INSERT INTO chats (channel, chat_id, lang, state, created_at, updated_at)"
                   " SELECT 'telegram', " +
                   std::to_string(kChatBase) +
                   " + id, 'uk', '{\"stage\":\"idle\",\"version\":1,\"seq\":0}', 0, 0"
                   " FROM accounts WHERE id % 10 = 0 AND id <= " +
                   std::to_string(accounts))
                      .c_str());
  bench::exec(db,
              ("INSERT INTO chat_accounts (channel, chat_id, account_id, linked_at)"
               " SELECT 'telegram', " +
               std::to_string(kChatBase) +
               " + id, id, 0 FROM accounts WHERE id % 10 = 0 AND id <= " + std::to_string(accounts))
                  .c_str());
  bench::exec(db, "COMMIT");
  sqlite3_close(db);
}

// Latencies in microseconds, per client thread, merged at the end.
struct Latencies {
  std::vector<std::vector<std::uint32_t>> per_thread;
  std::vector<std::uint32_t> merged() const {
    std::vector<std::uint32_t> all;
    for (const auto& v : per_thread) all.insert(all.end(), v.begin(), v.end());
    std::sort(all.begin(), all.end());
    return all;
  }
};
double percentile_ms(const std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto at = static_cast<std::size_t>(p / 100 * static_cast<double>(sorted.size() - 1));
  return sorted[at] / 1000.0;
}

// The fake Bot API: the review's Send button of each chat, as the bot sent it.
class Bot {
 public:
  Bot()
      : fake_([this](const md::test::FakePlatform::Call& call) {
          on_call(call.body);
          return md::test::FakePlatform::Answer{200, R"({"ok":true,"result":{"message_id":1}})"};
        }) {}
  [[nodiscard]] std::string base() const { return fake_.base(); }
  // The next chat whose Send button arrived, waiting up to `timeout`; nullopt when none came.
  std::optional<std::pair<std::int64_t, std::string>> next_send(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [&] { return !ready_.empty(); })) return std::nullopt;
    auto out = ready_.front();
    ready_.pop_front();
    return out;
  }

 private:
  void on_call(const std::string& body) {
    const auto j = json::parse(body, nullptr, false);
    if (!j.is_object() || !j.contains("reply_markup") || !j.contains("chat_id")) return;
    const auto& kb = j["reply_markup"];
    if (!kb.contains("inline_keyboard")) return;
    for (const auto& row : kb["inline_keyboard"])
      for (const auto& key : row) {
        const std::string data = key.value("callback_data", "");
        if (!data.ends_with("|send")) continue;
        const auto chat = j["chat_id"].is_string() ? std::stoll(j["chat_id"].get<std::string>())
                                                   : j["chat_id"].get<std::int64_t>();
        std::lock_guard lock(mutex_);
        ready_.emplace_back(chat, data);
        cv_.notify_one();
        return;
      }
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::pair<std::int64_t, std::string>> ready_;
  md::test::FakePlatform fake_;
};

json text_update(std::int64_t update_id, std::int64_t chat, const std::string& text) {
  return {{"update_id", update_id},
          {"message",
           {{"message_id", update_id},
            {"date", 1764489600},
            {"chat", {{"id", chat}, {"type", "private"}}},
            {"from", {{"id", chat}, {"is_bot", false}, {"first_name", "W"}}},
            {"text", text}}}};
}
json press_update(std::int64_t update_id, std::int64_t chat, const std::string& data) {
  return {
      {"update_id", update_id},
      {"callback_query",
       {{"id", "cq" + std::to_string(update_id)},
        {"from", {{"id", chat}, {"is_bot", false}, {"first_name", "W"}}},
        {"chat_instance", "-1"},
        {"message",
         {{"message_id", 1}, {"date", 1764489600}, {"chat", {{"id", chat}, {"type", "private"}}}}},
        {"data", data}}}};
}

// The value of `<input name="NAME" value="...">` in a page, or "".
std::string field(const std::string& page, const std::string& name) {
  const std::string marker = "name=\"" + name + "\" value=\"";
  const auto at = page.find(marker);
  if (at == std::string::npos) return "";
  const auto start = at + marker.size();
  return page.substr(start, page.find('"', start) - start);
}

struct Failure {
  std::mutex mutex;
  std::vector<std::string> what;
  void add(std::string w) {
    std::lock_guard lock(mutex);
    if (what.size() < 20) what.push_back(std::move(w));
  }
  bool any() {
    std::lock_guard lock(mutex);
    return !what.empty();
  }
};

// The load: `clients` threads, each with its own keep-alive connection, taking the next account of
// the shuffled order until none is left; Telegram's Send presses by two threads of their own.
class Window {
 public:
  Window(std::uint16_t port, const std::vector<Plan>& plans, std::vector<int> order, int clients,
         Bot& bot)
      : port_(port), plans_(plans), order_(std::move(order)), bot_(bot) {
    latencies_.per_thread.resize(static_cast<std::size_t>(clients) + 2);
    receipts_.resize(plans.size());
    telegram_expected_ = static_cast<std::size_t>(std::count_if(
        order_.begin(), order_.end(), [](int a) { return channel_of(a) == Channel::telegram; }));
  }

  void run(int clients) {
    start_ = Clock::now();
    std::vector<std::thread> threads, pressers;
    for (int c = 0; c < clients; ++c) threads.emplace_back([this, c] { client(c); });
    for (std::size_t p = 0; p < 2; ++p)
      pressers.emplace_back([this, p, clients] { presser(static_cast<std::size_t>(clients) + p); });
    for (auto& t : threads) t.join();
    seconds_ = since(start_);
    at_load_end_ = acknowledged.load();
    for (auto& t : pressers) t.join();
    telegram_seconds_ = since(start_);
  }

  std::atomic<std::size_t> acknowledged{0};
  Failure failures;
  // Until the last client request (every API and form reading, every Telegram reading typed).
  [[nodiscard]] double seconds() const { return seconds_; }
  [[nodiscard]] std::size_t acknowledged_in_load() const { return at_load_end_; }
  // Until the last Send on a review the bot sent (the outbox's pace).
  [[nodiscard]] double telegram_seconds() const { return telegram_seconds_; }
  [[nodiscard]] std::size_t telegram_flows() const { return telegram_expected_; }
  [[nodiscard]] const Latencies& latencies() const { return latencies_; }
  [[nodiscard]] const std::string& receipt(int account) const {
    return receipts_[static_cast<std::size_t>(account)];
  }

 private:
  // One request on the thread's connection, timed; nullopt (and a failure) when none came back.
  std::optional<md::test::HttpResponse> send(std::unique_ptr<md::test::HttpClient>& conn,
                                             std::size_t thread, const std::string& method,
                                             const std::string& target, const std::string& body,
                                             const std::map<std::string, std::string>& headers) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      try {
        if (!conn) conn = std::make_unique<md::test::HttpClient>(port_);
        const auto t = Clock::now();
        auto r = conn->request(method, target, body, headers);
        if (r) {
          latencies_.per_thread[thread].push_back(static_cast<std::uint32_t>(
              std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t).count()));
          if (r->headers.contains("connection") && r->headers.at("connection") == "close")
            conn.reset();
          return r;
        }
      } catch (const std::exception&) {
      }
      conn.reset();  // a keep-alive connection the server closed meanwhile: once more on a new one
    }
    failures.add(method + " " + target + ": no answer");
    return std::nullopt;
  }

  void client(int c) {
    const auto thread = static_cast<std::size_t>(c);
    std::unique_ptr<md::test::HttpClient> conn;
    for (;;) {
      const std::size_t k = next_.fetch_add(1);
      if (k >= order_.size() || failures.any()) break;
      const int account = order_[k];
      switch (channel_of(account)) {
        case Channel::api:
          api(conn, thread, account);
          break;
        case Channel::form:
          form(conn, thread, account);
          break;
        case Channel::telegram:
          telegram_text(conn, thread, account);
          break;
      }
    }
  }

  void api(std::unique_ptr<md::test::HttpClient>& conn, std::size_t thread, int account) {
    const Plan& p = plans_[static_cast<std::size_t>(account)];
    json readings = p.zones == 1 ? json{{"total", p.value[0]}}
                                 : json{{"day", p.value[0]}, {"night", p.value[1]}};
    const json body{{"account", number_of(account)},
                    {"meter_serial", serial_of(account)},
                    {"readings", readings}};
    auto r = send(conn, thread, "POST", "/api/v1/readings", body.dump(),
                  {{"Content-Type", "application/json"},
                   {"Idempotency-Key", "window-" + std::to_string(account)}});
    if (!r) return;
    if (r->status != 201) {
      failures.add("API, account " + std::to_string(account) + ": " + std::to_string(r->status) +
                   " " + r->body.substr(0, 300));
      return;
    }
    receipts_[static_cast<std::size_t>(account)] =
        json::parse(r->body).at("receipt").get<std::string>();
    ++acknowledged;
  }

  // The public form as a browser without JavaScript uses it: the page (its CSRF cookie and
  // field), account + serial + values (the review page), then Send (a redirect to the receipt).
  void form(std::unique_ptr<md::test::HttpClient>& conn, std::size_t thread, int account) {
    const Plan& p = plans_[static_cast<std::size_t>(account)];
    auto page = send(conn, thread, "GET", "/submit", "", {{"Accept", "text/html"}});
    if (!page) return;
    std::string cookie;
    if (auto it = page->headers.find("set-cookie"); it != page->headers.end())
      cookie = it->second.substr(0, it->second.find(';'));
    const std::string csrf = field(page->body, "csrf");
    if (page->status != 200 || cookie.empty() || csrf.empty()) {
      failures.add("form page: " + std::to_string(page->status) + " without a CSRF token");
      return;
    }
    std::string body =
        "csrf=" + csrf + "&account=" + number_of(account) + "&serial=" + serial_of(account);
    if (p.zones == 1) {
      body += "&zone.total=" + std::to_string(p.value[0]);
    } else {
      body +=
          "&zone.day=" + std::to_string(p.value[0]) + "&zone.night=" + std::to_string(p.value[1]);
    }
    char key[65];
    std::snprintf(key, sizeof key, "%064d", account);
    body += std::string("&key=") + key;
    const std::map<std::string, std::string> headers{
        {"Accept", "text/html"},
        {"Content-Type", "application/x-www-form-urlencoded"},
        {"Cookie", cookie}};
    auto review = send(conn, thread, "POST", "/submit", body, headers);
    if (!review) return;
    if (review->status != 200) {
      failures.add("form review, account " + std::to_string(account) + ": " +
                   std::to_string(review->status));
      return;
    }
    auto sent = send(conn, thread, "POST", "/submit", body + "&review=1", headers);
    if (!sent) return;
    if (sent->status != 303 || !sent->headers.contains("location") ||
        !sent->headers.at("location").starts_with("/receipt/")) {
      failures.add("form send, account " + std::to_string(account) + ": " +
                   std::to_string(sent->status));
      return;
    }
    ++acknowledged;
  }

  void telegram_text(std::unique_ptr<md::test::HttpClient>& conn, std::size_t thread, int account) {
    const Plan& p = plans_[static_cast<std::size_t>(account)];
    std::string text = std::to_string(p.value[0]);
    if (p.zones == 2) text += " " + std::to_string(p.value[1]);
    const std::int64_t chat = kChatBase + account;
    auto r =
        send(conn, thread, "POST", "/webhooks/telegram", text_update(2 * chat, chat, text).dump(),
             {{"Content-Type", "application/json"}, {"X-Telegram-Bot-Api-Secret-Token", kSecret}});
    if (r && r->status != 200)
      failures.add("Telegram reading: " + std::to_string(r->status) + " " + r->body);
  }

  // Presses Send on each review the bot sent, until every Telegram account has pressed it.
  void presser(std::size_t thread) {
    std::unique_ptr<md::test::HttpClient> conn;
    auto progress = Clock::now();
    while (pressed_ < telegram_expected_ && !failures.any()) {
      auto next = bot_.next_send(std::chrono::milliseconds(100));
      if (!next) {
        if (Clock::now() - progress > std::chrono::seconds(120)) {
          failures.add("Telegram: no review came for 120 s (" + std::to_string(pressed_.load()) +
                       " of " + std::to_string(telegram_expected_) + " sent)");
          return;
        }
        continue;
      }
      progress = Clock::now();
      const auto [chat, data] = *next;
      auto r = send(
          conn, thread, "POST", "/webhooks/telegram", press_update(2 * chat + 1, chat, data).dump(),
          {{"Content-Type", "application/json"}, {"X-Telegram-Bot-Api-Secret-Token", kSecret}});
      if (!r) continue;
      if (r->status != 200) {
        failures.add("Telegram Send: " + std::to_string(r->status));
        continue;
      }
      ++pressed_;
      ++acknowledged;
    }
  }

  std::uint16_t port_;
  const std::vector<Plan>& plans_;
  std::vector<int> order_;
  Bot& bot_;
  std::atomic<std::size_t> next_{0}, pressed_{0};
  std::size_t telegram_expected_ = 0;
  Latencies latencies_;
  std::vector<std::string> receipts_;  // by account (API only)
  Clock::time_point start_;
  double seconds_ = 0, telegram_seconds_ = 0;
  std::size_t at_load_end_ = 0;
};

// GET /healthz as fast as `clients` keep-alive connections go, for `seconds`: the HTTP ceiling.
double healthz_ceiling(std::uint16_t port, int clients, double seconds) {
  std::atomic<std::size_t> done{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&] {
      md::test::HttpClient conn(port);
      while (!stop)
        if (auto r = conn.request("GET", "/healthz"); r && r->status == 200) ++done;
    });
  const auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  return static_cast<double>(done) / since(start);
}

// Bytes the process had written and read through syscalls (/proc/PID/io: wchar, rchar): the page
// traffic of SQLite's pread/pwrite, the WAL and the checkpoints, and the sockets.
std::pair<double, double> io_bytes(pid_t pid) {
  std::ifstream io("/proc/" + std::to_string(pid) + "/io");
  double written = 0, read = 0;
  for (std::string line; std::getline(io, line);) {
    if (line.starts_with("wchar:")) written = std::atof(line.c_str() + 6);
    if (line.starts_with("rchar:")) read = std::atof(line.c_str() + 6);
  }
  return {written, read};
}

// Every account's reading of the month stored once, by the channel it was sent through, with its
// values (and the API's receipt); nothing else.
bool check_store(const std::string& db, const std::vector<Plan>& plans, const Window& w,
                 int accounts) {
  std::vector<std::uint8_t> seen(plans.size(), 0);
  std::size_t wrong = 0, twice = 0, stray = 0;
  std::string error;
  md::test::sql_each(
      db,
      "SELECT account_id, channel, receipt, v1, coalesce(v2, 0) FROM submissions"
      " WHERE period = '2026-11'",
      [&](const std::vector<std::string>& row) {
        const auto a = std::stoul(row[0]);
        if (a == 0 || a > static_cast<unsigned long>(accounts)) {
          ++stray;
          return;
        }
        const int account = static_cast<int>(a);
        if (seen[a]++) ++twice;
        const Plan& p = plans[a];
        const bool same = row[1] == name_of(channel_of(account)) &&
                          std::stoll(row[3]) == p.value[0] &&
                          (p.zones == 1 || std::stoll(row[4]) == p.value[1]) &&
                          (channel_of(account) != Channel::api || row[2] == w.receipt(account));
        if (!same) ++wrong;
      },
      &error);
  std::size_t lost = 0;
  for (int a = 1; a <= accounts; ++a)
    if (!seen[static_cast<std::size_t>(a)]) ++lost;
  std::printf(
      "store: %zu lost, %zu stored twice, %zu differing from what was sent, %zu stray%s%s\n", lost,
      twice, wrong, stray, error.empty() ? "" : "; ", error.c_str());
  return error.empty() && lost == 0 && twice == 0 && wrong == 0 && stray == 0;
}

}  // namespace

int main(int argc, char** argv) {
  int accounts = 1000000, clients = 64;
  std::string pg;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : "";
    if (a == "--quick") {
      accounts = 200000;
    } else if (a == "--api-only") {
      api_only = true;
    } else if (a == "--accounts") {
      accounts = std::atoi(v);
      ++i;
    } else if (a == "--connections") {
      clients = std::atoi(v);
      ++i;
    } else if (a == "--db") {
      pg = v;
      ++i;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--quick] [--accounts N] [--connections C] [--db URL] [--api-only]\n",
                   argv[0]);
      return 2;
    }
  }
  setvbuf(stdout, nullptr, _IOLBF, 0);
  const domain::YearMonth last{2026, 10}, first = last.plus(-11);
  const std::string history = (std::filesystem::temp_directory_path() /
                               ("meterdesk-window-" + std::to_string(accounts) + ".db"))
                                  .string();
  if (!std::filesystem::exists(history)) {
    std::printf("generating %d accounts with a year of readings into %s\n", accounts,
                history.c_str());
    const auto t = Clock::now();
    bench::generate(history + ".tmp", accounts, first, last, 3);
    link_chats(history + ".tmp", accounts);
    std::filesystem::rename(history + ".tmp", history);
    std::printf("generated in %.0f s (%.1f GB)\n", since(t),
                static_cast<double>(std::filesystem::file_size(history)) / 1e9);
  }
  store::open_store(history)->migrate();  // a history generated by an older meterdesk

  std::string db;
  md::test::TempDir dir;
  if (pg.empty()) {
    db = dir.file("window.db");
    std::filesystem::copy_file(history, db);
  } else {
    const std::string name = "bench_window_" + std::to_string(accounts);
    if (!bench::pg_database_exists(pg, name)) {
      std::printf("copying the history into PostgreSQL database %s\n", name.c_str());
      bench::copy_to_postgres(
          history, pg, name,
          {"accounts", "metering_points", "meters", "submissions", "chats", "chat_accounts"});
    }
    PGconn* a = PQconnectdb(pg.c_str());
    bench::pg_exec(a, "DROP DATABASE IF EXISTS bench_window_run");
    bench::pg_exec(a, "CREATE DATABASE bench_window_run TEMPLATE " + name);
    PQfinish(a);
    db = bench::pg_url(pg, "bench_window_run");
  }
  auto t = Clock::now();
  const auto plans = plan_readings(db, accounts);
  std::vector<int> order(static_cast<std::size_t>(accounts));
  std::iota(order.begin(), order.end(), 1);
  std::shuffle(order.begin(), order.end(), std::mt19937(20261130));
  std::printf("planned %d readings in a random order in %.1f s\n", accounts, since(t));

  Bot bot;
  md::test::ServerProcess server(db, {"--now", kNow},
                                 {{"METERDESK_TELEGRAM_BOT_TOKEN", kToken},
                                  {"METERDESK_TELEGRAM_SECRET_TOKEN", kSecret},
                                  {"METERDESK_TELEGRAM_API_BASE", bot.base()},
                                  {"METERDESK_TELEGRAM_PER_SECOND", "1000"},
                                  {"METERDESK_TELEGRAM_PER_CHAT_INTERVAL_MS", "0"}});
  // October's window ended on 3 November: the server closes it as it starts (close.automatic),
  // as a DSO's server did weeks before this window. The load waits for that.
  t = Clock::now();
  while (md::test::sql_value(db, "SELECT count(*) FROM periods WHERE period = '2026-10'") != "1") {
    if (since(t) > 600) {
      std::printf("FAILED: October was not closed within 10 minutes\n");
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::printf("October closed by the server in %.0f s\n", since(t));
  const double ceiling = healthz_ceiling(server.port(), clients, 5);
  Window window(server.port(), plans, order, clients, bot);
  const auto io_before = io_bytes(server.pid());
  window.run(clients);
  const auto io_after = io_bytes(server.pid());
  const double rss = md::test::peak_rss_mib(server.pid());
  const auto lat = window.latencies().merged();
  const double rate = static_cast<double>(window.acknowledged_in_load()) / window.seconds();
  const double requests = static_cast<double>(lat.size()) / window.seconds();
  std::printf("\n%s, %d accounts (a third two-zone), each once in a random order; %d connections\n",
              pg.empty() ? "SQLite" : "PostgreSQL", accounts, clients);
  std::printf("  channels: %s\n",
              api_only ? "API only (--api-only)"
                       : "70 % API, 20 % public form (3 requests), 10 % Telegram (2 updates)");
  std::printf("  load: %.1f s; %zu readings acknowledged meanwhile = %.0f readings/s\n",
              window.seconds(), window.acknowledged_in_load(), rate);
  std::printf("  requests: %zu, %.0f/s; latency p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
              lat.size(), requests, percentile_ms(lat, 50), percentile_ms(lat, 99),
              lat.empty() ? 0 : lat.back() / 1e3);
  std::printf(
      "  HTTP ceiling (GET /healthz, same server, same clients): %.0f/s; readings/s = %.2f"
      " of it, requests/s = %.2f\n",
      ceiling, rate / ceiling, requests / ceiling);
  if (!api_only)
    std::printf(
        "  Telegram: the last of %zu Sends %.1f s after the start (each waits for the bot's"
        " review through the outbox)\n",
        window.telegram_flows(), window.telegram_seconds());
  std::printf(
      "  server peak RSS: %.0f MiB; per reading it wrote %.1f KiB and read %.1f KiB"
      " (syscalls: pages, WAL, checkpoints, sockets)\n",
      rss, (io_after.first - io_before.first) / 1024 / static_cast<double>(accounts),
      (io_after.second - io_before.second) / 1024 / static_cast<double>(accounts));
  bool ok = !window.failures.any();
  for (const auto& f : window.failures.what) std::printf("  FAILED: %s\n", f.c_str());
  if (ok) ok = check_store(db, plans, window, accounts);
  std::printf("%s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
