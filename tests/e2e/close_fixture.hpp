// The close's end-to-end fixture: a database with two accounts imported, and the command line's
// import, readings and close run on it. Shared by close_test.cpp (the close and its exports) and
// close_estimation_test.cpp (the estimators on stored readings).
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "support/support.hpp"

namespace md::test::close_e2e {

struct CloseFlow : ::testing::Test {
  TempDir dir;
  std::string db = dir.file("close.db");
  std::string eic;  // of account 0000000001

  void SetUp() override {
    std::string csv = accounts_csv(1);
    auto at = csv.find("0000000001,");
    eic = csv.substr(at, csv.find('\n', at) - at);
    for (int i = 0; i < 5; ++i) eic = eic.substr(eic.find(',') + 1);
    eic = eic.substr(0, 16);
    write_file(dir.file("a.csv"), csv);
    ASSERT_EQ(run("import-accounts", dir.file("a.csv"), "2025-01-10T12:00:00").exit_code, 0);
  }

  RunResult run(const std::string& cmd, const std::string& arg, const std::string& now) {
    return run_meterdesk({cmd, arg, "--db", db, "--now", now});
  }
  void readings(const std::string& rows, const std::string& now) {
    write_file(dir.file("r.csv"), "account,meter_serial,taken_on,type,values\n" + rows);
    auto r = run("import-readings", dir.file("r.csv"), now);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void close(const std::string& month, const std::string& now) {
    auto r = run("close-period", month, now);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::string exported(const std::string& month) {
    auto r = run_meterdesk({"export", "volumes", month, "--db", db});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  std::string header() {
    return "period,account,eic,meter_serial,zone,start_value,start_kind,end_value,end_kind,"
           "volume_kwh,method,correction_kwh\n";
  }

  // Account 0000000001 (1 zone, installed 10.01.2025 at 1000) and 0123456789 (2 zones, installed
  // 10.01.2025 at 12000/6000), closed month by month as the readings arrive.
  void three_months() {
    // By 5 October: A read 1600 in August's window (the value at B(Sep)); B read 12500/6200
    // off-cycle on 15 September (as of 16 Sep).
    readings(
        "0000000001,S0000001,2025-08-31,customer,1600\n"
        "0123456789,A1234567,2025-09-15,customer,12500/6200\n",
        "2025-10-05T10:00:00");
    close("2025-09", "2025-10-05T10:00:00");
    // By 5 November: both read in October's window.
    readings(
        "0000000001,S0000001,2025-10-31,customer,1800\n"
        "0123456789,A1234567,2025-11-02,customer,12700/6300\n",
        "2025-11-05T10:00:00");
    close("2025-10", "2025-11-05T10:00:00");
    // By 5 December: only B read in November's window.
    readings("0123456789,A1234567,2025-12-03,customer,12800/6350\n", "2025-12-05T10:00:00");
    close("2025-11", "2025-12-05T10:00:00");
  }
};

inline std::vector<std::string> column(const std::string& db, const std::string& sql) {
  sqlite3* raw = nullptr;
  sqlite3_open(db.c_str(), &raw);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(raw, sql.c_str(), -1, &stmt, nullptr);
  std::vector<std::string> out;
  while (stmt && sqlite3_step(stmt) == SQLITE_ROW)
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  sqlite3_finalize(stmt);
  sqlite3_close(raw);
  return out;
}

inline bool wait_for(const std::function<bool()>& condition) {
  for (int i = 0; i < 200; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace md::test::close_e2e
