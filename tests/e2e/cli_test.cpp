// The command line as an operator uses it.
#include <date/date.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

#include "support/support.hpp"

using namespace md::test;

TEST(Cli, HelpOnEveryCommand) {
  for (std::vector<std::string> cmd : {std::vector<std::string>{"serve"},
                                       {"migrate"},
                                       {"import-accounts"},
                                       {"import-readings"},
                                       {"demo-data"},
                                       {"close-period"},
                                       {"export"},
                                       {"token", "create"},
                                       {"token", "list"},
                                       {"token", "revoke"},
                                       {"user", "add"},
                                       {"exchange-meter"},
                                       {"backup"},
                                       {"restore"},
                                       {"backtest"},
                                       {"config"}}) {
    cmd.push_back("--help");
    auto r = run_meterdesk(cmd);
    EXPECT_EQ(r.exit_code, 0) << cmd[0];
    EXPECT_NE(r.out.find("--db"), std::string::npos) << cmd[0];
    EXPECT_NE(r.out.find("--now"), std::string::npos) << cmd[0];
  }
  EXPECT_NE(run_meterdesk({}).exit_code, 0);
  EXPECT_NE(run_meterdesk({"no-such-command"}).exit_code, 0);
  // The version the binary says is the one the Debian package is built as.
  auto version = run_meterdesk({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  std::string changelog = read_file(source_dir() + "/packaging/changelog");
  auto open = changelog.find('('), close = changelog.find(')');
  ASSERT_NE(close, std::string::npos);
  EXPECT_EQ(version.out, "meterdesk " + changelog.substr(open + 1, close - open - 1) + "\n");
}

TEST(Cli, MigrateCreatesTheSchemaOnce) {
  TempDir dir;
  auto db = dir.file("m.db");
  auto first = run_meterdesk({"migrate", "--db", db});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("(was 0)"), std::string::npos) << first.out;
  auto second = run_meterdesk({"migrate", "--db", db});
  EXPECT_EQ(second.exit_code, 0);
  EXPECT_EQ(second.out.find("(was 0)"), std::string::npos) << second.out;
}

TEST(Cli, ImportAccountsAllOrNothingWithLineNumbers) {
  TempDir dir;
  auto db = dir.file("i.db");
  std::string csv = accounts_csv(3);
  csv += "0000000777,Bad Row,,,,62Z1234567890123,S9,1,5,2025-01-10,100\n";
  csv += "0000000778,Bad Row,,,,,S10,7,5,2025-01-10,100\n";
  csv += "0000000779,Bad Row,,,,,S 9!,1,5,2025-01-10,100\n";
  csv += "0000000780,Bad Row,,,,,S11,1,9,2025-01-10,100\n";
  csv += "0000000781,Bad Row,,,,,S12,1,5,2026-01-10,100\n";
  csv += "0000000782,Bad Row,,,,,S13,1,5,2025-01-10,12.5\n";
  csv += "0000000783,Bad Row,,,,,S14,2,5,2025-01-10,100\n";
  csv += "0000000001,Someone Else,,,,,S0000099,1,5,2025-01-10,100\n";
  csv += "0000000002,Holder 2,,,,,S0000002,1,5,2025-01-10,100\n";
  write_file(dir.file("a.csv"), csv);
  auto bad =
      run_meterdesk({"import-accounts", dir.file("a.csv"), "--db", db, "--now", "2025-11-30"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("nothing imported"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("line 6: eic 62Z1234567890123 is not a valid EIC"), std::string::npos)
      << bad.err;
  EXPECT_NE(bad.err.find("line 7: zones must be 1, 2 or 3"), std::string::npos) << bad.err;
  for (const char* said :
       {"line 8: meter_serial is not a serial number", "line 9: digits must be 4 to 8",
        "line 10: installed_on is in the future",
        "line 11: initial value '12.5' is not a whole number of at most 5 digits",
        "line 12: initial needs 2 values separated by /",
        "line 13: account 0000000001 appears with another holder",
        "line 14: meter_serial S0000002 repeats an earlier row of this account"})
    EXPECT_NE(bad.err.find(said), std::string::npos) << said << "\n" << bad.err;
  EXPECT_EQ(sql_value(db, "SELECT count(*) FROM accounts"), "0");
  write_file(dir.file("b.csv"), accounts_csv(3));
  auto good =
      run_meterdesk({"import-accounts", dir.file("b.csv"), "--db", db, "--now", "2025-11-30"});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_NE(good.out.find("imported 4 accounts"), std::string::npos) << good.out;
  // Importing the same file again is refused row by row: nothing is duplicated.
  auto again =
      run_meterdesk({"import-accounts", dir.file("b.csv"), "--db", db, "--now", "2025-11-30"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already on file"), std::string::npos);
}

TEST(Cli, ImportReadingsAndMissingFile) {
  TempDir dir;
  auto db = dir.file("r.db");
  write_file(dir.file("a.csv"), accounts_csv(2));
  ASSERT_EQ(run_meterdesk({"import-accounts", dir.file("a.csv"), "--db", db, "--now", "2025-11-30"})
                .exit_code,
            0);
  write_file(dir.file("r.csv"),
             "account,meter_serial,taken_on,type,values\n"
             "0000000001,S0000001,2025-05-02,inspector,1500\n"
             "0000000002,S0000002,2025-05-02,customer,1400.5\n");
  auto r = run_meterdesk({"import-readings", dir.file("r.csv"), "--db", db, "--now", "2025-11-30"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("imported 2 readings"), std::string::npos) << r.out;
  auto missing = run_meterdesk({"import-readings", dir.file("nope.csv"), "--db", db});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("cannot read"), std::string::npos);
}

TEST(Cli, DemoDataIsRealisticAndRefusesToRunTwice) {
  TempDir dir;
  auto db = dir.file("d.db");
  auto r =
      run_meterdesk({"demo-data", "--accounts", "50", "--db", db, "--now", "2026-11-30T10:00:00"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("created 50 accounts"), std::string::npos) << r.out;
  EXPECT_EQ(run_meterdesk({"demo-data", "--accounts", "5", "--db", db}).exit_code, 1);
}

TEST(Cli, PerMonthCoefficients) {
  TempDir dir;
  write_file(dir.file("k.toml"), "[estimation.k_outage]\n\"2025-11\" = 0.85\n");
  auto ok = run_meterdesk({"config", "--config", dir.file("k.toml")},
                          {{"METERDESK_ESTIMATION_K", "2025-11=1.05,2025-12=0.98"}});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  write_file(dir.file("bad.toml"), "[estimation.k]\n\"November\" = 1.1\n");
  auto bad = run_meterdesk({"config", "--config", dir.file("bad.toml")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("estimation.k"), std::string::npos) << bad.err;
  auto bad_env = run_meterdesk({"config"}, {{"METERDESK_ESTIMATION_METHOD", "guess"}});
  EXPECT_EQ(bad_env.exit_code, 1);
}

// Tokens and passwords in the configuration are shown only as "(set)"; mail settings that
// cannot work are refused before anything starts.
TEST(Cli, SecretsAreNeverPrintedAndMailSettingsAreChecked) {
  auto listed = run_meterdesk({"config"}, {{"METERDESK_TELEGRAM_BOT_TOKEN", "123:tg-secret-value"},
                                           {"METERDESK_MAIL_SMTP_URL", "smtp://127.0.0.1:25"},
                                           {"METERDESK_MAIL_FROM", "noreply@dso.example"},
                                           {"METERDESK_MAIL_PASSWORD", "smtp-secret-value"}});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.out.find("tg-secret-value"), std::string::npos) << listed.out;
  EXPECT_EQ(listed.out.find("smtp-secret-value"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("(set)"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("smtp://127.0.0.1:25"), std::string::npos) << "not a secret";
  auto no_from = run_meterdesk({"config"}, {{"METERDESK_MAIL_SMTP_URL", "smtp://127.0.0.1:25"}});
  EXPECT_EQ(no_from.exit_code, 1);
  EXPECT_NE(no_from.err.find("mail.from"), std::string::npos) << no_from.err;
  auto http = run_meterdesk({"config"}, {{"METERDESK_MAIL_SMTP_URL", "http://127.0.0.1:25"},
                                         {"METERDESK_MAIL_FROM", "noreply@dso.example"}});
  EXPECT_EQ(http.exit_code, 1);
  EXPECT_NE(http.err.find("smtp://"), std::string::npos) << http.err;
}

TEST(Cli, ConfigurationFromFileAndEnvironment) {
  TempDir dir;
  write_file(dir.file("c.toml"), "[window]\nlast_day = 4\n[high]\nfactor = 3.5\n");
  auto listed = run_meterdesk({"config"}, {{"METERDESK_PHYSICAL_MAX_KW", "20"}});
  EXPECT_EQ(listed.exit_code, 0);
  EXPECT_NE(listed.out.find("METERDESK_WINDOW_LAST_DAY"), std::string::npos);
  write_file(dir.file("bad.toml"), "[window]\nlast_dya = 4\n");
  auto bad = run_meterdesk({"migrate", "--db", dir.file("x.db"), "--config", dir.file("bad.toml")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("unknown key window.last_dya"), std::string::npos) << bad.err;
  auto bad_env =
      run_meterdesk({"migrate", "--db", dir.file("x.db")}, {{"METERDESK_WINDOW_LAST_DAY", "many"}});
  EXPECT_EQ(bad_env.exit_code, 1);
  EXPECT_NE(bad_env.err.find("METERDESK_WINDOW_LAST_DAY"), std::string::npos);
}

TEST(Cli, WindowConfigurationChangesWhatAReadingCountsAs) {
  // 4 December counts for November only when window.last_day is 4.
  TempDir dir;
  auto db = dir.file("w.db");
  write_file(dir.file("a.csv"), accounts_csv(1));
  ASSERT_EQ(run_meterdesk({"import-accounts", dir.file("a.csv"), "--db", db, "--now", "2025-11-30"})
                .exit_code,
            0);
  write_file(dir.file("c.toml"), "[window]\nlast_day = 4\n");
  ServerProcess server(db, {"--now", "2025-12-04T10:00:00", "--config", dir.file("c.toml")});
  auto r = http(server.port(), "POST", "/api/v1/readings",
                R"({"account":"0000000001","meter_serial":"S0000001","readings":{"total":1100}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["counts_as"]["period"], "2025-11");
  EXPECT_EQ(nlohmann::json::parse(r.body)["correction_deadline"], "2025-12-04");
}

TEST(Cli, EveryConfigurationKeyIsDocumented) {
  auto listed = run_meterdesk({"config"});
  ASSERT_EQ(listed.exit_code, 0);
  std::string doc = read_file(source_dir() + "/docs/configuration.md");
  std::istringstream lines(listed.out);
  std::string key, env;
  int n = 0;
  while (lines >> key >> env) {
    std::string rest;
    std::getline(lines, rest);
    EXPECT_NE(doc.find("`" + key + "`"), std::string::npos) << key;
    EXPECT_NE(doc.find("`" + env + "`"), std::string::npos) << env;
    ++n;
  }
  EXPECT_GT(n, 20);
}

TEST(Cli, BacktestReadsDailyConsumptionPlainOrGzippedAndSaysWhatItSkipped) {
  // Two households, 14 months of days each (6 and 12 kWh a day, more in winter), one bad row.
  TempDir dir;
  std::ostringstream csv;
  csv << "household_id,date,kwh\n";
  for (const char* id : {"H1", "H2"}) {
    for (int d = 0; d < 425; ++d) {
      auto day = date::sys_days{date::year{2024} / 1 / 1} + date::days{d};
      const double base = std::string(id) == "H1" ? 6.0 : 12.0;
      const auto month = static_cast<unsigned>(date::year_month_day{day}.month());
      csv << id << "," << date::format("%F", day) << "," << base * (month <= 2 ? 1.5 : 1.0) << "\n";
    }
    if (std::string(id) == "H1") csv << "H1,2025-03-01\n";
  }
  write_file(dir.file("daily.csv"), csv.str());
  ASSERT_EQ(std::system(("gzip -k " + dir.file("daily.csv")).c_str()), 0);
  for (const auto* file : {"daily.csv", "daily.csv.gz"}) {
    auto r = run_meterdesk({"backtest", "--daily", dir.file(file), "--drop", "0.5"});
    ASSERT_EQ(r.exit_code, 0) << file << r.err;
    EXPECT_NE(r.err.find("1 malformed rows skipped"), std::string::npos) << file << r.err;
    for (const auto* method : {"| regulatory | 2 |", "| recent | 2 |", "| seasonal | 2 |"})
      EXPECT_NE(r.out.find(method), std::string::npos) << file << r.out;
  }
  auto one = run_meterdesk(
      {"backtest", "--daily", dir.file("daily.csv.gz"), "--households", "1", "--method", "recent"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_NE(one.out.find("| recent | 1 |"), std::string::npos) << one.out;
  EXPECT_EQ(one.out.find("| seasonal |"), std::string::npos) << one.out;
  auto missing = run_meterdesk({"backtest", "--daily", dir.file("none.csv")});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("none.csv"), std::string::npos) << missing.err;
}

TEST(Cli, RefusesToStartHalfWayWithAClearMessage) {
  TempDir dir;
  const std::string db = dir.file("x.db");
  ASSERT_EQ(run_meterdesk({"migrate", "--db", db}).exit_code, 0);
  // A port already taken.
  ServerProcess first(db);
  auto taken =
      run_meterdesk({"serve", "--db", db, "--listen", "127.0.0.1:" + std::to_string(first.port())});
  EXPECT_EQ(taken.exit_code, 1);
  EXPECT_NE(taken.err.find("cannot listen on 127.0.0.1:" + std::to_string(first.port())),
            std::string::npos)
      << taken.err;
  // A database written by a newer meterdesk.
  const std::string newer = dir.file("newer.db");
  ASSERT_EQ(run_meterdesk({"migrate", "--db", newer}).exit_code, 0);
  ASSERT_EQ(std::system(("sqlite3 " + newer +
                         " \"INSERT INTO schema_migrations VALUES (999, 'from the future', 0)\"")
                            .c_str()),
            0);
  auto future = run_meterdesk({"serve", "--db", newer, "--listen", "127.0.0.1:0"});
  EXPECT_EQ(future.exit_code, 1);
  EXPECT_NE(future.err.find("schema version 999, newer than this meterdesk"), std::string::npos)
      << future.err;
  // A configuration file that is not TOML, and one that is missing.
  write_file(dir.file("broken.toml"), "[window\nlast_day=");
  auto broken = run_meterdesk({"serve", "--db", db, "--config", dir.file("broken.toml")});
  EXPECT_NE(broken.exit_code, 0);
  EXPECT_NE(broken.err.find("broken.toml"), std::string::npos) << broken.err;
  auto missing = run_meterdesk({"serve", "--db", db, "--config", dir.file("none.toml")});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("none.toml"), std::string::npos) << missing.err;
}

TEST(Lifecycle, TellsSystemdWhenReadyAndWhenStopping) {
  TempDir dir;
  const std::string db = dir.file("x.db");
  ASSERT_EQ(run_meterdesk({"migrate", "--db", db}).exit_code, 0);
  const std::string path = dir.file("notify.sock");
  int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  auto receive = [fd] {
    char buf[64] = {};
    auto n = ::recv(fd, buf, sizeof buf - 1, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  };
  ServerProcess server(db, {}, {{"NOTIFY_SOCKET", path}});
  EXPECT_EQ(receive(), "READY=1");
  EXPECT_EQ(http(server.port(), "GET", "/healthz").status, 200) << "ready means serving";
  server.kill(SIGTERM);
  EXPECT_EQ(receive(), "STOPPING=1");
  EXPECT_EQ(server.wait(), 0);
  ::close(fd);
}
