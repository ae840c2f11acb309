// bench/import: a DSO moving in. N accounts (a third of them two-zone) and M months of their
// readings as the CSV files `meterdesk import-accounts` and `import-readings` take, imported by
// the command line as an operator runs it: wall time, rows per second and peak RSS of each, the
// database's size, and the store checked against the files (every row there once). Then a copy
// of the readings' first rows with one bad row at its end: it must be refused whole, naming the
// line, with nothing of it kept.
//   build/bench/bench_import [--quick] [--accounts N] [--months M] [--keep DIR]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "bench/common/bench.hpp"
#include "store/store.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Run {
  int exit_code = -1;
  double seconds = 0;
  long peak_rss_mib = 0;
  std::string err;  // the command's stderr
};

// Runs `meterdesk ARGS…` with stderr to a file; its wall time and peak RSS (wait4).
Run meterdesk(const std::vector<std::string>& args, const std::string& err_file) {
  std::fflush(stdout);
  const auto start = Clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    if (!std::freopen(err_file.c_str(), "w", stderr)) _exit(126);
    if (!std::freopen("/dev/null", "w", stdout)) _exit(126);
    std::vector<char*> argv{const_cast<char*>(METERDESK_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(METERDESK_BINARY, argv.data());
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  Run r;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.peak_rss_mib = usage.ru_maxrss / 1024;
  std::ifstream in(err_file);
  r.err.assign(std::istreambuf_iterator<char>(in), {});
  return r;
}

// The two files, as a DSO's old system would export them: account order, a year of monthly
// readings ending in the month before the window (the values grow by a household's 80–400 kWh).
void write_files(const std::string& accounts_csv, const std::string& readings_csv, int accounts,
                 int months) {
  std::FILE* a = std::fopen(accounts_csv.c_str(), "w");
  std::FILE* r = std::fopen(readings_csv.c_str(), "w");
  std::fputs(
      "account,holder,phone,email,address,eic,meter_serial,zones,digits,installed_on,initial\n", a);
  std::fputs("account,meter_serial,taken_on,type,values\n", r);
  std::mt19937 rng(2026);
  std::uniform_int_distribution<int> use(80, 400);
  for (int i = 0; i < accounts; ++i) {
    const bool two = i % 3 == 0;
    long day = 10000 + i % 5000, night = 4000 + i % 3000;
    std::fprintf(a, "%010d,Holder %d,+38067%07d,,\"Odesa, street %d\",%s,S%07d,%d,6,2025-10-20,",
                 i + 1, i, i % 10000000, i % 997, md::bench::eic_of(i).c_str(), i + 1, two ? 2 : 1);
    if (two)
      std::fprintf(a, "%ld/%ld\n", day, night);
    else
      std::fprintf(a, "%ld\n", day);
    for (int m = 0; m < months; ++m) {
      const int year = 2025 + (m + 10) / 12, month = (m + 10) % 12 + 1;
      const int kwh = use(rng);
      day += two ? kwh * 2 / 3 : kwh;
      night += kwh / 3;
      std::fprintf(r, "%010d,S%07d,%04d-%02d-28,customer,", i + 1, i + 1, year, month);
      if (two)
        std::fprintf(r, "%ld/%ld\n", day, night);
      else
        std::fprintf(r, "%ld\n", day);
    }
  }
  std::fclose(a);
  std::fclose(r);
}

}  // namespace

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);  // each line as it comes, also into a pipe
  int accounts = 1000000, months = 12;
  std::string keep;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      accounts = 100000;
    } else if (arg == "--accounts" && i + 1 < argc) {
      accounts = std::atoi(argv[++i]);
    } else if (arg == "--months" && i + 1 < argc) {
      months = std::atoi(argv[++i]);
    } else if (arg == "--keep" && i + 1 < argc) {
      keep = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--quick] [--accounts N] [--months M] [--keep DIR]\n",
                   argv[0]);
      return 2;
    }
  }
  if (accounts < 10 || months < 1 || months > 12) {
    std::fprintf(stderr, "--accounts at least 10, --months 1 to 12\n");
    return 2;
  }
  namespace fs = std::filesystem;
  const fs::path dir =
      keep.empty() ? fs::temp_directory_path() / ("meterdesk-import-" + std::to_string(getpid()))
                   : fs::path(keep);
  fs::create_directories(dir);
  const std::string accounts_csv = dir / "accounts.csv", readings_csv = dir / "readings.csv",
                    db = dir / "import.db", err = dir / "stderr.txt";
  const long readings = static_cast<long>(accounts) * months;

  auto t = Clock::now();
  write_files(accounts_csv, readings_csv, accounts, months);
  std::printf("files: %d accounts (%.0f MB), %ld readings (%.0f MB), written in %.1f s\n", accounts,
              static_cast<double>(fs::file_size(accounts_csv)) / 1e6, readings,
              static_cast<double>(fs::file_size(readings_csv)) / 1e6,
              std::chrono::duration<double>(Clock::now() - t).count());
  const std::vector<std::string> now{"--db", db, "--now", "2026-11-12T10:00:00"};
  auto with = [&](std::vector<std::string> a) {
    a.insert(a.end(), now.begin(), now.end());
    return a;
  };
  bool ok = true;
  auto step = [&](const char* what, long rows, const Run& r) {
    std::printf("%-16s %9ld rows %8.1f s %9.0f rows/s  peak RSS %5ld MiB%s\n", what, rows,
                r.seconds, static_cast<double>(rows) / r.seconds, r.peak_rss_mib,
                r.exit_code == 0 ? "" : "  FAILED");
    if (r.exit_code != 0) {
      std::printf("%s\n", r.err.c_str());
      ok = false;
    }
  };
  fs::remove(db);
  if (meterdesk(with({"migrate"}), err).exit_code != 0) {
    std::fprintf(stderr, "migrate failed\n");
    return 1;
  }
  const Run imported_accounts = meterdesk(with({"import-accounts", accounts_csv}), err);
  step("import-accounts", accounts, imported_accounts);
  const Run imported_readings = meterdesk(with({"import-readings", readings_csv}), err);
  step("import-readings", readings, imported_readings);
  const double total = imported_accounts.seconds + imported_readings.seconds;
  std::printf("moved in: %d accounts and %ld readings in %.1f s; database %.2f GB\n", accounts,
              readings, total, static_cast<double>(fs::file_size(db)) / 1e9);

  // The store against the files: one account, one installation reading and `months` readings
  // for every account.
  auto store = md::store::open_store(db);
  const auto counts = store->counts();
  const long expected = accounts + readings;
  std::printf("store: %ld accounts, %ld readings (expected %d and %ld)\n",
              static_cast<long>(counts.accounts), static_cast<long>(counts.submissions), accounts,
              expected);
  if (counts.accounts != accounts || counts.submissions != expected) ok = false;

  // A bad row after 10,000 good ones: refused whole, its line named, nothing kept.
  const std::string bad_csv = dir / "bad.csv";
  {
    std::ifstream in(readings_csv);
    std::ofstream out(bad_csv);
    std::string line;
    for (int n = 0; n <= 10000 && std::getline(in, line); ++n) out << line << '\n';
    out << "0000000002,S0000002,2026-11-05,customer,12\n";  // below what the meter showed
  }
  const Run bad = meterdesk(with({"import-readings", bad_csv}), err);
  const bool named = bad.err.find("line 10002: lower_than_previous") != std::string::npos;
  const bool kept_nothing = store->counts().submissions == expected;
  std::printf("a bad row at line 10,002: %s, %s, %s\n",
              bad.exit_code == 1 ? "refused" : "NOT refused",
              named ? "its line named" : "its line NOT named",
              kept_nothing ? "nothing kept" : "SOMETHING KEPT");
  if (bad.exit_code != 1 || !named || !kept_nothing) {
    std::printf("%s\n", bad.err.c_str());
    ok = false;
  }
  store.reset();
  if (keep.empty()) fs::remove_all(dir);
  std::printf("%s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
