// Test helpers: temporary directories, spawning the real binary, a raw HTTP/1.1 client.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace md::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

void write_file(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);
// What xmllint (Debian libxml2-utils) says when `xml` does not follow the XML Schema at `xsd` (a
// path under the source tree, e.g. "docs/schemas/cim-meter-readings.xsd"); "" when it does.
std::string xml_schema_errors(const std::string& xml, const std::string& xsd);

// CSV for import-accounts with `n` one-zone, 5-digit accounts 0000000001.. (serial S0000001..)
// installed on 2025-01-10 at 1000, plus the two-zone account 0123456789 / A1234567.
std::string accounts_csv(int n);
// accounts_csv(n) imported as of 2026-01-10 into `db` (a SQLite file or a PostgreSQL URL), the
// CSV written in `dir`; a failed import fails the test.
void import_accounts(const TempDir& dir, const std::string& db, int n);
// A SQLite database `name` in `dir` with accounts_csv(n) imported as of 2026-01-10 (a failed
// import fails the test); its path.
std::string db_with_accounts(const TempDir& dir, const std::string& name, int n);
// The first piece of accounts_csv(n)'s personal data (a holder, phone, e-mail, address, account
// number, meter serial, EIC) found in `text`, or "" when there is none: for logs.
std::string personal_data_in(const std::string& text, int n);

// The largest resident set process `pid` has had (VmHWM), in MiB; 0 when it is gone.
double peak_rss_mib(pid_t pid);

// A loopback port free at the moment of asking (SOCK_STREAM or SOCK_DGRAM): the system's pick.
std::uint16_t free_port(int type);

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};
// Runs build/meterdesk with arguments and extra environment; waits for it.
RunResult run_meterdesk(const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env = {},
                        const std::string& input = {});  // standard input
std::string meterdesk_binary();
// The checkout's root (docs/, scripts/, tests/conformance/ ...).
std::string source_dir();
// The environment that gives `meterdesk serve` a disk that is full while `marker` exists, at the
// byte it says (tests/support/disk_full.cpp): for files in the marker's directory.
std::map<std::string, std::string> full_disk_env(const std::string& marker);
// Starts build/meterdesk in the background, its output discarded; the caller waits for it.
pid_t start_meterdesk(const std::vector<std::string>& args);
// The database a store or service test runs on: a SQLite file in `dir`, or, when
// METERDESK_TEST_BACKEND=postgres, a fresh database on the cluster METERDESK_TEST_POSTGRES
// (./test.sh starts one with scripts/pg-test.sh and runs those suites on both).
std::string test_db(const TempDir& dir, const std::string& name);
bool on_postgres();
// A fresh, empty database on the test cluster (METERDESK_TEST_POSTGRES), as a URL.
std::string postgres_db();
// The first column of the first row of `sql` on the database (file or URL); "" if none.
std::string sql_value(const std::string& db, const std::string& sql);
// Each row of `sql` on the database (file or URL), its columns as text ("" for NULL), streamed
// (millions of rows hold no more than one in memory); false and the error when the query failed.
bool sql_each(const std::string& db, const std::string& sql,
              const std::function<void(const std::vector<std::string>& row)>& each,
              std::string* error = nullptr);
// Runs `sql` (several statements allowed) through a separate connection, as a tool or an
// attacker would; the error message, "" when it succeeded.
std::string sql_exec(const std::string& db, const std::string& sql);

// A `meterdesk serve` on an ephemeral loopback port.
class ServerProcess {
 public:
  ServerProcess(const std::string& db, const std::vector<std::string>& extra_args = {},
                const std::map<std::string, std::string>& env = {});
  ~ServerProcess();
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  void kill(int signal = SIGKILL);  // the destructor stops it with SIGTERM and wants exit 0
  int wait();                       // exit status, or 128+signal
  [[nodiscard]] std::string log() const;

 private:
  pid_t pid_ = -1;
  bool killed_ = false;  // by the test (SIGKILL): no clean stop to check
  std::uint16_t port_ = 0;
  std::string log_path_;
  TempDir dir_;
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// One connection; requests go out one at a time (keep-alive).
class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port);
  ~HttpClient();
  // nullopt when the connection broke before a whole response arrived.
  std::optional<HttpResponse> request(const std::string& method, const std::string& target,
                                      const std::string& body = {},
                                      const std::map<std::string, std::string>& headers = {});
  bool send_raw(const std::string& bytes);
  std::optional<HttpResponse> read_response();
  // True if the server closed the connection within `timeout`.
  bool closed_within(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  std::string buffer_;
};

HttpResponse http(std::uint16_t port, const std::string& method, const std::string& target,
                  const std::string& body = {},
                  const std::map<std::string, std::string>& headers = {});

// A messenger platform's API on loopback (Telegram Bot API or Viber REST API as our outbox sees
// them): records every request and answers what `answer` says. Keep-alive like the real ones.
class FakePlatform {
 public:
  struct Call {
    std::string method, path, body;
    std::map<std::string, std::string> headers;  // lower-case names
  };
  struct Answer {
    int status = 200;
    std::string body;
  };
  // Telegram's {"ok":true,...} by default.
  explicit FakePlatform(std::function<Answer(const Call&)> answer = {});
  ~FakePlatform();
  FakePlatform(const FakePlatform&) = delete;
  FakePlatform& operator=(const FakePlatform&) = delete;
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<Call> calls();
  // Waits until at least `n` calls arrived (or the timeout); returns them.
  std::vector<Call> wait_for(std::size_t n,
                             std::chrono::seconds timeout = std::chrono::seconds(20));
  void set_answer(std::function<Answer(const Call&)> answer);

 private:
  void serve(int fd);
  std::uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Call> calls_;
  std::function<Answer(const Call&)> answer_;
  std::thread acceptor_;
  std::vector<std::thread> workers_;
  std::vector<int> fds_;
};

}  // namespace md::test
