#include "support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <nlohmann/json.hpp>

#ifndef METERDESK_BINARY
#error "METERDESK_BINARY must name the built meterdesk binary"
#endif

namespace md::test {

void record(const std::string& method, const std::string& target,
            const std::map<std::string, std::string>& headers, const std::string& body,
            const HttpResponse& response);

TempDir::TempDir() {
  std::random_device rd;
  auto base = std::filesystem::temp_directory_path();
  for (;;) {
    path_ = base / ("meterdesk-test-" + std::to_string(rd()));
    if (std::filesystem::create_directory(path_)) break;
  }
}
TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

double peak_rss_mib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("VmHWM:")) return std::atof(line.c_str() + 6) / 1024;
  return 0;
}

void import_accounts(const TempDir& dir, const std::string& db, int n) {
  const std::string csv = dir.file("accounts-" + std::to_string(n) + ".csv");
  write_file(csv, accounts_csv(n));
  auto r = run_meterdesk({"import-accounts", csv, "--db", db, "--now", "2026-01-10T12:00:00"});
  if (r.exit_code != 0) ADD_FAILURE() << "import-accounts: " << r.err;
}

std::string db_with_accounts(const TempDir& dir, const std::string& name, int n) {
  std::string db = dir.file(name);
  import_accounts(dir, db, n);
  return db;
}

std::string xml_schema_errors(const std::string& xml, const std::string& xsd) {
  TempDir dir;
  const std::string doc = dir.file("document.xml"), said = dir.file("xmllint.txt");
  write_file(doc, xml);
  const std::string command = "xmllint --noout --schema '" + source_dir() + "/" + xsd + "' '" +
                              doc + "' > '" + said + "' 2>&1";
  if (std::system(command.c_str()) == 0) return "";
  std::string out = read_file(said);
  return out.empty() ? "xmllint failed to run (scripts/deps.sh test installs libxml2-utils)" : out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::uint16_t free_port(int type) {
  int fd = ::socket(AF_INET, type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  // Port 0 would make a server pick its own, and the test talk to the wrong one.
  const bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  if (fd >= 0) ::close(fd);
  if (!ok) throw std::runtime_error("no free loopback port");
  return ntohs(a.sin_port);
}

std::string accounts_csv(int n) {
  std::string csv =
      "account,holder,phone,email,address,eic,meter_serial,zones,digits,installed_on,initial\n"
      "0123456789,Шевченко Олена,+380671234567,olena@example.com,\"м. Одеса, вул. Канатна, 1\","
      "62Z000000000001B,A1234567,2,6,2025-01-10,12000/6000\n";
  for (int i = 1; i <= n; ++i) {
    char account[16], serial[16], eic15[16];
    std::snprintf(account, sizeof account, "%010d", i);
    std::snprintf(serial, sizeof serial, "S%07d", i);
    // EICs 62Z0000001xxxxx with a valid check character.
    for (int bump = 0;; ++bump) {
      std::snprintf(eic15, sizeof eic15, "62Z%012d", 1000000 + i * 10 + bump);
      int sum = 0;
      for (int k = 0; k < 15; ++k) {
        char c = eic15[k];
        int v = c >= '0' && c <= '9' ? c - '0' : (c >= 'A' && c <= 'Z' ? c - 'A' + 10 : 36);
        sum += v * (16 - k);
      }
      int check = 36 - ((sum - 1) % 37);
      if (check == 36) continue;
      char cc = static_cast<char>(check < 10 ? '0' + check : 'A' + check - 10);
      csv += std::string(account) + ",Holder " + std::to_string(i) + ",,,Odesa," + eic15 + cc +
             "," + serial + ",1,5,2025-01-10,1000\n";
      break;
    }
  }
  return csv;
}

std::string personal_data_in(const std::string& text, int n) {
  std::vector<std::string> data;
  std::istringstream csv(accounts_csv(n));
  std::string line;
  std::getline(csv, line);  // the header
  while (std::getline(csv, line)) {
    // account, holder, phone, email, "address", eic, meter_serial, …: the address is quoted.
    std::vector<std::string> fields;
    std::string field;
    bool quoted = false;
    for (char c : line) {
      if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        fields.push_back(field);
        field.clear();
      } else {
        field += c;
      }
    }
    fields.push_back(field);
    // Every town is Odesa: only the first account's street address names a home.
    for (std::size_t i = 0; i < 7 && i < fields.size(); ++i)
      if (!fields[i].empty() && fields[i] != "Odesa") data.push_back(fields[i]);
    if (fields[2].starts_with("+")) data.push_back(fields[2].substr(4));  // without +380
  }
  for (const auto& d : data)
    if (text.find(d) != std::string::npos) return d;
  return "";
}

std::string meterdesk_binary() {
  return METERDESK_BINARY;
}

std::string source_dir() {
  return METERDESK_SOURCE_DIR;
}

std::map<std::string, std::string> full_disk_env(const std::string& marker) {
  // Under ASan the preloaded library comes before the sanitizer's runtime, which it allows when
  // told; it keeps intercepting the writes the library passes on.
  const char* asan = std::getenv("ASAN_OPTIONS");
  return {{"LD_PRELOAD", METERDESK_DISK_FULL_LIBRARY},
          {"METERDESK_TEST_DISK_FULL", marker},
          {"ASAN_OPTIONS", std::string(asan ? asan : "") + (asan && *asan ? ":" : "") +
                               "verify_asan_link_order=0"}};
}

namespace {
pid_t spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            const std::string& out_path, const std::string& err_path,
            const std::string& in_path = "/dev/null") {
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    int in = ::open(in_path.c_str(), O_RDONLY);
    dup2(in, 0);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    std::string binary = meterdesk_binary();
    argv.push_back(binary.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}
}  // namespace

pid_t start_meterdesk(const std::vector<std::string>& args) {
  return spawn(args, {}, "/dev/null", "/dev/null");
}

namespace {
bool is_postgres(const std::string& db) {
  return db.starts_with("postgresql://") || db.starts_with("postgres://");
}
// Runs `sql` on PostgreSQL; the first column of the first row, or the error.
std::pair<std::string, std::string> pg_run(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  std::string value, error;
  if (PQstatus(c) != CONNECTION_OK) {
    error = PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    auto status = PQresultStatus(r);
    if (status == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
      value = PQgetvalue(r, 0, 0);
    else if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK)
      error = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
  return {value, error};
}
}  // namespace

bool on_postgres() {
  const char* b = std::getenv("METERDESK_TEST_BACKEND");
  return b && std::string_view(b) == "postgres";
}

std::string test_db(const TempDir& dir, const std::string& name) {
  return on_postgres() ? postgres_db() : dir.file(name);
}

std::string postgres_db() {
  const char* admin = std::getenv("METERDESK_TEST_POSTGRES");
  if (!admin || !*admin)
    throw std::runtime_error(
        "METERDESK_TEST_BACKEND=postgres needs METERDESK_TEST_POSTGRES (./test.sh starts a "
        "cluster with scripts/pg-test.sh and sets it)");
  static std::atomic<int> counter{0};
  // The start time too: a long-lived development cluster keeps the databases of earlier runs, and
  // process ids come round again.
  static const auto started = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  std::string db = "t" + std::to_string(getpid()) + "_" + std::to_string(started) + "_" +
                   std::to_string(++counter);
  auto [value, error] = pg_run(admin, "CREATE DATABASE " + db);
  if (!error.empty()) throw std::runtime_error("CREATE DATABASE " + db + ": " + error);
  std::string url = admin;
  auto slash = url.rfind('/');
  auto query = url.find('?', slash);
  url.replace(slash + 1, (query == std::string::npos ? url.size() : query) - slash - 1, db);
  return url;
}

std::string sql_exec(const std::string& db, const std::string& sql) {
  if (is_postgres(db)) return pg_run(db, sql).second;
  sqlite3* h = nullptr;
  sqlite3_open(db.c_str(), &h);
  sqlite3_trace_v2(h, 0, nullptr, nullptr);  // not the store's statements: no plan check
  // A running server may hold the write lock for a moment (its outbox, a checkpoint): wait for
  // it as the server's own connections do, rather than fail at random.
  sqlite3_busy_timeout(h, 10000);
  char* err = nullptr;
  int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = rc == SQLITE_OK ? "" : (err ? err : "error");
  sqlite3_free(err);
  sqlite3_close(h);
  return msg;
}

std::string sql_value(const std::string& db, const std::string& sql) {
  if (is_postgres(db)) return pg_run(db, sql).first;
  sqlite3* h = nullptr;
  sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_trace_v2(h, 0, nullptr, nullptr);  // not the store's statements: no plan check
  sqlite3_stmt* st = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

bool sql_each(const std::string& db, const std::string& sql,
              const std::function<void(const std::vector<std::string>& row)>& each,
              std::string* error) {
  std::vector<std::string> row;
  std::string failed;
  if (is_postgres(db)) {
    PGconn* c = PQconnectdb(db.c_str());
    if (PQstatus(c) != CONNECTION_OK || !PQsendQuery(c, sql.c_str()) || !PQsetSingleRowMode(c))
      failed = PQerrorMessage(c);
    while (PGresult* r = failed.empty() ? PQgetResult(c) : nullptr) {
      const auto status = PQresultStatus(r);
      if (status == PGRES_SINGLE_TUPLE) {
        row.assign(static_cast<std::size_t>(PQnfields(r)), {});
        for (int i = 0; i < PQnfields(r); ++i)
          row[static_cast<std::size_t>(i)] = PQgetvalue(r, 0, i);
        each(row);
      } else if (status != PGRES_TUPLES_OK) {
        failed = PQresultErrorMessage(r);
      }
      PQclear(r);
    }
    PQfinish(c);
  } else {
    sqlite3* h = nullptr;
    sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_trace_v2(h, 0, nullptr, nullptr);  // not the store's statements: no plan check
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      failed = sqlite3_errmsg(h);
    } else {
      int rc = SQLITE_ROW;
      while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        row.assign(static_cast<std::size_t>(sqlite3_column_count(st)), {});
        for (int i = 0; i < sqlite3_column_count(st); ++i)
          if (const auto* t = sqlite3_column_text(st, i))
            row[static_cast<std::size_t>(i)] = reinterpret_cast<const char*>(t);
        each(row);
      }
      if (rc != SQLITE_DONE) failed = sqlite3_errmsg(h);
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
  }
  if (error) *error = failed;
  return failed.empty();
}

RunResult run_meterdesk(const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env, const std::string& input) {
  TempDir dir;
  write_file(dir.file("in"), input);
  pid_t pid = spawn(args, env, dir.file("out"), dir.file("err"), dir.file("in"));
  int status = 0;
  waitpid(pid, &status, 0);
  return RunResult{exit_code_of(status), read_file(dir.file("out")), read_file(dir.file("err"))};
}

ServerProcess::ServerProcess(const std::string& db, const std::vector<std::string>& extra_args,
                             const std::map<std::string, std::string>& env) {
  log_path_ = dir_.file("log");
  std::vector<std::string> args = {"serve", "--db", db, "--listen", "127.0.0.1:0"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = spawn(args, env, log_path_, log_path_ + ".err");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string text = read_file(log_path_);
    auto at = text.find("serving http://127.0.0.1:");
    if (at != std::string::npos) {
      port_ = static_cast<std::uint16_t>(std::atoi(text.c_str() + at + 25));
      if (port_) return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("server exited: " + text + read_file(log_path_ + ".err"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("server did not start: " + read_file(log_path_));
}

// Each server a test started is stopped as systemd stops it, with SIGTERM, and must finish
// cleanly (exit 0: queued work done, the store closed, and under the sanitizers no leak) within
// the time below; a test that wants a crash kills it itself first.
ServerProcess::~ServerProcess() {
  if (pid_ <= 0) return;
  int status = 0;
  if (killed_) {
    waitpid(pid_, &status, 0);
    return;
  }
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (waitpid(pid_, &status, WNOHANG) != pid_) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      ADD_FAILURE() << "the server did not stop within 30 s of SIGTERM:\n" << log();
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (int code = exit_code_of(status); code != 0)
    ADD_FAILURE() << "the server stopped with " << code << " on SIGTERM:\n" << log();
}

void ServerProcess::kill(int signal) {
  if (pid_ <= 0) return;
  ::kill(pid_, signal);
  killed_ = killed_ || signal == SIGKILL;
}

int ServerProcess::wait() {
  if (pid_ <= 0) return -1;
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return exit_code_of(status);
}

std::string ServerProcess::log() const {
  return read_file(log_path_) + read_file(log_path_ + ".err");
}

HttpClient::HttpClient(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error("connect failed");
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

HttpClient::~HttpClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool HttpClient::send_raw(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::optional<HttpResponse> HttpClient::read_response() {
  auto fill = [&]() -> bool {
    char buf[65536];
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 30000) <= 0) return false;
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
  };
  size_t head_end;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos)
    if (!fill()) return std::nullopt;
  HttpResponse r;
  std::istringstream head(buffer_.substr(0, head_end));
  std::string line;
  std::getline(head, line);
  r.status = std::atoi(line.c_str() + 9);
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    // Repeated headers (Set-Cookie) are kept, one per line.
    auto [it, fresh] = r.headers.emplace(name, value);
    if (!fresh) it->second += "\n" + value;
  }
  size_t length = r.headers.count("content-length")
                      ? static_cast<size_t>(std::stoull(r.headers["content-length"]))
                      : 0;
  while (buffer_.size() < head_end + 4 + length)
    if (!fill()) return std::nullopt;
  r.body = buffer_.substr(head_end + 4, length);
  buffer_.erase(0, head_end + 4 + length);
  return r;
}

std::optional<HttpResponse> HttpClient::request(const std::string& method,
                                                const std::string& target, const std::string& body,
                                                const std::map<std::string, std::string>& headers) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  bool has_type = false;
  for (const auto& [k, v] : headers) {
    req += k + ": " + v + "\r\n";
    if (k == "Content-Type") has_type = true;
  }
  if (!body.empty() && !has_type) req += "Content-Type: application/json\r\n";
  if (!body.empty() || method == "POST")
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  if (!send_raw(req)) return std::nullopt;
  auto response = read_response();
  if (response) record(method, target, headers, body, *response);
  return response;
}

// With METERDESK_HTTP_RECORD=FILE every exchange is appended to FILE as a JSON line, for
// tests/api/validate.mjs to hold against docs/openapi.json.
void record(const std::string& method, const std::string& target,
            const std::map<std::string, std::string>& headers, const std::string& body,
            const HttpResponse& response) {
  const char* path = std::getenv("METERDESK_HTTP_RECORD");
  if (!path || !*path || body.size() > (1 << 20) || response.body.size() > (1 << 20)) return;
  nlohmann::json line;
  line["method"] = method;
  line["target"] = target;
  auto type = headers.find("Content-Type");
  line["request_type"] =
      type == headers.end() ? (body.empty() ? "" : "application/json") : type->second;
  line["request_body"] = body;
  line["status"] = response.status;
  auto rtype = response.headers.find("content-type");
  line["response_type"] = rtype == response.headers.end() ? "" : rtype->second;
  line["response_body"] = response.body;
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  // One write with O_APPEND per line: test processes running side by side do not interleave.
  int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) return;
  [[maybe_unused]] auto n = ::write(fd, text.data(), text.size());
  ::close(fd);
}

bool HttpClient::closed_within(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now())
                                    .count());
    if (::poll(&p, 1, std::max(left, 1)) > 0) {
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return true;
    }
  }
  return false;
}

HttpResponse http(std::uint16_t port, const std::string& method, const std::string& target,
                  const std::string& body, const std::map<std::string, std::string>& headers) {
  HttpClient c(port);
  auto r = c.request(method, target, body, headers);
  if (!r) throw std::runtime_error("no response to " + method + " " + target);
  return *r;
}

FakePlatform::FakePlatform(std::function<Answer(const Call&)> answer) : answer_(std::move(answer)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0)
    throw std::runtime_error("fake platform: cannot listen");
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] {
    while (!stopping_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      std::lock_guard lock(mutex_);
      fds_.push_back(fd);
      workers_.emplace_back([this, fd] { serve(fd); });
    }
  });
}

FakePlatform::~FakePlatform() {
  stopping_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  {
    std::lock_guard lock(mutex_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& w : workers_) w.join();
  for (int fd : fds_) ::close(fd);
  ::close(listen_fd_);
}

void FakePlatform::set_answer(std::function<Answer(const Call&)> answer) {
  std::lock_guard lock(mutex_);
  answer_ = std::move(answer);
}

std::vector<FakePlatform::Call> FakePlatform::calls() {
  std::lock_guard lock(mutex_);
  return calls_;
}

std::vector<FakePlatform::Call> FakePlatform::wait_for(std::size_t n,
                                                       std::chrono::seconds timeout) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, timeout, [&] { return calls_.size() >= n; });
  return calls_;
}

void FakePlatform::serve(int fd) {
  std::string buffer;
  char chunk[65536];
  while (!stopping_) {
    auto head_end = buffer.find("\r\n\r\n");
    if (head_end == std::string::npos) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return;
      buffer.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    Call call;
    std::istringstream head(buffer.substr(0, head_end));
    std::string line;
    std::getline(head, line);
    std::istringstream first(line);
    first >> call.method >> call.path;
    std::size_t length = 0;
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      if (name == "content-length") length = std::stoul(value);
      call.headers[name] = value;
    }
    while (buffer.size() < head_end + 4 + length) {
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    call.body = buffer.substr(head_end + 4, length);
    buffer.erase(0, head_end + 4 + length);
    Answer a;
    {
      std::unique_lock lock(mutex_);
      auto answer = answer_;
      lock.unlock();
      if (answer) {
        a = answer(call);
      } else {
        a.body = R"({"ok":true,"result":true})";
      }
      lock.lock();
      calls_.push_back(std::move(call));
    }
    cv_.notify_all();
    std::string response = "HTTP/1.1 " + std::to_string(a.status) + " X\r\nContent-Type: " +
                           "application/json\r\nContent-Length: " + std::to_string(a.body.size()) +
                           "\r\n\r\n" + a.body;
    ::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
  }
}

}  // namespace md::test
