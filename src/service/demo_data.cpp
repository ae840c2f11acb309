#include "service/demo_data.hpp"

#include <cmath>
#include <numbers>
#include <random>
#include <stdexcept>

#include "domain/eic.hpp"

namespace md::service {
namespace {

constexpr const char* kSurnames[] = {"Шевченко",  "Коваленко", "Бондаренко", "Ткаченко",
                                     "Кравченко", "Олійник",   "Мельник",    "Поліщук",
                                     "Бойко",     "Савченко",  "Руденко",    "Петренко"};
constexpr const char* kNames[] = {"Олена",  "Іван", "Марія", "Андрій", "Наталія",  "Сергій",
                                  "Тетяна", "Олег", "Ірина", "Микола", "Світлана", "Дмитро"};
constexpr const char* kStreets[] = {"Дерибасівська", "Рішельєвська",       "Канатна",
                                    "Пушкінська",    "Катерининська",      "Французький бульвар",
                                    "Генуезька",     "Середньофонтанська", "Академіка Корольова"};
constexpr const char* kChannels[] = {"telegram", "telegram", "viber",   "viber",
                                     "ivr",      "web_form", "cabinet", "api"};

std::string eic_for(int index) {
  char body[16];
  for (int bump = 0;; ++bump) {
    std::snprintf(body, sizeof body, "62Z%012d", index * 10 + bump);
    if (auto check = domain::eic_check_char(body)) return std::string(body) + *check;
  }
}

}  // namespace

DemoSummary generate_demo_data(store::Store& store, Submissions& submissions, int accounts,
                               domain::Instant now, std::uint64_t seed, int examples) {
  if (store.counts().accounts > 0) throw std::runtime_error("the database already has accounts");
  std::mt19937_64 rng(seed);
  auto uniform = [&](double a, double b) { return std::uniform_real_distribution<>(a, b)(rng); };
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };
  const domain::WindowRules& window = submissions.config().rules.window;
  const domain::Day today = domain::kyiv_date(now);
  const domain::YearMonth start = domain::YearMonth::of(today).plus(-25);

  DemoSummary summary;
  auto tx = store.begin_write();
  for (int i = 0; i < accounts; ++i) {
    char number[32];
    std::snprintf(number, sizeof number, "%0*d", submissions.config().account_digits,
                  100000000 + i);
    char serial[16];
    std::snprintf(serial, sizeof serial, "%c%07d", "ANGE"[i % 4], 1000000 + i * 7);
    char phone[20];
    std::snprintf(phone, sizeof phone, "+38067%07d", 1000000 + i);
    int zones = pick(100) < 60 ? 1 : (pick(100) < 88 ? 2 : 3);
    int digits = pick(100) < 70 ? 5 : 6;
    std::string address = std::string("м. Одеса, вул. ") + kStreets[pick(9)] + ", буд. " +
                          std::to_string(1 + pick(120)) + ", кв. " + std::to_string(1 + pick(200));
    std::string holder = std::string(kSurnames[pick(12)]) + " " + kNames[pick(12)];
    domain::Day installed = start.first_day() + date::days{pick(27)};

    auto account_id = tx->insert_account(
        store::NewAccount{number, holder, phone,
                          i % 3 ? "" : "user" + std::to_string(i) + "@example.com", address},
        now);
    auto point = tx->insert_metering_point(account_id, eic_for(i), address);
    tx->insert_meter(point, store::NewMeter{serial, zones, digits, installed});
    auto zone_list = domain::zones_of(zones);
    static constexpr double kShares[3][3] = {{1, 0, 0}, {0.64, 0.36, 0}, {0.24, 0.46, 0.30}};

    // A household: a base daily use with winter heating and summer air conditioning.
    double base = std::exp(uniform(std::log(3.5), std::log(14.0)));
    double winter = uniform(0.1, 0.7), summer = uniform(0.0, 0.3);
    bool away_this_year = pick(100) < 4;
    std::vector<double> counter(zone_list.size());
    std::vector<std::int64_t> shown(zone_list.size());
    std::int64_t modulus = domain::register_modulus(digits);
    for (size_t z = 0; z < zone_list.size(); ++z) {
      counter[z] = static_cast<double>(
          static_cast<std::int64_t>(uniform(0, 0.97) * static_cast<double>(modulus)));
      shown[z] = static_cast<std::int64_t>(counter[z]);
    }
    auto submit = [&](domain::Day day, const std::string& channel, const std::string& type,
                      int hour) {
      SubmitRequest req;
      req.channel = channel;
      req.account = number;
      req.meter_serial = serial;
      req.taken_on = day;
      req.type = type;
      req.confirmed = true;
      req.actor = type == "exchange_initial" ? "import" : "customer";
      for (size_t z = 0; z < zone_list.size(); ++z)
        req.values.emplace_back(std::string(domain::zone_name(zone_list[z])),
                                std::to_string(shown[z]));
      req.raw_input = "demo-data";
      domain::Instant at =
          domain::start_of_day(day) + std::chrono::hours{hour} + std::chrono::minutes{pick(60)};
      tx->savepoint();
      SubmitOutcome o = submissions.process(*tx, req, at);
      if (o.status == SubmitOutcome::Status::accepted) {
        tx->release();
        ++summary.readings;
      } else {
        tx->rollback_to();
      }
    };
    submit(installed, "import", "exchange_initial", 12);

    domain::Day last = installed;
    for (domain::YearMonth m = start;; m = m.next()) {
      domain::Window w = domain::window(m, window);
      if (w.last >= today) break;
      int roll = pick(100);
      if (roll < 9) continue;  // no reading this month: it will be estimated
      domain::Day day = w.first + date::days{pick(5)};
      if (roll < 14) day = m.first_day() + date::days{5 + pick(18)};  // off-cycle
      if (day <= last) continue;
      double season =
          1.0 + winter * std::cos(2 * std::numbers::pi * (static_cast<int>(m.month) - 1) / 12.0) +
          summer * std::max(0.0, std::cos(2 * std::numbers::pi * (static_cast<int>(m.month) - 7) /
                                          12.0));
      bool away = away_this_year &&
                  m.year == static_cast<int>(date::year_month_day{today}.year()) - 1 &&
                  m.month >= 4 && m.month <= 9;
      double used =
          away ? 0.0 : base * season * domain::days_between(last, day) * uniform(0.85, 1.15);
      for (size_t z = 0; z < zone_list.size(); ++z) {
        counter[z] += std::round(used * kShares[zones - 1][z]);
        shown[z] = static_cast<std::int64_t>(counter[z]) % modulus;
      }
      submit(day, kChannels[pick(8)], "customer", 8 + pick(14));
      last = day;
    }
    if (static_cast<int>(summary.examples.size()) < examples &&
        (summary.examples.empty() || summary.examples.back().zones != zones)) {
      std::string next = "{";
      for (size_t z = 0; z < zone_list.size(); ++z) {
        if (z) next += ',';
        next += '"' + std::string(domain::zone_name(zone_list[z])) +
                "\":" + std::to_string((shown[z] + 3 + static_cast<std::int64_t>(z)) % modulus);
      }
      next += '}';
      summary.examples.push_back(DemoAccount{number, serial, zones, next});
    }
    ++summary.accounts;
  }
  tx->append_audit(store::AuditEntry{now, "system", "import", "demo_data", "", "",
                                     "generated " + std::to_string(summary.accounts) + " accounts",
                                     "", std::nullopt});
  tx->commit();
  return summary;
}

}  // namespace md::service
