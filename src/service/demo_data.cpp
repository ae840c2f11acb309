#include "service/demo_data.hpp"

#include <cmath>
#include <numbers>
#include <random>
#include <span>
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

namespace {

// One seeded run of the generator: the same seed gives the same accounts and readings.
class DemoGenerator {
 public:
  DemoGenerator(store::WriteTx& tx, Submissions& submissions, domain::Instant now,
                std::uint64_t seed, DemoSummary& summary)
      : tx_(tx),
        submissions_(submissions),
        now_(now),
        rng_(seed),
        today_(domain::kyiv_date(now)),
        start_(domain::YearMonth::of(today_).plus(-25)),
        summary_(summary) {}

  void account(int i, int examples);

 private:
  // One meter of a household and what its counters show.
  struct Meter {
    std::string number, serial;
    int zones = 1;
    std::span<const domain::Zone> zone_list;
    std::vector<double> counter;
    std::vector<std::int64_t> shown;
    std::int64_t modulus = 0;
  };
  double uniform(double a, double b) { return std::uniform_real_distribution<>(a, b)(rng_); }
  int pick(int n) { return static_cast<int>(rng_() % static_cast<std::uint64_t>(n)); }
  void submit(const Meter& m, domain::Day day, const std::string& channel, const std::string& type,
              int hour);
  void history(Meter& m, domain::Day installed);

  store::WriteTx& tx_;
  Submissions& submissions_;
  domain::Instant now_;
  std::mt19937_64 rng_;
  domain::Day today_;
  domain::YearMonth start_;
  DemoSummary& summary_;
};

void DemoGenerator::account(int i, int examples) {
  char number[32];
  std::snprintf(number, sizeof number, "%0*d", submissions_.config().account_digits, 100000000 + i);
  char serial[16];
  std::snprintf(serial, sizeof serial, "%c%07d", "ANGE"[i % 4], 1000000 + i * 7);
  char phone[20];
  std::snprintf(phone, sizeof phone, "+38067%07d", 1000000 + i);
  int zones = pick(100) < 60 ? 1 : (pick(100) < 88 ? 2 : 3);
  int digits = pick(100) < 70 ? 5 : 6;
  std::string address = std::string("м. Одеса, вул. ") + kStreets[pick(9)] + ", буд. " +
                        std::to_string(1 + pick(120)) + ", кв. " + std::to_string(1 + pick(200));
  std::string holder = std::string(kSurnames[pick(12)]) + " " + kNames[pick(12)];
  domain::Day installed = start_.first_day() + date::days{pick(27)};

  auto account_id = tx_.insert_account(
      store::NewAccount{number, holder, phone,
                        i % 3 ? "" : "user" + std::to_string(i) + "@example.com", address},
      now_);
  auto point = tx_.insert_metering_point(account_id, eic_for(i), address);
  tx_.insert_meter(point, store::NewMeter{serial, zones, digits, installed});
  Meter m{number, serial, zones, domain::zones_of(zones), {}, {}, domain::register_modulus(digits)};
  history(m, installed);
  if (static_cast<int>(summary_.examples.size()) < examples &&
      (summary_.examples.empty() || summary_.examples.back().zones != zones)) {
    std::string next = "{";
    for (size_t z = 0; z < m.zone_list.size(); ++z) {
      if (z) next += ',';
      next += '"' + std::string(domain::zone_name(m.zone_list[z])) +
              "\":" + std::to_string((m.shown[z] + 3 + static_cast<std::int64_t>(z)) % m.modulus);
    }
    next += '}';
    summary_.examples.push_back(DemoAccount{number, serial, zones, next});
  }
  ++summary_.accounts;
}

// A household's readings since its meter was installed: a base daily use with winter heating
// and summer air conditioning, months without a reading, some off-cycle, a few away for summer.
void DemoGenerator::history(Meter& m, domain::Day installed) {
  static constexpr double kShares[3][3] = {{1, 0, 0}, {0.64, 0.36, 0}, {0.24, 0.46, 0.30}};
  double base = std::exp(uniform(std::log(3.5), std::log(14.0)));
  double winter = uniform(0.1, 0.7), summer = uniform(0.0, 0.3);
  bool away_this_year = pick(100) < 4;
  m.counter.resize(m.zone_list.size());
  m.shown.resize(m.zone_list.size());
  for (size_t z = 0; z < m.zone_list.size(); ++z) {
    m.counter[z] = static_cast<double>(
        static_cast<std::int64_t>(uniform(0, 0.97) * static_cast<double>(m.modulus)));
    m.shown[z] = static_cast<std::int64_t>(m.counter[z]);
  }
  submit(m, installed, "import", "exchange_initial", 12);

  domain::Day last = installed;
  for (domain::YearMonth month = start_;; month = month.next()) {
    domain::Window w = domain::window(month, submissions_.config().rules.window);
    if (w.last >= today_) break;
    int roll = pick(100);
    if (roll < 9) continue;  // no reading this month: it will be estimated
    domain::Day day = w.first + date::days{pick(5)};
    if (roll < 14) day = month.first_day() + date::days{5 + pick(18)};  // off-cycle
    if (day <= last) continue;
    double season =
        1.0 + winter * std::cos(2 * std::numbers::pi * (static_cast<int>(month.month) - 1) / 12.0) +
        summer * std::max(0.0, std::cos(2 * std::numbers::pi * (static_cast<int>(month.month) - 7) /
                                        12.0));
    bool away = away_this_year &&
                month.year == static_cast<int>(date::year_month_day{today_}.year()) - 1 &&
                month.month >= 4 && month.month <= 9;
    double used =
        away ? 0.0 : base * season * domain::days_between(last, day) * uniform(0.85, 1.15);
    for (size_t z = 0; z < m.zone_list.size(); ++z) {
      m.counter[z] += std::round(used * kShares[m.zones - 1][z]);
      m.shown[z] = static_cast<std::int64_t>(m.counter[z]) % m.modulus;
    }
    submit(m, day, kChannels[pick(8)], "customer", 8 + pick(14));
    last = day;
  }
}

void DemoGenerator::submit(const Meter& m, domain::Day day, const std::string& channel,
                           const std::string& type, int hour) {
  SubmitRequest req;
  req.channel = channel;
  req.account = m.number;
  req.meter_serial = m.serial;
  req.taken_on = day;
  req.type = type;
  req.confirmed = true;
  req.actor = type == "exchange_initial" ? "import" : "customer";
  for (size_t z = 0; z < m.zone_list.size(); ++z)
    req.values.emplace_back(std::string(domain::zone_name(m.zone_list[z])),
                            std::to_string(m.shown[z]));
  req.raw_input = "demo-data";
  domain::Instant at =
      domain::start_of_day(day) + std::chrono::hours{hour} + std::chrono::minutes{pick(60)};
  tx_.savepoint();
  SubmitOutcome o = submissions_.process(tx_, req, at);
  if (o.status == SubmitOutcome::Status::accepted) {
    tx_.release();
    ++summary_.readings;
  } else {
    tx_.rollback_to();
  }
}

}  // namespace

DemoSummary generate_demo_data(store::Store& store, Submissions& submissions, int accounts,
                               domain::Instant now, std::uint64_t seed, int examples) {
  if (store.counts().accounts > 0) throw std::runtime_error("the database already has accounts");
  DemoSummary summary;
  auto tx = store.begin_write();
  DemoGenerator generator(*tx, submissions, now, seed, summary);
  for (int i = 0; i < accounts; ++i) generator.account(i, examples);
  tx->append_audit(store::AuditEntry{now, "system", "import", "demo_data", "", "",
                                     "generated " + std::to_string(summary.accounts) + " accounts",
                                     "", std::nullopt});
  tx->commit();
  return summary;
}

}  // namespace md::service
