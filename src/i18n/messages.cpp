#include "i18n/messages.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <vector>

namespace md::i18n {
namespace {

struct Entry {
  std::string_view key, uk, en;
};

// Every message the channels say, in both languages: a catalogue, long on purpose (one place to
// translate and to proofread; each entry carries both languages).
constexpr Entry kCatalogue[] = {
    {"not_found", "Не знайдено рахунок з таким номером лічильника. Перевірте обидва номери.",
     "No account with this meter number was found. Please check both numbers."},
    {"too_many_attempts", "Забагато спроб: спробуйте пізніше.",
     "Too many attempts: please try later."},
    {"too_many_attempts_until",
     "Забагато спроб. Спробуйте знову після {time} або зателефонуйте в кол-центр 0 800 300 015.",
     "There have been too many attempts. Please try again after {time}, or call the call centre "
     "on 0 800 300 015."},
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
     "Показник зони «{zone}» менший за ваш останній показник {previous} від {date}. Перевірте "
     "цифри і надішліть його ще раз.",
     "The {zone} reading is lower than your last reading {previous} of {date}. Check the digits "
     "and send it again."},
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
    // The messenger and phone conversation (dialog/conversation.cpp).
    {"bot.welcome", "Вітаємо! Це бот для передачі показників електролічильника ДСО Одещини.",
     "Welcome! This bot takes your electricity meter readings for the Odesa region DSO."},
    {"bot.identify",
     "Щоб передавати показники, поділіться своїм номером телефону кнопкою нижче або надішліть "
     "номер особового рахунку ({digits} цифр).",
     "To send readings, share your phone number with the button below or send your account "
     "number ({digits} digits)."},
    {"bot.share_phone", "📱 Поділитися номером телефону", "📱 Share my phone number"},
    {"bot.serial_not_found",
     "Лічильника з таким заводським номером на цьому рахунку не знайдено. Перевірте номер на "
     "лічильнику і надішліть його ще раз.",
     "No meter with this serial number was found on this account. Please check the number on the "
     "meter and send it again."},
    {"bot.ask_serial", "Тепер надішліть заводський номер лічильника (він є на лічильнику).",
     "Now send the meter's serial number (it is printed on the meter)."},
    {"bot.linked", "Рахунок {account} додано.", "Account {account} is linked."},
    {"bot.not_own_contact",
     "Поділитися можна лише власним номером: натисніть кнопку нижче або надішліть номер рахунку.",
     "Only your own number can be shared: press the button below or send your account number."},
    {"bot.phone_unknown",
     "За цим номером телефону рахунків не знайдено. Надішліть номер особового рахунку.",
     "No accounts are registered with this phone number. Please send your account number."},
    {"bot.pick_account", "За вашим номером знайдено рахунки. Оберіть свій:",
     "These accounts are registered with your number. Choose yours:"},
    {"bot.other_account", "Інший рахунок", "Another account"},
    {"bot.menu", "Що бажаєте зробити?", "What would you like to do?"},
    {"bot.submit", "Передати показники", "Send a reading"},
    {"bot.history", "Історія", "History"},
    {"bot.accounts", "Мої рахунки", "My accounts"},
    {"bot.language", "Мова / Language", "Мова / Language"},
    {"bot.reminders", "Нагадування", "Reminders"},
    {"bot.choose_account", "Оберіть рахунок:", "Choose the account:"},
    {"bot.choose_meter", "Оберіть лічильник:", "Choose the meter:"},
    {"bot.meter_line", "Лічильник {serial}, рахунок {account}.",
     "Meter {serial}, account {account}."},
    {"bot.last", "Останній показник ({date}): {values}.", "Last reading ({date}): {values}."},
    {"bot.replaces", "Новий показник замінить надісланий {date} ({values}).",
     "A new reading replaces the one sent on {date} ({values})."},
    {"bot.no_last", "Попередніх показників немає.", "There is no earlier reading."},
    {"bot.ask_all", "Надішліть показники ({zones}) одним повідомленням, наприклад: {example}",
     "Send the readings ({zones}) in one message, e.g. {example}"},
    {"bot.reading_no_number", "Надішліть показник цифрами, наприклад: {example}",
     "Send the reading in digits, e.g. {example}"},
    {"bot.reading_zones",
     "У цього лічильника зон: {count} ({zones}). Надішліть по одному числу на зону, наприклад: "
     "{example}",
     "This meter has {count} zones ({zones}). Send one number per zone, e.g. {example}"},
    {"bot.reading_one", "У цього лічильника одна зона. Надішліть одне число, наприклад: {example}",
     "This meter has one zone. Send one number, e.g. {example}"},
    {"bot.ask_zone", "Надішліть показник зони «{zone}» (лише цілі цифри, без червоних).",
     "Send the {zone} reading (whole digits only, without the red ones)."},
    {"bot.same", "Такі самі, як минулого разу", "Same as last time"},
    {"bot.cancel", "Скасувати", "Cancel"},
    {"bot.cancelled", "Скасовано. Нічого не збережено.", "Cancelled. Nothing was stored."},
    {"bot.consumption", "Споживання {zone}: {kwh} кВт·год", "{zone} consumption: {kwh} kWh"},
    {"bot.expected", "(зазвичай близько {kwh})", "(usually about {kwh})"},
    {"bot.confirm_high_button", "Так, показник правильний", "Yes, the reading is right"},
    {"bot.reenter", "Ввести знову", "Enter again"},
    {"bot.photo_welcome", "Можете надіслати фото лічильника.",
     "You may send a photo of the meter."},
    {"bot.photo_attached", "Фото додано до показника.", "The photo is attached to the reading."},
    {"bot.photo_not_now",
     "Фото потрібне лише тоді, коли ми про нього просимо. Надішліть показник цифрами.",
     "A photo is only needed when we ask for it. Please send the reading in digits."},
    {"bot.check", "Перевірте: {values}. Надіслати?", "Please check: {values}. Send it?"},
    {"bot.send", "Надіслати", "Send"},
    {"bot.use_buttons", "Будь ласка, скористайтеся кнопками нижче.",
     "Please use the buttons below."},
    {"bot.outdated", "Ця кнопка вже неактуальна.", "This button is out of date."},
    {"bot.unsupported", "Я розумію лише текст і кнопки.", "I can only read text and buttons."},
    {"bot.too_long", "Повідомлення задовге.", "The message is too long."},
    {"bot.other_channels",
     "Не вдалося з трьох спроб. Передайте показники на сайті (форма без входу), телефоном "
     "0 800 300 015 (натисніть 2) або зверніться до кол-центру.",
     "Three tries did not succeed. You can send the reading on the website (no sign-in needed), "
     "by phone on 0 800 300 015 (press 2), or ask the call centre."},
    {"bot.account_attempts",
     "Для цього рахунку було забагато спроб. Спробуйте знову після {time} або зателефонуйте в "
     "кол-центр 0 800 300 015.",
     "There have been too many attempts for this account. Please try again after {time}, or call "
     "the call centre on 0 800 300 015."},
    {"bot.locked", "Забагато невдалих спроб. Спробуйте знову після {time}.",
     "Too many failed attempts. Please try again after {time}."},
    {"bot.flood",
     "Забагато повідомлень за хвилину. Я їх отримую, але відповім за хвилину; прийняті показники "
     "підтверджу одразу.",
     "Too many messages in a minute. I get them, but will answer in a minute; an accepted reading "
     "is confirmed at once."},
    {"bot.by_phone", "Показник, переданий телефоном:", "The reading given by phone:"},
    {"bot.receipt_values", "Показники: {values}.", "Readings: {values}."},
    {"bot.receipt_consumption", "Споживання з минулого показника: {values}.",
     "Consumption since the last reading: {values}."},
    {"bot.receipt_period", "Зараховано як показник на 1-ше число після {month}.",
     "Counts as the reading on the 1st after {month}."},
    {"bot.receipt_off_cycle", "Зараховано як позаплановий показник на {date}.",
     "Counts as an off-cycle reading on {date}."},
    {"bot.receipt_deadline", "Виправити можна до {date}.", "It can be corrected until {date}."},
    {"bot.receipt_meta", "Отримано {time}, рахунок {account}, лічильник {serial}.",
     "Received {time}, account {account}, meter {serial}."},
    {"bot.history_empty", "Показників ще немає.", "There are no readings yet."},
    {"bot.history_title", "Останні показники:", "Latest readings:"},
    {"bot.accounts_list", "Ваші рахунки: {accounts}.", "Your accounts: {accounts}."},
    {"bot.accounts_none", "Рахунків ще не додано.", "No accounts are linked yet."},
    {"bot.add_account", "Додати рахунок", "Link another account"},
    {"bot.unlink", "Відв'язати {account}", "Unlink {account}"},
    {"bot.unlinked", "Рахунок {account} відв'язано.", "Account {account} is unlinked."},
    {"bot.choose_language",
     "Оберіть мову / Choose the language:", "Оберіть мову / Choose the language:"},
    {"bot.language_set", "Мову змінено: українська.", "The language is now English."},
    {"bot.reminders_state_on", "Нагадування увімкнено: ми нагадаємо, коли відкриється вікно.",
     "Reminders are on: we will remind you when the window opens."},
    {"bot.reminders_state_off", "Нагадування вимкнено.", "Reminders are off."},
    {"bot.turn_on", "Увімкнути", "Turn on"},
    {"bot.turn_off", "Вимкнути", "Turn off"},
    {"bot.help",
     "Команди: /submit — передати показники, /history — історія, /accounts — рахунки, "
     "/language — мова, /reminders — нагадування, /help — довідка.",
     "Commands: /submit — send a reading, /history — history, /accounts — accounts, "
     "/language — language, /reminders — reminders, /help — help."},
    {"bot.need_account", "Спершу додайте рахунок.", "Please link an account first."},
    {"bot.no_meter", "На цьому рахунку немає встановленого лічильника. Зверніться до кол-центру.",
     "This account has no meter installed. Please contact the call centre."},
    {"notice.window_open",
     "Нагадування: {window} Надішліть показники рахунку {account} командою /submit.",
     "Reminder: {window} Send the readings of account {account} with /submit."},
    {"notice.window_day2",
     "Ми ще не отримали показників рахунку {account}. {window} Надішліть їх командою /submit.",
     "We have not received the readings of account {account} yet. {window} Send them with "
     "/submit."},
    {"notice.estimated",
     "Показників рахунку {account} за {month} не надійшло, тому обсяг визначено розрахунково: "
     "{estimate}. Надішліть фактичні показники (/submit), і наступний місяць урахує різницю.",
     "No reading of account {account} arrived for {month}, so the volume was estimated: "
     "{estimate}. Send an actual reading (/submit) and next month will carry the difference."},
    {"notice.review_accepted", "Показник {receipt} рахунку {account} перевірено та прийнято.",
     "Reading {receipt} of account {account} was checked and accepted."},
    {"notice.review_rejected",
     "Показник {receipt} рахунку {account} відхилено оператором: {reason}. Надішліть, будь "
     "ласка, правильний показник (/submit).",
     "Reading {receipt} of account {account} was rejected by an operator: {reason}. Please send "
     "the correct reading (/submit)."},
    {"zone.total", "загальна", "total"},
    {"zone.day", "день", "day"},
    {"zone.night", "ніч", "night"},
    {"zone.peak", "пік", "peak"},
    {"zone.half_peak", "напівпік", "half-peak"},
    // How a reading came in: the `channel` of readings and audit records.
    {"channel.telegram", "Telegram", "Telegram"},
    {"channel.viber", "Viber", "Viber"},
    {"channel.ivr", "телефон", "phone"},
    {"channel.web_form", "форма на сайті", "website form"},
    {"channel.cabinet", "особистий кабінет", "personal account"},
    {"channel.api", "API", "API"},
    {"channel.operator_console", "оператор", "operator"},
    {"channel.import", "імпорт", "import"},
    {"channel.web", "сайт", "website"},
    {"channel.cli", "командний рядок", "command line"},
    {"channel.outbox", "розсилка", "outbox"},
    {"status.accepted", "прийнято", "accepted"},
    {"status.superseded", "замінено новішим", "superseded by a later one"},
    {"status.rejected_by_operator", "відхилено оператором", "rejected by an operator"},
    {"review.pending", "на перевірці", "awaiting review"},
    {"review.accepted", "перевірено: прийнято", "checked: accepted"},
    {"review.rejected", "перевірено: відхилено", "checked: rejected"},
    {"flag.zero", "нульове споживання", "zero consumption"},
    {"flag.high", "високе споживання", "high consumption"},
    {"flag.rollover", "перехід лічильника через нуль", "the counter rolled over"},
    {"flag.off_cycle", "позаплановий", "off-cycle"},
    {"flag.photo", "з фото", "with a photo"},
    {"type.customer", "від споживача", "from the customer"},
    {"type.inspector", "контрольний огляд", "inspector visit"},
    {"type.operator", "оператор зі слів споживача", "operator, from the customer"},
    {"type.exchange_final", "кінцевий при заміні лічильника", "final, meter exchange"},
    {"type.exchange_initial", "початковий при заміні лічильника", "initial, meter exchange"},
    {"kind.actual", "фактичний", "actual"},
    {"kind.estimated", "розрахунковий", "estimated"},
    {"kind.derived", "похідний", "derived"},
    {"kind.installation", "встановлення", "installation"},
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

std::string label(Lang lang, std::string_view family, std::string_view code) {
  const Entry* e = find(std::string(family) + "." + std::string(code));
  return e ? std::string(lang == Lang::en ? e->en : e->uk) : std::string(code);
}

std::string zone_label(Lang lang, std::string_view zone) {
  return label(lang, "zone", zone);
}

}  // namespace md::i18n
