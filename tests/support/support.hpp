// Test helpers: temporary directories, spawning the real binary, a raw HTTP/1.1 client.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
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

// CSV for import-accounts with `n` one-zone, 5-digit accounts 0000000001.. (serial S0000001..)
// installed on 2025-01-10 at 1000, plus the two-zone account 0123456789 / A1234567.
std::string accounts_csv(int n);

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};
// Runs build/meterdesk with arguments and extra environment; waits for it.
RunResult run_meterdesk(const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env = {},
                        const std::string& input = {});  // standard input
std::string meterdesk_binary();
// Starts build/meterdesk in the background, its output discarded; the caller waits for it.
pid_t start_meterdesk(const std::vector<std::string>& args);
// The first column of the first row of `sql` on the database file, read-only; "" if none.
std::string sql_value(const std::string& db, const std::string& sql);

// A `meterdesk serve` on an ephemeral loopback port.
class ServerProcess {
 public:
  ServerProcess(const std::string& db, const std::vector<std::string>& extra_args = {},
                const std::map<std::string, std::string>& env = {});
  ~ServerProcess();
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  void kill(int signal = SIGKILL);
  int wait();  // exit status, or 128+signal
  [[nodiscard]] std::string log() const;

 private:
  pid_t pid_ = -1;
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

}  // namespace md::test
