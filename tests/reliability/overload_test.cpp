// Overload: far more readings than the server can commit. Excess requests get a quick 503 with
// retry advice, memory stays bounded, /healthz keeps answering, and once the load stops readings
// are taken again. The capacity is lowered on purpose (one reading per commit, a queue of 32
// against 256 connections), so wrk on 2 cores offers many times it. The figures it prints are in
// docs/reliability.md.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <regex>
#include <thread>

#include "support/support.hpp"

using namespace md::test;

namespace {

long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

}  // namespace

TEST(Overload, ExcessIsRefusedQuicklyHealthStaysUpAndItRecovers) {
  ASSERT_EQ(std::system("command -v wrk >/dev/null"), 0) << "wrk: scripts/deps.sh test installs it";
  TempDir dir;
  const std::string db = dir.file("over.db");
  constexpr int kAccounts = 2000;
  write_file(dir.file("a.csv"), accounts_csv(kAccounts));
  ASSERT_EQ(run_meterdesk(
                {"import-accounts", dir.file("a.csv"), "--db", db, "--now", "2026-01-10T12:00:00"})
                .exit_code,
            0);
  ServerProcess server(db, {"--now", "2026-11-30T10:00:00+02:00"},
                       {{"METERDESK_INGEST_MAX_BATCH", "1"},
                        {"METERDESK_INGEST_MAX_QUEUE", "32"},
                        {"METERDESK_CLOSE_AUTOMATIC", "false"}});
  const long rss_before = rss_kib(server.pid());

  std::atomic<bool> loading{true};
  std::atomic<int> probes{0}, probe_failures{0};
  std::atomic<long> peak_rss{rss_before};
  std::atomic<long long> slowest_probe_us{0};
  std::thread prober([&] {
    while (loading) {
      auto started = std::chrono::steady_clock::now();
      auto r = http(server.port(), "GET", "/healthz");
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count();
      ++probes;
      if (r.status != 200) ++probe_failures;
      slowest_probe_us = std::max<long long>(slowest_probe_us, us);
      peak_rss = std::max(peak_rss.load(), rss_kib(server.pid()));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  const std::string script = source_dir() + "/bench/ingest/submit.lua";
  const std::string out_file = dir.file("wrk.txt");
  const std::string cmd = "BENCH_ACCOUNTS=" + std::to_string(kAccounts) +
                          " wrk -t2 -c256 -d8s --timeout 10s -s " + script +
                          " http://127.0.0.1:" + std::to_string(server.port()) +
                          "/api/v1/readings > " + out_file + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  loading = false;
  prober.join();
  const std::string wrk = read_file(out_file);

  std::smatch m;
  long long total = 0, non2xx = 0;
  if (std::regex_search(wrk, m, std::regex(R"((\d+) requests in)"))) total = std::stoll(m[1]);
  if (std::regex_search(wrk, m, std::regex(R"(Non-2xx or 3xx responses: (\d+))")))
    non2xx = std::stoll(m[1]);
  EXPECT_GT(total, 0) << wrk;
  // How many are refused depends on the machine's speed; that some are, quickly, does not.
  EXPECT_GT(non2xx, 0) << "the server sheds what it cannot commit\n" << wrk;
  EXPECT_EQ(wrk.find("Socket errors"), std::string::npos) << "every request was answered\n" << wrk;
  EXPECT_GE(probes.load(), 1);
  EXPECT_EQ(probe_failures.load(), 0) << "/healthz answered throughout";
  // A loose bound (ASan's shadow memory included): an unbounded queue would blow through it.
  EXPECT_LT(peak_rss.load(), 2L * 1024 * 1024) << "memory stays bounded (KiB)";

  // The load is gone: once the writer has drained what it had queued, readings are taken again
  // (a 503 meanwhile carries Retry-After, as a client would honour).
  HttpResponse r;
  for (int attempt = 0; attempt < 100; ++attempt) {
    r = http(server.port(), "POST", "/api/v1/readings",
             R"({"account":"0000000001","meter_serial":"S0000001","readings":{"total":1500}})");
    if (r.status != 503) break;
    EXPECT_FALSE(r.headers["retry-after"].empty());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(r.status, 201) << r.body;
  std::printf(
      "overload: %lld requests in 8 s, %lld refused (503), %lld accepted; /healthz "
      "%d probes, slowest %.1f ms; RSS %ld KiB before, %ld KiB at peak\n",
      total, non2xx, total - non2xx, probes.load(),
      static_cast<double>(slowest_probe_us.load()) / 1000.0, rss_before, peak_rss.load());
}
