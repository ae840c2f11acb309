#include "dialog/messages.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <vector>

namespace md::dialog {
namespace {

struct Entry {
  std::string_view key, uk, en;
};

constexpr Entry kCatalogue[] = {
    {"not_found", "Не знайдено рахунок з таким номером лічильника. Перевірте обидва номери.",
     "No account with this meter number was found. Please check both numbers."},
    {"account_format", "Номер особового рахунку має містити {digits} цифр.",
     "The account number must be {digits} digits."},
    {"account_inactive", "Цей особовий рахунок закрито. Зверніться до кол-центру.",
     "This account is closed. Please contact the call centre."},
    {"unknown_zone", "Лічильник не має зони «{zone}».", "The meter has no zone \"{zone}\"."},
    {"duplicate_zone", "Показник зони «{zone}» вказано двічі.",
     "The {zone} reading is given twice."},
    {"missing_zone", "Вкажіть показник зони «{zone}»: потрібні показники всіх зон лічильника.",
     "Please give the {zone} reading: every zone of the meter is needed."},
    {"empty_value", "Показник зони «{zone}» порожній.", "The {zone} reading is empty."},
    {"not_a_number", "Показник зони «{zone}» має бути цілим числом (лише цифри).",
     "The {zone} reading must be a whole number (digits only)."},
    {"negative", "Показник не може бути від'ємним.", "A reading cannot be negative."},
    {"red_digits",
     "Показник зони «{zone}» має забагато цифр: не вводьте червоні цифри після коми (лічильник "
     "має {digits} цілих цифр).",
     "The {zone} reading has too many digits: don't include the red digits after the point (the "
     "meter has {digits} whole digits)."},
    {"too_many_digits", "Показник зони «{zone}» довший за {digits} цифр лічильника.",
     "The {zone} reading is longer than the meter's {digits} digits."},
    {"future_date", "Дата показника {date} ще не настала.",
     "The reading date {date} is in the future."},
    {"before_installation", "Дата показника раніша за встановлення лічильника {date}.",
     "The reading date is before the meter was installed on {date}."},
    {"before_last_reading", "Дата показника раніша за ваш останній показник від {date}.",
     "The reading date is before your last reading of {date}."},
    {"period_closed", "Період {period} уже закрито: показник за цю дату не приймається.",
     "Period {period} is already closed: a reading for this date cannot be accepted."},
    {"lower_than_previous",
     "Показник зони «{zone}» менший за ваш останній показник {previous} від {date}.",
     "The {zone} reading is lower than your last reading {previous} of {date}."},
    {"impossible",
     "Споживання {consumption} кВт·год за {days} дн. неможливе для побутового лічильника. "
     "Перевірте кількість цифр.",
     "A consumption of {consumption} kWh in {days} days is impossible for a household meter. "
     "Please check the number of digits."},
    {"high",
     "Споживання значно більше, ніж зазвичай. Перевірте показник і підтвердьте його (можна "
     "додати фото лічильника з номером і всіма зонами).",
     "The consumption is much higher than usual. Please check the reading and confirm it (you may "
     "attach a photo of the meter showing its number and all zones)."},
    {"suggestion", "Можливо, ви мали на увазі {value}?", "Did you mean {value}?"},
    {"decimal_ignored", "Дробову частину відкинуто: вводяться лише цілі цифри.",
     "The decimal part was ignored: only whole digits are entered."},
    {"accepted", "Показник прийнято. Номер квитанції {receipt}.",
     "Reading accepted. Your receipt number is {receipt}."},
    {"bad_request", "Запит неправильний: {reason}", "The request is malformed: {reason}"},
    {"rate_limited", "Забагато спроб. Спробуйте пізніше.", "Too many attempts. Please try later."},
    {"unavailable", "Сервіс тимчасово перевантажений. Спробуйте за хвилину.",
     "The service is busy. Please try again in a minute."},
    {"zone.total", "загальна", "total"},
    {"zone.day", "день", "day"},
    {"zone.night", "ніч", "night"},
    {"zone.peak", "пік", "peak"},
    {"zone.half_peak", "напівпік", "half-peak"},
};

const Entry* find(std::string_view key) {
  for (const auto& e : kCatalogue)
    if (e.key == key) return &e;
  return nullptr;
}

std::string fill(std::string_view text, const std::map<std::string, std::string>& params,
                 Lang lang) {
  std::string out;
  out.reserve(text.size() + 16);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '{') {
      size_t end = text.find('}', i);
      if (end != std::string_view::npos) {
        std::string name(text.substr(i + 1, end - i - 1));
        auto it = params.find(name);
        if (it != params.end()) {
          out += name == "zone" ? zone_label(lang, it->second) : it->second;
          i = end;
          continue;
        }
      }
    }
    out += text[i];
  }
  return out;
}

}  // namespace

Lang parse_lang(std::string_view tag) {
  if (tag.size() >= 2 && std::tolower(static_cast<unsigned char>(tag[0])) == 'e' &&
      std::tolower(static_cast<unsigned char>(tag[1])) == 'n' && (tag.size() == 2 || tag[2] == '-'))
    return Lang::en;
  return Lang::uk;
}

Lang lang_from_accept_language(std::string_view header) {
  double best_q = -1;
  Lang best = Lang::uk;
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t comma = header.find(',', pos);
    std::string_view item =
        header.substr(pos, comma == std::string_view::npos ? header.npos : comma - pos);
    pos = comma == std::string_view::npos ? header.size() + 1 : comma + 1;
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    size_t semi = item.find(';');
    std::string_view tag = item.substr(0, semi);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    double q = 1.0;
    if (semi != std::string_view::npos) {
      auto qpos = item.find("q=", semi);
      if (qpos != std::string_view::npos) q = std::atof(std::string(item.substr(qpos + 2)).c_str());
    }
    bool known = tag.size() >= 2 && (parse_lang(tag) == Lang::en ||
                                     (std::tolower(static_cast<unsigned char>(tag[0])) == 'u' &&
                                      std::tolower(static_cast<unsigned char>(tag[1])) == 'k'));
    if (known && q > best_q) {
      best_q = q;
      best = parse_lang(tag);
    }
  }
  return best;
}

std::string_view lang_code(Lang lang) {
  return lang == Lang::en ? "en" : "uk";
}

std::string message(Lang lang, std::string_view key,
                    const std::map<std::string, std::string>& params) {
  const Entry* e = find(key);
  if (!e) return std::string(key);
  return fill(lang == Lang::en ? e->en : e->uk, params, lang);
}

bool has_message(std::string_view key) {
  return find(key) != nullptr;
}

std::string zone_label(Lang lang, std::string_view zone) {
  std::string key = "zone." + std::string(zone);
  const Entry* e = find(key);
  return e ? std::string(lang == Lang::en ? e->en : e->uk) : std::string(zone);
}

}  // namespace md::dialog
