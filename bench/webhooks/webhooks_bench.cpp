// bench/webhooks: Telegram webhook updates processed per second through the whole path: the secret
// check, parsing, dedupe on update_id, the conversation step (with its lookups and validation),
// the conversation's state and the replies written to the outbox, one durable group commit, then
// the 200. Beside it, in the same run: the HTTP ceiling of the same server (GET /healthz) and the
// in-process rate of the messenger service (no HTTP), and Viber's signature check alone.
//
//   bench/webhooks/run.sh [--chats N] [--duration S] [--connections C] [--db ADMIN_URL]
// With --db postgresql://… (a cluster's admin URL) on PostgreSQL instead of SQLite.
#include <atomic>
#include <filesystem>

#include "bench/common/bench.hpp"
#include "channels/telegram/telegram.hpp"
#include "channels/viber/viber.hpp"
#include "dialog/messenger.hpp"
#include "service/ingestor.hpp"

using namespace md;
using Clock = std::chrono::steady_clock;

namespace {

int chats = 20000, duration = 10, connections = 64;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// The same conversation mix as telegram.lua, straight into the messenger service.
double service_rate(const std::string& path, int updates) {
  auto store = store::open_store(path);
  service::Submissions subs{service::ServiceConfig{}};
  service::Clock clock{*domain::parse_instant("2026-11-30T10:00:00")};
  service::Ingestor ingestor(*store, subs, clock, nullptr,
                             service::IngestOptions{512, static_cast<std::size_t>(updates) + 1});
  dialog::Messenger messenger(*store, ingestor, subs, nullptr);
  messenger.add_channel("telegram", &telegram::render);
  std::atomic<int> done{0}, failed{0};
  auto start = Clock::now();
  for (int n = 0; n < updates; ++n) {
    int chat = n % chats, round = n / chats;
    dialog::Inbound in;
    in.channel = "telegram";
    in.update_key = std::to_string(n + 1);
    in.chat_id = std::to_string(chat + 1);
    in.event.kind = round == 0 ? dialog::Event::Kind::command : dialog::Event::Kind::text;
    in.event.text = round == 0   ? "start"
                    : round == 1 ? bench::account_of(chat)
                    : round == 2 ? bench::serial_of(chat)
                                 : std::to_string(1000 + round);
    // A full queue hands the update back unprocessed: each try gets its own copy (a moved-from
    // one would be an empty update on the retry).
    while (!messenger.handle_async(in, [&](dialog::Messenger::Result r) {
      if (r != dialog::Messenger::Result::processed) ++failed;
      ++done;
    }))
      std::this_thread::yield();
  }
  while (done.load() < updates) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  double rate = updates / seconds_since(start);
  ingestor.stop();
  if (failed) std::fprintf(stderr, "service: %d updates not processed\n", failed.load());
  return rate;
}

double viber_signature_rate() {
  const std::string body =
      R"({"event":"message","timestamp":1457764197627,"message_token":4912661846655238145,)"
      R"("sender":{"id":"01234567890A=","name":"Olena","language":"uk"},)"
      R"("message":{"type":"text","text":"12120"}})";
  const std::string token = "44dafb7e0f40021e-61a47a1e6778d187-f2c5a676a07050b3";
  const std::string sig = viber::signature(body, token);
  const int n = 200000;
  int ok = 0;
  auto start = Clock::now();
  for (int i = 0; i < n; ++i) ok += viber::signature_ok(body, token, sig) ? 1 : 0;
  double rate = n / seconds_since(start);
  if (ok != n) std::fprintf(stderr, "signature check failed\n");
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);  // each line as it comes, also into a pipe
  std::string postgres;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    int v = std::atoi(argv[i + 1]);
    if (a == "--db")
      postgres = argv[i + 1];
    else if (a == "--chats")
      chats = v;
    else if (a == "--duration")
      duration = v;
    else if (a == "--connections")
      connections = v;
  }
  auto dir =
      std::filesystem::temp_directory_path() / ("meterdesk-webhooks-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string base = (dir / "base.db").string();
  if (!postgres.empty()) base = bench::postgres_copy(postgres, "template0", "bench_hooks_base");
  auto t = Clock::now();
  bench::prepare_accounts(base, chats);
  std::printf("prepared %d accounts in %.1f s\n", chats, seconds_since(t));
  auto copy = [&](const std::string& name) {
    if (!postgres.empty())
      return bench::postgres_copy(postgres, "bench_hooks_base",
                                  "bench_hooks_" + name.substr(0, name.find('.')));
    std::string path = (dir / name).string();
    std::filesystem::copy_file(base, path);
    return path;
  };

  double sig = viber_signature_rate();
  std::printf("Viber signature checks (HMAC-SHA256 of a 200-byte body): %.0f/s\n", sig);
  int updates = std::max(100000, chats * 5);
  double service = service_rate(copy("service.db"), updates);
  std::printf("messenger service in-process (no HTTP):                  %.0f updates/s\n", service);

  std::string db = copy("http.db");
  const std::string secret = "bench-secret";
  // The outbox has nowhere to send (a closed port) and is held to one try a second, so the
  // measurement is the webhook path; sending is the platforms' pace anyway (30/s for Telegram).
  auto server = bench::start_server(db, (dir / "serve.log").string(), "2026-11-30T10:00:00+02:00",
                                    {{"METERDESK_TELEGRAM_BOT_TOKEN", "1:bench"},
                                     {"METERDESK_TELEGRAM_SECRET_TOKEN", secret},
                                     {"METERDESK_TELEGRAM_API_BASE", "http://127.0.0.1:9"},
                                     {"METERDESK_TELEGRAM_PER_SECOND", "1"}});
  if (!server.port) {
    std::fprintf(stderr, "server did not start\n");
    return 1;
  }
  std::string here = std::filesystem::path(METERDESK_WRK_SCRIPT).parent_path().string();
  const std::string env = "BENCH_CHATS=" + std::to_string(chats) + " BENCH_SECRET=" + secret;
  auto health = bench::run_wrk(server.port, "/healthz", here + "/../ingest/healthz.lua", env,
                               connections, duration);
  auto hooks = bench::run_wrk(server.port, "/webhooks/telegram", METERDESK_WRK_SCRIPT, env,
                              connections, duration);
  bench::stop_server(server);

  long processed = std::atol(
      bench::sql_count(db, "SELECT count(*) FROM bot_updates WHERE channel = 'telegram'").c_str());
  long queued = std::atol(bench::sql_count(db, "SELECT count(*) FROM outbox").c_str());
  double ok_rps = hooks.ok_rps();
  std::printf("\n%-46s %12s %9s %9s\n", "", "per second", "p50 ms", "p99 ms");
  std::printf("%-46s %12.0f %9.2f %9.2f\n", "HTTP ceiling: GET /healthz", health.rps,
              health.p50_ms(), health.p99_ms());
  std::printf("%-46s %12.0f %9.2f %9.2f\n", "Telegram updates processed over HTTP", ok_rps,
              hooks.p50_ms(), hooks.p99_ms());
  std::printf("%-46s %12.0f\n", "messenger service in-process (no HTTP)", service);
  std::printf(
      "\nrequests %ld, non-2xx %ld, socket errors %ld; updates recorded %ld, replies "
      "queued %ld\n",
      hooks.requests, hooks.non2xx, hooks.errors, processed, queued);
  std::printf("wrk -t1 -c%d -d%ds; %d chats; machine: %u cores\n", connections, duration, chats,
              std::thread::hardware_concurrency());
  std::error_code ignored;  // a leftover temporary directory is no reason to lose the result
  std::filesystem::remove_all(dir, ignored);
  // Every 200 is a recorded update (a few more may be recorded than wrk counted at its deadline).
  return hooks.non2xx == 0 && processed >= hooks.requests ? 0 : 1;
}
