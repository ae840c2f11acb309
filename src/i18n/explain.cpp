#include "i18n/explain.hpp"

#include <cmath>
#include <cstdio>

namespace md::i18n {
namespace {

constexpr const char* kMonthsEn[] = {"January",   "February", "March",    "April",
                                     "May",       "June",     "July",     "August",
                                     "September", "October",  "November", "December"};
constexpr const char* kMonthsUk[] = {"січень",   "лютий",   "березень", "квітень",
                                     "травень",  "червень", "липень",   "серпень",
                                     "вересень", "жовтень", "листопад", "грудень"};

constexpr const char* kShortEn[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr const char* kShortUk[] = {"січ", "лют", "бер", "кві", "тра", "чер",
                                    "лип", "сер", "вер", "жов", "лис", "гру"};

std::string number(Lang lang, double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  if (lang == Lang::uk)
    for (auto& c : s)
      if (c == '.') c = ',';
  return s;
}

std::string days_word(Lang lang, int n) {
  if (lang == Lang::en) return n == 1 ? "day" : "days";
  int last2 = n % 100, last = n % 10;
  if (last2 >= 11 && last2 <= 14) return "днів";
  if (last == 1) return "день";
  if (last >= 2 && last <= 4) return "дні";
  return "днів";
}

// "14 % more" / "на 14 % більше": a ratio as the change it means; empty when under half a percent.
std::string change_text(Lang lang, double ratio) {
  double percent = (ratio - 1.0) * 100.0;
  if (!(std::abs(percent) >= 0.5)) return {};
  std::string n = number(lang, std::abs(percent), 0) + " %";
  if (lang == Lang::en) return n + (percent > 0 ? " more" : " less");
  return "на " + n + (percent > 0 ? " більше" : " менше");
}

// The blend's reasons, each a clause: the household's recent average, its own season a year ago
// (or everyone's), and what this month's senders used against what was expected of them.
std::string blend_text(Lang lang, const domain::RateBasis& b) {
  const bool en = lang == Lang::en;
  const auto& in = b.inputs;
  std::string text = (en ? "your average " : "ваше середнє ") + number(lang, in.recent, 2) + " " +
                     (en ? "kWh/day " : "кВт·год/добу ") + domain::format_date_dmy(in.recent_from) +
                     "–" + domain::format_date_dmy(in.recent_to);
  if (b.step == domain::BlendStep::full && in.quarter_year_ago > 0) {
    if (auto c = change_text(lang, in.year_ago / in.quarter_year_ago); !c.empty())
      text += en ? "; a year ago you used " + c + " this month than in the three months before"
                 : "; рік тому цього місяця ви спожили " + c + ", ніж за три місяці перед тим";
  } else if (b.step != domain::BlendStep::recent) {
    if (auto c = change_text(lang, in.season); !c.empty())
      text += en ? "; a year ago customers used " + c + " this month than in your months"
                 : "; рік тому споживачі цього місяця спожили " + c + ", ніж у ваші місяці";
  }
  if (auto c = change_text(lang, b.signal); b.signal != 1.0 && !c.empty()) {
    if (b.signal_area.empty())
      text +=
          en ? "; customers who sent readings this month use " + c + " than expected"
             : "; ті, хто передав показники цього місяця, споживають " + c + ", ніж очікувалося";
    else
      text += en ? "; customers in " + b.signal_area + " who sent readings this month use " + c +
                       " than expected"
                 : "; ті, хто передав показники цього місяця в районі " + b.signal_area +
                       ", споживають " + c + ", ніж очікувалося";
  }
  return text;
}

std::string basis_text(Lang lang, const domain::RateBasis& b) {
  using K = domain::RateBasis::Kind;
  std::string text;
  switch (b.kind) {
    case K::blend:
      text = blend_text(lang, b);
      if (b.k_outage != 1.0)
        text +=
            (lang == Lang::en ? ", outages × " : ", відключення × ") + number(lang, b.k_outage, 2);
      return text;
    case K::same_month_last_year:
      text = month_name(lang, b.basis_month);
      break;
    case K::last_known_rate:
      text = (lang == Lang::en ? "your average " : "ваше середнє ") +
             domain::format_date_dmy(b.from) + "–" + domain::format_date_dmy(b.to);
      break;
    case K::class_default:
      text = lang == Lang::en ? "the usual for this meter type" : "типове для цього лічильника";
      if (b.class_scale != 1.0)
        text += std::string(" × ") + number(lang, b.class_scale, 2) +
                (lang == Lang::en ? ", as this month's senders use it"
                                  : ", як споживають ті, хто передав показники цього місяця");
      break;
  }
  if (b.k != 1.0) text += ", K " + number(lang, b.k, 2);
  if (b.seasonal != 1.0)
    text += (lang == Lang::en ? ", season × " : ", сезон × ") + number(lang, b.seasonal, 2);
  if (b.k_outage != 1.0)
    text += (lang == Lang::en ? ", outages × " : ", відключення × ") + number(lang, b.k_outage, 2);
  return text;
}

}  // namespace

std::string month_name(Lang lang, domain::YearMonth m) {
  const char* name = (lang == Lang::en ? kMonthsEn : kMonthsUk)[m.month - 1];
  return std::string(name) + " " + std::to_string(m.year);
}

std::string month_short(Lang lang, domain::YearMonth m) {
  return (lang == Lang::en ? kShortEn : kShortUk)[m.month - 1];
}

std::string explain_estimate(Lang lang, const domain::Estimate& e) {
  const std::string kwh = lang == Lang::en ? "kWh" : "кВт·год";
  const std::string per_day = lang == Lang::en ? "kWh/day" : "кВт·год/добу";
  std::string out = std::to_string(e.kwh) + " " + kwh + " =";
  for (size_t i = 0; i < e.segments.size(); ++i) {
    const auto& s = e.segments[i];
    if (i) out += " +";
    out += " " + number(lang, s.basis.rate, 2) + " " + per_day + " (" + basis_text(lang, s.basis) +
           ") × " + std::to_string(s.days) + " " + days_word(lang, s.days);
  }
  return out;
}

std::string window_text(Lang lang, domain::Day today, const domain::WindowRules& rules) {
  auto open = domain::window_containing(today, rules);
  domain::YearMonth m = open ? *open : domain::YearMonth::of(today);
  auto w = domain::window(m, rules);
  if (!open && today > w.last) {
    m = m.next();
    w = domain::window(m, rules);
  }
  std::string last = domain::format_date_dmy(w.last);
  std::string range = domain::format_date_dmy(w.first).substr(0, 5) + "–" + last;
  std::string month = month_name(lang, m);
  if (lang == Lang::en)
    return open ? "Readings for " + month + " are being taken now: " + range +
                      ". Last day: " + last + "."
                : "Readings for " + month + " will be taken " + range + ".";
  return open ? "Зараз приймаються показники за " + month + ": " + range +
                    ". Останній день: " + last + "."
              : "Показники за " + month + " приймаються " + range + ".";
}

}  // namespace md::i18n
