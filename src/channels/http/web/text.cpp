// The words on the web pages, Ukrainian and English. Validation and outcome messages come from
// the dialog catalogue, which every channel shares.
#include "channels/http/web/web_internal.hpp"

namespace md::http::web {
namespace {

struct Text {
  const char *key, *uk, *en;
};

constexpr Text kText[] = {
    {"site", "Показники лічильника · Одесаобленерго", "Meter readings · Odesa DSO"},
    {"skip", "Перейти до змісту", "Skip to content"},
    {"menu", "Меню", "Menu"},
    {"footer",
     "Кол-центр: 0 800 300 015 (цілодобово, безкоштовно). Показники також приймають Telegram, "
     "Viber і телефон.",
     "Call centre: 0 800 300 015 (24/7, free). Readings are also taken by Telegram, Viber and "
     "phone."},
    {"sign_in", "Увійти", "Sign in"},
    {"sign_out", "Вийти", "Sign out"},
    {"sign_up", "Зареєструватися", "Sign up"},
    {"no_account_yet", "Ще немає кабінету?", "No account yet?"},
    {"submit_reading", "Передати показники", "Submit a reading"},
    {"cabinet", "Особистий кабінет", "Personal account"},
    {"account_number", "Особовий рахунок", "Account number"},
    {"meter_serial", "Номер лічильника", "Meter serial number"},
    {"serial_hint", "як на табличці лічильника", "as on the meter's plate"},
    {"meter", "Лічильник", "Meter"},
    {"next", "Далі", "Next"},
    {"send", "Надіслати показники", "Send the reading"},
    {"send_confirmed", "Підтвердити й надіслати", "Confirm and send"},
    {"last_reading", "Останній показник", "Last reading"},
    {"same_as_last", "Такий самий, як минулого разу (мене не було вдома)",
     "Same as last time (I was away)"},
    {"photo", "Фото лічильника", "Photo of the meter"},
    {"photo_hint", "необов'язково; JPEG або PNG до {max}", "optional; JPEG or PNG up to {max}"},
    {"confirm_check", "Я перевірив(ла): показник правильний",
     "I have checked: the reading is right"},
    {"kwh", "кВт·год", "kWh"},
    {"usually", "зазвичай близько", "usually about"},
    {"other_channels",
     "Не вдається передати показник? Зателефонуйте в кол-центр 0 800 300 015 або напишіть нашому "
     "боту в Telegram чи Viber.",
     "Cannot send the reading? Call the call centre on 0 800 300 015 or write to our Telegram or "
     "Viber bot."},
    {"accepted", "Показник прийнято.", "Reading accepted."},
    {"receipt_number", "Номер квитанції (збережіть його):", "Receipt number (keep it):"},
    {"taken_on", "Дата показника", "Reading date"},
    {"counts_for", "Зараховано за", "Counts for"},
    {"received", "Отримано", "Received"},
    {"channel", "Канал", "Channel"},
    {"flags", "Позначки", "Flags"},
    {"print", "Надрукувати", "Print"},
    {"submit_another", "Передати інший показник", "Submit another reading"},
    {"password", "Пароль", "Password"},
    {"password_hint", "щонайменше 10 символів", "at least 10 characters"},
    {"email", "Електронна пошта", "E-mail"},
    {"phone", "Телефон", "Phone"},
    {"optional", "необов'язково", "optional"},
    {"login_customer", "Особовий рахунок або e-mail", "Account number or e-mail"},
    {"login_staff", "Логін", "Login"},
    {"overview", "Огляд", "Overview"},
    {"history", "Історія", "History"},
    {"volumes", "Обсяги", "Volumes"},
    {"bills", "Рахунки", "Bills"},
    {"change_password", "Змінити пароль", "Change password"},
    {"current_password", "Поточний пароль", "Current password"},
    {"new_password", "Новий пароль", "New password"},
    {"save", "Зберегти", "Save"},
    {"submit_now", "Передати зараз", "Submit now"},
    {"reminders", "Нагадування", "Reminders"},
    {"reminders_on", "Нагадувати про передачу показників", "Remind me to submit readings"},
    {"messengers",
     "Показники можна передавати й через бот у Telegram або Viber: напишіть /start і поділіться "
     "номером телефону.",
     "You can also send readings through our Telegram or Viber bot: write /start and share your "
     "phone number."},
    {"reading", "Показник", "Reading"},
    {"status", "Стан", "Status"},
    {"nothing_yet", "Ще немає показників.", "No readings yet."},
    {"month", "Місяць", "Month"},
    {"zone", "Зона", "Zone"},
    {"start", "Початок", "Start"},
    {"end", "Кінець", "End"},
    {"volume", "Обсяг, кВт·год", "Volume, kWh"},
    {"correction", "Коригування", "Correction"},
    {"method", "Спосіб", "Method"},
    {"no_volumes", "Ще немає закритих місяців.", "No closed months yet."},
    {"download", "Завантажити всі мої дані", "Download all my data"},
    {"line", "Рядок", "Line"},
    {"price", "Ціна, грн/кВт·год", "Price, UAH/kWh"},
    {"amount", "Сума, грн", "Amount, UAH"},
    {"total", "Разом", "Total"},
    {"no_bills", "Ще немає рахунків.", "No bills yet."},
    {"chart_title", "Споживання за місяцями, кВт·год", "Consumption by month, kWh"},
    {"console", "Пульт оператора", "Operators' console"},
    {"search", "Шукати", "Search"},
    {"search_label", "Рахунок, EIC, номер лічильника, телефон або частина адреси",
     "Account, EIC, meter serial, phone or part of the address"},
    {"holder", "Власник", "Holder"},
    {"address", "Адреса", "Address"},
    {"nothing_found", "Нічого не знайдено.", "Nothing found."},
    {"window_stats", "Поточне вікно", "This window"},
    {"review_backlog", "Чекають перевірки", "Waiting for review"},
    {"estimated_share", "Частка розрахункових обсягів минулого місяця",
     "Share estimated last month"},
    {"day", "День", "Day"},
    {"closed", "закритий", "closed"},
    {"digits", "цифр", "digits"},
    {"installed", "встановлено", "installed"},
    {"readings", "Показники", "Readings"},
    {"photo_link", "фото", "photo"},
    {"inspector_reading", "Показник контролера або оператора", "Inspector or operator reading"},
    {"values_label", "Показники за зонами", "Readings by zone"},
    {"values_hint", "через пробіл, у порядку зон: день ніч",
     "space-separated, in zone order: day night"},
    {"type", "Вид", "Kind"},
    {"type_inspector", "контрольний огляд", "inspector visit"},
    {"type_operator", "зі слів споживача", "from the customer"},
    {"reason", "Підстава", "Reason"},
    {"audit", "Журнал дій", "Audit trail"},
    {"when", "Коли", "When"},
    {"who", "Хто", "Who"},
    {"what", "Що", "What"},
    {"result", "Результат", "Result"},
    {"review", "Перевірка", "Review"},
    {"previous", "попередній", "previous"},
    {"decision_reason", "Причина рішення (обов'язкова для відхилення)",
     "Reason for the decision (required to reject)"},
    {"accept", "Прийняти", "Accept"},
    {"reject", "Відхилити", "Reject"},
    {"queue_empty", "Черга порожня.", "The queue is empty."},
    {"periods", "Періоди", "Periods"},
    {"closed_at", "Закрито", "Closed"},
    {"summary", "Підсумок", "Summary"},
    {"export", "Вивантажити", "Export"},
    {"next_close", "Наступний до закриття", "Next to close"},
    {"run_close", "Закрити період", "Close the period"},
    {"users", "Користувачі", "Users"},
    {"login", "Логін", "Login"},
    {"role", "Роль", "Role"},
    {"add_user", "Додати користувача", "Add a user"},
};

}  // namespace

kainjow::mustache::data texts(dialog::Lang lang) {
  kainjow::mustache::data t;
  for (const auto& e : kText) t.set(e.key, lang == dialog::Lang::en ? e.en : e.uk);
  return t;
}

std::string text(dialog::Lang lang, std::string_view key) {
  for (const auto& e : kText)
    if (key == e.key) return lang == dialog::Lang::en ? e.en : e.uk;
  return std::string(key);
}

}  // namespace md::http::web
