// The period close through the command line and the supplier API: import, readings, three
// closes, exports compared with rows worked out by hand (rules.md §6–§8).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sqlite3.h>

#include <cmath>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

#include "domain/calendar.hpp"
#include "e2e/close_fixture.hpp"

using namespace md::test;
using namespace md::test::close_e2e;

namespace {
// The XML Schema of the supplier hand-over: every CIM export made here is validated against it.
constexpr const char* kCimSchema = "docs/schemas/cim-meter-readings.xsd";
}  // namespace

TEST_F(CloseFlow, ThreeMonthsExportExactlyTheExpectedRows) {
  three_months();
  // September, the first month closed. A: starts at its actual 1600 and is estimated to B(Oct) at
  // its last known rate, 600 kWh / 233 days × 30 days = 77.25 → 77. B: starts derived between
  // 12000 (11 Jan) and 12500 (16 Sep): 500 × 233/248 → 470, night 200 × 233/248 → 188, and is
  // estimated for the 15 days after its reading: 500/248 × 15 → 30, 200/248 × 15 → 12.
  EXPECT_EQ(exported("2025-09"),
            header() + "2025-09,0000000001," + eic +
                ",S0000001,total,1600,actual,1677,estimated,77,estimated,0\n"
                "2025-09,0123456789,62Z000000000001B,A1234567,day,12470,derived,12530,estimated,60,"
                "estimated,0\n"
                "2025-09,0123456789,62Z000000000001B,A1234567,night,6188,derived,6212,estimated,"
                "24,estimated,0\n");
  // October: the real readings arrive. A's B(Oct) is derived, 1600 + 200 × 30/61 → 1698, so
  // Δ = 1698 − 1677 = 21 (September was under-estimated). B: 12500 + 200 × 15/46 → 12565
  // (Δ 35) and 6200 + 100 × 15/46 → 6233 (Δ 21).
  EXPECT_EQ(exported("2025-10"),
            header() + "2025-10,0000000001," + eic +
                ",S0000001,total,1698,derived,1800,actual,102,actual,21\n"
                "2025-10,0123456789,62Z000000000001B,A1234567,day,12565,derived,12700,actual,135,"
                "actual,35\n"
                "2025-10,0123456789,62Z000000000001B,A1234567,night,6233,derived,6300,actual,67,"
                "actual,21\n");
  // November: A sent nothing: 200 kWh / 61 days × 30 → 98 estimated.
  EXPECT_EQ(exported("2025-11"),
            header() + "2025-11,0000000001," + eic +
                ",S0000001,total,1800,actual,1898,estimated,98,estimated,0\n"
                "2025-11,0123456789,62Z000000000001B,A1234567,day,12700,actual,12800,actual,100,"
                "actual,0\n"
                "2025-11,0123456789,62Z000000000001B,A1234567,night,6300,actual,6350,actual,50,"
                "actual,0\n");

  auto json = run_meterdesk({"export", "volumes", "2025-11", "--format", "json", "--db", db});
  ASSERT_EQ(json.exit_code, 0);
  auto rows = nlohmann::json::parse(json.out);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]["estimate"]["explanation"]["en"],
            "98 kWh = 3.28 kWh/day (your average 01.09.2025–01.11.2025) × 30 days");
  EXPECT_EQ(rows[0]["start"]["date"], "2025-11-01");
  EXPECT_EQ(rows[0]["end"]["date"], "2025-12-01");
  EXPECT_TRUE(rows[1]["estimate"].is_null());

  auto file = dir.file("out.csv");
  ASSERT_EQ(run_meterdesk({"export", "volumes", "2025-11", "--output", file, "--db", db}).exit_code,
            0);
  EXPECT_EQ(read_file(file), exported("2025-11"));
}

TEST_F(CloseFlow, BillsFromTheClosedVolumes) {
  three_months();
  // October at 4.32 UAH/kWh: A 102 kWh + a 21 kWh correction; B day 135 (+35), night 67 (+21) at
  // half price. Each line rounded to kopiyky.
  auto r = run_meterdesk({"export", "bills", "2025-10", "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "period,account,eic,zone,line,kwh,heating_kwh,price_uah,coefficient,amount_uah,method\n"
            "2025-10,0000000001," +
                eic +
                ",total,volume,102,0,4.32,1.0,440.64,actual\n"
                "2025-10,0000000001," +
                eic +
                ",total,correction,21,0,4.32,1.0,90.72,actual\n"
                "2025-10,0000000001,,,total,,,,,531.36,\n"
                "2025-10,0123456789,62Z000000000001B,day,volume,135,0,4.32,1.0,583.20,actual\n"
                "2025-10,0123456789,62Z000000000001B,night,volume,67,0,4.32,0.5,144.72,actual\n"
                "2025-10,0123456789,62Z000000000001B,day,correction,35,0,4.32,1.0,151.20,actual\n"
                "2025-10,0123456789,62Z000000000001B,night,correction,21,0,4.32,0.5,45.36,actual\n"
                "2025-10,0123456789,,,total,,,,,924.48,\n");
  auto json = run_meterdesk({"export", "bills", "2025-11", "--format", "json", "--db", db});
  auto bills = nlohmann::json::parse(json.out);
  EXPECT_EQ(bills[0]["lines"][0]["method"], "estimated");  // the bill says what was estimated
  EXPECT_EQ(bills[0]["total_uah"], "423.36");              // 98 × 4.32
  // Coefficients are configuration: a night at 0.6 instead of 0.5.
  auto night = run_meterdesk({"export", "bills", "2025-10", "--db", db},
                             {{"METERDESK_PRICES_COEFFICIENT_NIGHT", "0.6"}});
  EXPECT_NE(night.out.find("night,volume,67,0,4.32,0.6,173.66,actual"), std::string::npos)
      << night.out;
  // Without a price in force for the month: a clear error and no output.
  auto missing = run_meterdesk({"export", "bills", "2025-10", "--db", db},
                               {{"METERDESK_PRICES_HOUSEHOLD", "2026-01-01=5.00"}});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no household price is in force on 2025-10-01"), std::string::npos)
      << missing.err;
  EXPECT_EQ(missing.out, "");
}

TEST_F(CloseFlow, RefusalsWriteNothing) {
  readings("0000000001,S0000001,2025-08-31,customer,1600\n", "2025-10-05T10:00:00");
  auto open_window = run("close-period", "2025-09", "2025-10-03T23:59:59");
  EXPECT_EQ(open_window.exit_code, 1);
  EXPECT_NE(open_window.err.find("is open until 2025-10-04T00:00:00+03:00"), std::string::npos)
      << open_window.err;
  EXPECT_NE(run_meterdesk({"export", "volumes", "2025-09", "--db", db}).exit_code, 0);
  EXPECT_EQ(run("close-period", "2025-13", "2025-12-05T10:00:00").exit_code, 1);
  EXPECT_EQ(run("close-period", "Sept", "2025-12-05T10:00:00").exit_code, 1);

  close("2025-09", "2025-10-05T10:00:00");
  std::string september = exported("2025-09");
  auto skip = run("close-period", "2025-11", "2025-12-05T10:00:00");
  EXPECT_EQ(skip.exit_code, 1);
  EXPECT_NE(skip.err.find("close 2025-10 first"), std::string::npos) << skip.err;
  EXPECT_NE(run_meterdesk({"export", "volumes", "2025-11", "--db", db}).exit_code, 0);
  // Closing again changes nothing, even with new readings in the meantime.
  readings("0000000001,S0000001,2025-10-15,customer,1700\n", "2025-12-05T10:00:00");
  auto again = run("close-period", "2025-09", "2025-12-05T10:00:00");
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.out.find("closed before; nothing changed"), std::string::npos);
  EXPECT_EQ(exported("2025-09"), september);
  // ...and readings inside a closed period are refused.
  write_file(
      dir.file("late.csv"),
      "account,meter_serial,taken_on,type,values\n0000000001,S0000001,2025-09-20,inspector,1650\n");
  EXPECT_EQ(run("import-readings", dir.file("late.csv"), "2025-12-05T10:00:00").exit_code, 1);
}

TEST_F(CloseFlow, SupplierApiWithTokens) {
  three_months();
  auto supplier =
      run_meterdesk({"token", "create", "--role", "supplier", "--name", "YASNO", "--db", db});
  ASSERT_EQ(supplier.exit_code, 0) << supplier.err;
  std::string token = supplier.out.substr(0, supplier.out.find('\n'));
  auto op =
      run_meterdesk({"token", "create", "--role", "operator", "--name", "Ivanenko", "--db", db});
  std::string operator_token = op.out.substr(0, op.out.find('\n'));
  EXPECT_NE(
      run_meterdesk({"token", "create", "--role", "king", "--name", "x", "--db", db}).exit_code, 0);

  ServerProcess server(db, {"--now", "2025-12-05T10:00:00"});
  const std::string path = "/api/v1/periods/2025-11/volumes";
  EXPECT_EQ(http(server.port(), "GET", path).status, 401);
  EXPECT_EQ(http(server.port(), "GET", path, "", {{"Authorization", "Bearer mdk_nope"}}).status,
            401);
  EXPECT_EQ(
      http(server.port(), "GET", path, "", {{"Authorization", "Bearer " + operator_token}}).status,
      403);
  auto csv = http(server.port(), "GET", path, "",
                  {{"Authorization", "Bearer " + token}, {"Accept", "text/csv"}});
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.headers["content-type"], "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body, exported("2025-11"));
  auto json = http(server.port(), "GET", path, "", {{"Authorization", "Bearer " + token}});
  ASSERT_EQ(json.status, 200);
  EXPECT_EQ(nlohmann::json::parse(json.body).size(), 3u);
  // The bills of the month, as JSON (held to the Bill schema of docs/openapi.json by the test
  // command's API step) and as CSV.
  auto bills = http(server.port(), "GET", "/api/v1/periods/2025-11/bills", "",
                    {{"Authorization", "Bearer " + token}});
  ASSERT_EQ(bills.status, 200) << bills.body;
  const auto bill_list = nlohmann::json::parse(bills.body);
  ASSERT_FALSE(bill_list.empty());
  EXPECT_FALSE(bill_list[0]["lines"].empty());
  EXPECT_EQ(http(server.port(), "GET", "/api/v1/periods/2025-11/bills", "",
                 {{"Authorization", "Bearer " + token}, {"Accept", "text/csv"}})
                .headers["content-type"],
            "text/csv; charset=utf-8");
  EXPECT_EQ(http(server.port(), "GET", "/api/v1/periods/2025-12/bills", "",
                 {{"Authorization", "Bearer " + token}})
                .status,
            404)
      << "not closed";
  EXPECT_EQ(http(server.port(), "GET", "/api/v1/periods/11-2025/bills", "",
                 {{"Authorization", "Bearer " + token}})
                .status,
            400);
  EXPECT_EQ(http(server.port(), "GET", "/api/v1/periods/2025-12/volumes", "",
                 {{"Authorization", "Bearer " + token}})
                .status,
            404);
  EXPECT_EQ(http(server.port(), "GET", "/api/v1/periods/11-2025/volumes", "",
                 {{"Authorization", "Bearer " + token}})
                .status,
            400);
}

TEST_F(CloseFlow, TheServerClosesEachMonthOnceAndCatchesUp) {
  readings("0000000001,S0000001,2025-11-30,customer,1600\n", "2025-12-05T10:00:00");
  const std::map<std::string, std::string> env{{"METERDESK_CLOSE_CHECK_INTERVAL", "1"}};
  const std::string closes = "SELECT period FROM periods ORDER BY period";
  const std::string audit = "SELECT result FROM audit WHERE action = 'close_period' ORDER BY id";
  {
    // Two servers on one database, both due to close November: it is closed once.
    ServerProcess a(db, {"--now", "2025-12-05T10:00:00"}, env);
    ServerProcess b(db, {"--now", "2025-12-05T10:00:00"}, env);
    ASSERT_TRUE(wait_for([&] { return column(db, closes).size() == 1; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // both have checked again
    a.kill(SIGKILL);
    b.kill(SIGKILL);
  }
  EXPECT_EQ(column(db, closes), std::vector<std::string>{"2025-11"});
  EXPECT_EQ(column(db, audit), std::vector<std::string>{"closed 2025-11"});
  {
    // After a restart two months later, December and January are closed, in order, once.
    ServerProcess again(db, {"--now", "2026-02-05T10:00:00"}, env);
    ASSERT_TRUE(wait_for([&] { return column(db, closes).size() == 3; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  }
  EXPECT_EQ(column(db, closes), (std::vector<std::string>{"2025-11", "2025-12", "2026-01"}));
  EXPECT_EQ(column(db, audit),
            (std::vector<std::string>{"closed 2025-11", "closed 2025-12", "closed 2026-01"}));
  // A read in November's window, so it is estimated since December; B never read, so it has been
  // estimated since the first close and reaches three months in January: an inspection order.
  auto runs = column(db,
                     "SELECT m.serial || ':' || v.zone || ':' || v.estimated_run"
                     " FROM period_volumes v JOIN meters m ON m.id = v.meter_id"
                     " WHERE v.period = '2026-01' ORDER BY m.serial, v.zone_index");
  EXPECT_EQ(runs,
            (std::vector<std::string>{"A1234567:day:3", "A1234567:night:3", "S0000001:total:2"}));
  auto orders = column(db,
                       "SELECT o.period || ':' || m.serial FROM inspection_orders o"
                       " JOIN meters m ON m.metering_point_id = o.metering_point_id");
  EXPECT_EQ(orders, std::vector<std::string>{"2026-01:A1234567"});
}

TEST_F(CloseFlow, AutomaticCloseCanBeTurnedOff) {
  readings("0000000001,S0000001,2025-11-30,customer,1600\n", "2025-12-05T10:00:00");
  {
    ServerProcess s(
        db, {"--now", "2025-12-05T10:00:00"},
        {{"METERDESK_CLOSE_AUTOMATIC", "false"}, {"METERDESK_CLOSE_CHECK_INTERVAL", "1"}});
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  }
  EXPECT_TRUE(column(db, "SELECT period FROM periods").empty());
}

TEST_F(CloseFlow, MeterExchangesMidMonth) {
  readings(
      "0000000001,S0000001,2025-10-31,customer,1800\n"
      "0123456789,A1234567,2025-10-31,customer,12500/6200\n",
      "2025-11-14T10:00:00");
  auto exchange = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "exchange-meter");
    for (const char* a : {"--db", "", "--now", "2025-11-25T10:00:00"}) args.emplace_back(a);
    args[args.size() - 3] = db;
    return run_meterdesk(args);
  };
  // Same zones: 1900 on the old meter, the new six-digit meter starts at 0; the counter goes on.
  auto same = exchange({"--account", "0000000001", "--old-serial", "S0000001", "--final", "1900",
                        "--new-serial", "N0000001", "--zones", "1", "--digits", "6", "--initial",
                        "0", "--date", "2025-11-15", "--reason", "broken seal"});
  ASSERT_EQ(same.exit_code, 0) << same.err;
  EXPECT_NE(same.out.find("the counter continues"), std::string::npos);
  // Other zones: a two-zone meter replaced by a one-zone meter starting at 50.
  auto other = exchange({"--account", "0123456789", "--old-serial", "A1234567", "--final",
                         "12600/6250", "--new-serial", "Z0000001", "--zones", "1", "--digits", "6",
                         "--initial", "50", "--date", "2025-11-20"});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_NE(other.out.find("new register chains begin"), std::string::npos);
  // A final reading below the last one is refused, and nothing changes.
  auto bad = exchange({"--account", "0123456789", "--old-serial", "Z0000001", "--final", "40",
                       "--new-serial", "Q1", "--zones", "1", "--digits", "6", "--initial", "0",
                       "--date", "2025-11-21"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("lower_than_previous"), std::string::npos) << bad.err;
  EXPECT_EQ(exchange({"--account", "0000000001", "--old-serial", "N0000001", "--final", "0",
                      "--new-serial", "Q1", "--zones", "1", "--digits", "6", "--initial", "0",
                      "--date", "2025-11-10"})
                .exit_code,
            1);  // before it was installed
  EXPECT_EQ(exchange({"--account", "0000000001", "--old-serial", "S0000001", "--final", "2000",
                      "--new-serial", "Q1", "--zones", "1", "--digits", "6", "--initial", "0",
                      "--date", "2025-11-16"})
                .exit_code,
            1);  // S0000001 is no longer installed

  readings(
      "0000000001,N0000001,2025-11-30,customer,140\n"
      "0123456789,Z0000001,2025-11-30,customer,120\n",
      "2025-12-05T10:00:00");
  close("2025-11", "2025-12-05T10:00:00");
  // One chain across the exchange: (1900 − 1800) on the old meter + 140 on the new one = 240,
  // shown as each meter showed it. The two-zone chains end at the final reading; the new chain
  // starts at its installation reading.
  EXPECT_EQ(exported("2025-11"),
            header() + "2025-11,0000000001," + eic +
                ",N0000001,total,1800,actual,140,actual,240,actual,0\n"
                "2025-11,0123456789,62Z000000000001B,A1234567,day,12500,actual,12600,actual,100,"
                "actual,0\n"
                "2025-11,0123456789,62Z000000000001B,A1234567,night,6200,actual,6250,actual,50,"
                "actual,0\n"
                "2025-11,0123456789,62Z000000000001B,Z0000001,total,50,installation,120,actual,70,"
                "actual,0\n");
  // In December the ended chains are gone; the others go on (estimated: nobody read).
  close("2025-12", "2026-01-05T10:00:00");
  auto december = exported("2025-12");
  EXPECT_EQ(december.find("A1234567"), std::string::npos) << december;
  EXPECT_NE(december.find("0000000001," + eic + ",N0000001,total,140,actual,"), std::string::npos)
      << december;
  EXPECT_NE(december.find("Z0000001,total,120,actual,"), std::string::npos) << december;
}

TEST_F(CloseFlow, CimMeterReadingsExport) {
  three_months();
  auto r = run_meterdesk({"export", "volumes", "2025-09", "--format", "cim", "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string& xml = r.out;
  EXPECT_EQ(xml_schema_errors(xml, kCimSchema), "");
  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<MeterReadings "
                      "xmlns=\"http://iec.ch/TC57/2011/MeterReadings#\">",
                      0),
            0u);
  auto count = [&](const std::string& needle) {
    size_t n = 0;
    for (size_t at = xml.find(needle); at != std::string::npos; at = xml.find(needle, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("<MeterReading>"), 2u);  // one per metering point and meter
  EXPECT_EQ(count("</MeterReading>"), 2u);
  EXPECT_EQ(count("<Readings>"), 9u);  // start, end and volume for each of three registers
  EXPECT_EQ(count("</Readings>"), 9u);
  // September: every end is estimated and B's starts are derived: 3 + 3 + 2 qualities.
  EXPECT_EQ(count("<ReadingQualityType ref=\"2.8.0\"/>"), 8u);
  EXPECT_NE(xml.find("<UsagePoint><mRID>62Z000000000001B</mRID></UsagePoint>"), std::string::npos);
  // Zone registers by time of use; B(Sep) and B(Oct) in UTC (Kyiv summer time, +03:00).
  EXPECT_NE(xml.find("0.0.0.1.1.1.12.0.0.0.0.2.0.0.0.3.72.0"), std::string::npos);  // night
  EXPECT_NE(xml.find("<timePeriod><end>2025-09-30T21:00:00Z</end><start>2025-08-31T21:00:00Z</"
                     "start></timePeriod>"),
            std::string::npos);
  EXPECT_NE(xml.find("<value>1677</value>"), std::string::npos);
  EXPECT_NE(xml.find("77 kWh = 2.58 kWh/day"), std::string::npos);
  // The schema holds the export to its shape: a register without its value, or a point whose
  // EIC is not one, does not pass.
  std::string no_value = xml;
  no_value.erase(no_value.find("<value>"),
                 no_value.find("</value>") + 8 - no_value.find("<value>"));
  EXPECT_NE(xml_schema_errors(no_value, kCimSchema), "");
  std::string bad_eic = xml;
  bad_eic.replace(bad_eic.find("62Z000000000001B"), 16, "62Z00000000001");
  EXPECT_NE(xml_schema_errors(bad_eic, kCimSchema), "");
  EXPECT_EQ(run_meterdesk({"export", "bills", "2025-09", "--format", "cim", "--db", db}).exit_code,
            1);
}

TEST_F(CloseFlow, OperatorsEnterExchangesThroughTheApi) {
  auto token = [&](const char* role) {
    auto r = run_meterdesk({"token", "create", "--role", role, "--name", role, "--db", db});
    return r.out.substr(0, r.out.find('\n'));
  };
  std::string op = token("operator"), supplier = token("supplier");
  ServerProcess server(db, {"--now", "2025-11-25T10:00:00"},
                       {{"METERDESK_CLOSE_AUTOMATIC", "false"}});
  const std::string body =
      R"({"account":"0123456789","old_serial":"A1234567","old_final":{"day":12600,"night":6250},)"
      R"("new_serial":"Z0000009","zones":2,"digits":6,"new_initial":{"day":0,"night":0},)"
      R"("date":"2025-11-20","reason":"meter failed"})";
  auto post = [&](const std::string& b, const std::string& t) {
    return http(server.port(), "POST", "/api/v1/meter-exchanges", b,
                {{"Authorization", "Bearer " + t}});
  };
  EXPECT_EQ(http(server.port(), "POST", "/api/v1/meter-exchanges", body).status, 401);
  EXPECT_EQ(post(body, supplier).status, 403);
  EXPECT_EQ(post("{", op).status, 400);
  EXPECT_EQ(post(R"({"account":"0123456789"})", op).status, 400);
  // A number no int holds is refused, not wrapped round (4294967298 would have been 2 zones).
  auto wrapped = body;
  wrapped.replace(wrapped.find("\"zones\":2"), 9, "\"zones\":4294967298");
  EXPECT_EQ(post(wrapped, op).status, 400);
  // A value past 64 bits is judged by its digits as sent, not as a wrapped-round -1.
  auto huge = body;
  huge.replace(huge.find("12600"), 5, "18446744073709551615");
  auto too_long = post(huge, op);
  EXPECT_EQ(too_long.status, 422) << too_long.body;
  EXPECT_NE(too_long.body.find("too_many_digits"), std::string::npos) << too_long.body;
  auto lower = body;
  lower.replace(lower.find("12600"), 5, "11000");
  auto refused = post(lower, op);
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_NE(refused.body.find("lower_than_previous"), std::string::npos);
  // Every other way an exchange act can be wrong is refused with what was wrong, and changes
  // nothing: the old meter stays installed with no final reading.
  auto with = [&](const std::string& from, const std::string& to) {
    auto b = body;
    b.replace(b.find(from), from.size(), to);
    return b;
  };
  for (const auto& [wrong, said] : std::vector<std::pair<std::string, std::string>>{
           {with("\"Z0000009\"", "\"Z 9!\""), "not a serial number"},
           {with("\"Z0000009\"", "\"A1234567\""), "already installed for this account"},
           {with("\"new_initial\":{\"day\":0,\"night\":0}",
                 "\"new_initial\":{\"day\":\"1.5\",\"night\":0}"),
            "not a whole number"},
           {with("\"digits\":6", "\"digits\":9"), "digits must be 4 to 8"},
           {with("2025-11-20", "2024-12-31"), "before the old meter was installed"},
           {with("\"A1234567\"", "\"A7654321\""), "no such meter"}}) {
    auto r = post(wrong, op);
    EXPECT_EQ(r.status, said == "no such meter" ? 404 : 422) << wrong;
    EXPECT_NE(r.body.find(said), std::string::npos) << said << "\n" << r.body;
  }
  EXPECT_EQ(sql_value(db, "SELECT count(*) FROM submissions WHERE type = 'exchange_final'"), "0");
  auto ok = post(body, op);
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(nlohmann::json::parse(ok.body)["counter_continues"], true);
  // The new meter is the account's meter now; its readings continue the counter.
  auto history =
      http(server.port(), "GET", "/api/v1/accounts/0123456789/readings?meter_serial=Z0000009");
  ASSERT_EQ(history.status, 200);
  EXPECT_EQ(nlohmann::json::parse(history.body)[0]["type"], "exchange_initial");
  EXPECT_EQ(http(server.port(), "GET", "/api/v1/accounts/0123456789/readings?meter_serial=A1234567")
                .status,
            404);
  auto reading = http(
      server.port(), "POST", "/api/v1/readings",
      R"({"account":"0123456789","meter_serial":"Z0000009","readings":{"day":30,"night":10}})");
  EXPECT_EQ(reading.status, 201) << reading.body;
  EXPECT_EQ(nlohmann::json::parse(reading.body)["consumption"]["day"], 30);
}

TEST_F(CloseFlow, OnlyTheLatestReadingOfAWindowCounts) {
  // A typo on 30 November, corrected on 2 December: the first is superseded and the close uses
  // the correction.
  readings(
      "0000000001,S0000001,2025-11-30,customer,9999\n"
      "0000000001,S0000001,2025-12-02,customer,1700\n",
      "2025-12-05T10:00:00");
  auto statuses = run_meterdesk({"export", "volumes", "2025-11", "--db", db});
  EXPECT_NE(statuses.exit_code, 0);  // not closed yet
  close("2025-11", "2025-12-05T10:00:00");
  auto out = exported("2025-11");
  EXPECT_NE(out.find("S0000001,total,"), std::string::npos) << out;
  EXPECT_NE(out.find(",1700,actual,"), std::string::npos) << out;
  EXPECT_EQ(out.find("9999"), std::string::npos) << out;
}

TEST_F(CloseFlow, EveryExportIsAuditedWhicheverWayItLeaves) {
  three_months();
  auto file = dir.file("hand-over.xml");
  ASSERT_EQ(run_meterdesk(
                {"export", "volumes", "2025-11", "--format", "cim", "--output", file, "--db", db})
                .exit_code,
            0);
  EXPECT_EQ(column(db,
                   "SELECT actor || '|' || channel || '|' || raw_input || '|' || reason FROM "
                   "audit WHERE action = 'export_volumes'"),
            std::vector<std::string>{"operator:cli|cli|" + file + "|cim"});
  EXPECT_EQ(xml_schema_errors(read_file(file), kCimSchema), "");
  auto refused = run_meterdesk({"export", "bills", "2025-11", "--format", "cim", "--db", db});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("csv or json"), std::string::npos);
}

TEST_F(CloseFlow, ARevokedTokenStopsWorkingAtOnce) {
  three_months();
  auto created =
      run_meterdesk({"token", "create", "--role", "supplier", "--name", "YASNO", "--db", db});
  std::string token = created.out.substr(0, created.out.find('\n'));
  auto listed = run_meterdesk({"token", "list", "--db", db});
  ASSERT_EQ(listed.exit_code, 0);
  EXPECT_NE(listed.out.find("supplier\tYASNO\tactive"), std::string::npos) << listed.out;
  EXPECT_EQ(listed.out.find(token), std::string::npos) << "the secret is never shown again";
  std::string id = listed.out.substr(0, listed.out.find('\t'));
  ServerProcess server(db, {"--now", "2025-12-05T10:00:00"});
  const std::string path = "/api/v1/periods/2025-11/volumes";
  EXPECT_EQ(http(server.port(), "GET", path, "", {{"Authorization", "Bearer " + token}}).status,
            200);
  ASSERT_EQ(run_meterdesk({"token", "revoke", id, "--db", db}).exit_code, 0);
  EXPECT_EQ(http(server.port(), "GET", path, "", {{"Authorization", "Bearer " + token}}).status,
            401);
  EXPECT_NE(run_meterdesk({"token", "revoke", id, "--db", db}).exit_code, 0) << "already revoked";
  EXPECT_EQ(column(db, "SELECT actor || '|' || identity FROM audit WHERE action = 'token_revoke'"),
            std::vector<std::string>{"admin:cli|token=" + id});
}

// estimation.method = seasonal (rules.md §7): a household that sent nothing is estimated at its
// last known rate scaled by how the population's consumption moved between the same months a
// year before. Here the population is the two-zone household 0123456789 (its daily level 15 kWh
// in February 2025 and 20 in March 2025; the one-zone household's derived 2 kWh a day is below
// it, and the median of two is the higher), so March 2026's estimate for 0000000001 is its
// February 2026 rate of 3 kWh a day × 20/15 = 4 kWh a day × 31 days = 124 kWh, where the
// regulatory rule would take last March's 62 and the recent rate 93.
