#include "dialog/phone_call.hpp"

#include <algorithm>
#include <utility>

#include <nlohmann/json.hpp>

#include "domain/meter.hpp"
#include "domain/receipt_id.hpp"
#include "service/accounts.hpp"

namespace md::dialog {

using i18n::Lang;

namespace {

using Outcome = service::SubmitOutcome;
constexpr int kTries = 3;               // channels.md: three failures, then the operator
constexpr int kTimeouts = 2;            // the prompt is repeated twice, then a polite hang-up
constexpr std::size_t kMaxDigits = 24;  // longer than any account or reading

// A rejection said in one recorded sentence: the catalogue's messages carry values the
// recordings cannot.
std::string rejection_prompt(std::string_view code) {
  for (std::string_view known : {"lower_than_previous", "too_many_digits", "red_digits",
                                 "impossible", "period_closed", "not_a_number", "empty_value"})
    if (code == known) return "ivr.rejected." + std::string(code);
  return "ivr.rejected";
}

}  // namespace

PhoneCall::PhoneCall(std::string call_id, std::string caller, CallSettings settings)
    : call_id_(std::move(call_id)), caller_(std::move(caller)), settings_(std::move(settings)) {}

void PhoneCall::say_number(std::vector<std::string>& play, std::string_view digits) const {
  for (char c : digits) {
    if (c >= '0' && c <= '9') play.push_back(std::string("digit.") + c);
    if (c >= 'A' && c <= 'Z') play.push_back(std::string("letter.") + c);
  }
}

// A reading's values, each zone named where there are several: "day 1 2 1 2 0, night 6 0 6 0".
void PhoneCall::say_values(std::vector<std::string>& play,
                           const std::vector<std::string>& values) const {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (draft_.zones > 1) play.push_back("ivr.name." + draft_.zone_name(i));
    say_number(play, values[i]);
  }
}

// The question of `stage`, after what `step` already says; remembered, for a time-out to repeat.
CallStep PhoneCall::ask(Stage stage, CallStep step) {
  stage_ = stage;
  buffer_.clear();
  std::vector<std::string> q;
  switch (stage) {
    case Stage::menu:
      q = {"ivr.welcome", "ivr.menu"};
      break;
    case Stage::caller_choice:
      q.push_back("ivr.press1_account");
      say_number(q, std::string_view(offered_).substr(offered_.size() - 4));
      q.push_back("ivr.or0_other");
      break;
    case Stage::account:
      q.push_back("ivr.enter_account");
      break;
    case Stage::serial:
      q.push_back("ivr.enter_serial");
      break;
    case Stage::zone:
      q.push_back("ivr.zone." + draft_.zone_name());
      break;
    case Stage::suggest:
      q.push_back("ivr.suggestion");
      say_number(q, suggested_->second);
      q.push_back("ivr.take_or_again");
      break;
    case Stage::confirm:
      q.push_back("ivr.you_entered");
      say_values(q, draft_.values);
      q.insert(q.end(), flags_.begin(), flags_.end());
      if (suggested_) {
        q.push_back("ivr.suggestion");
        say_number(q, suggested_->second);
        q.push_back("ivr.take_keep_again");
      } else {
        q.push_back("ivr.send_or_again");
      }
      break;
    case Stage::receipt:
      q.push_back("ivr.accepted");
      say_number(q, receipt_);
      q.push_back("ivr.hear_again");
      break;
    case Stage::done:
      break;
  }
  step.play.insert(step.play.end(), q.begin(), q.end());
  question_ = std::move(q);
  return step;
}

CallStep PhoneCall::start(Backend& b) {
  if (settings_.menu_key) return ask(Stage::menu);
  // The switch already asked: straight to who is calling.
  auto accounts = caller_.empty() ? std::vector<std::string>{} : b.accounts_by_phone(caller_);
  if (!accounts.empty()) {
    offered_ = accounts.front();
    return ask(Stage::caller_choice);
  }
  return ask(Stage::account);
}

CallStep PhoneCall::timeout(Backend& b) {
  (void)b;
  if (stage_ == Stage::done) return CallStep{{}, CallStep::Then::hang_up, {}};
  if (stage_ == Stage::receipt) return goodbye({});  // the reading is stored: nothing is missing
  if (++timeouts_ > kTimeouts) {
    stage_ = Stage::done;
    return CallStep{{"ivr.no_input_goodbye"}, CallStep::Then::hang_up, {}};
  }
  CallStep step{{"ivr.no_input"}, CallStep::Then::listen, {}};
  step.play.insert(step.play.end(), question_.begin(), question_.end());
  return step;
}

CallStep PhoneCall::goodbye(CallStep step) {
  stage_ = Stage::done;
  step.play.push_back("ivr.goodbye");
  step.then = CallStep::Then::hang_up;
  return step;
}

CallStep PhoneCall::digit(char d, Backend& b) {
  timeouts_ = 0;
  switch (stage_) {
    case Stage::done:
      return {};
    case Stage::menu:
      if (d == '9') {
        lang = Lang::en;
        return ask(Stage::menu);
      }
      if (d != settings_.menu_key) return ask(Stage::menu);
      settings_.menu_key = 0;
      return start(b);
    case Stage::caller_choice:
      if (d == '1') {
        draft_.account = offered_;
        if (!settings_.trust_caller) return ask(Stage::serial);
        auto meters = b.meters(draft_.account);
        if (meters.size() == 1) return begin(meters.front(), b);
        return ask(Stage::serial);
      }
      if (d == '0') return ask(Stage::account);
      return ask(Stage::caller_choice);
    case Stage::suggest:
    case Stage::confirm:
      return decided(d, b);
    case Stage::receipt:
      if (d != '9') return goodbye({});
      {
        CallStep again;
        say_number(again.play, receipt_);
        return goodbye(std::move(again));
      }
    case Stage::account:
    case Stage::serial:
    case Stage::zone:
      if (d == '*') return ask(stage_);  // start this entry again
      if (d == '#') return entered(b);
      if (d >= '0' && d <= '9' && buffer_.size() <= kMaxDigits) buffer_ += d;
      return {};  // digits are taken silently until the hash
  }
  return {};
}

// A key at the whole reading or at a suggestion: 1 sends it (or takes the suggestion), 2 enters it
// again, 3 sends an unusual reading as typed when a value was suggested.
CallStep PhoneCall::decided(char d, Backend& b) {
  const bool suggesting = stage_ == Stage::suggest;
  if (d == '1' && suggested_) {
    draft_.values[suggested_->first] = suggested_->second;
    draft_.confirmed = false;
    suggested_.reset();
    // A suggestion for a rejected value is judged with the rest; one for the whole reading was
    // heard with it, so taking it sends it.
    return suggesting ? validate(b) : store(b);
  }
  if (d == '1' && !suggesting) return store(b);
  if (d == '3' && !suggesting && suggested_) {
    draft_.confirmed = true;
    suggested_.reset();
    return store(b);
  }
  if (d == '2') {
    suggested_.reset();
    if (!suggesting) draft_.restart();
    return ask(Stage::zone);
  }
  CallStep keys;
  keys.play.push_back(suggesting   ? "ivr.take_or_again"
                      : suggested_ ? "ivr.take_keep_again"
                                   : "ivr.send_or_again");
  return keys;
}

CallStep PhoneCall::entered(Backend& b) {
  if (buffer_.empty()) return ask(stage_);
  if (buffer_.size() > kMaxDigits)
    return fail(b, {stage_ == Stage::zone ? "ivr.rejected.too_many_digits" : "ivr.not_found"},
                stage_ == Stage::zone ? Stage::zone : Stage::account);
  switch (stage_) {
    case Stage::account:
      if (!service::valid_account_number(buffer_, b.account_digits()))
        return fail(b, {"ivr.account_format"}, Stage::account);
      // The serial is asked whether or not the account exists: the line must not confirm them.
      draft_.account = buffer_;
      return ask(Stage::serial);
    case Stage::serial:
      return identify(b);
    case Stage::zone:
      draft_.enter(std::exchange(buffer_, {}));
      return validate(b);  // a value given is judged at once, before the other zones come
    default:
      return {};
  }
}

// Four digits are easily guessed: every wrong try counts against the account, on every channel.
CallStep PhoneCall::identify(Backend& b) {
  auto id = b.identify(draft_.account, buffer_, service::SerialForm::last_four);
  if (id.status == Identified::Status::refused) return refused();
  if (id.status == Identified::Status::not_found) return fail(b, {"ivr.not_found"}, Stage::account);
  return begin(id.meter, b);
}

// The meter found: its last reading, briefly, then the first zone.
CallStep PhoneCall::begin(const MeterInfo& m, Backend& b) {
  draft_.begin(m);
  CallStep step;
  if (auto last = b.last_reading(m.account, m.serial)) {
    std::vector<std::string> values;
    for (auto v : last->values) values.push_back(std::to_string(v));
    step.play.push_back("ivr.last");
    say_values(step.play, values);
  }
  return ask(Stage::zone, std::move(step));
}

// Too many guesses at the account lately, on any channel: the operator or goodbye.
CallStep PhoneCall::refused() {
  stage_ = Stage::done;
  CallStep step{{"ivr.account_attempts"}, CallStep::Then::hang_up, {}};
  if (!settings_.transfer.empty()) {
    step.play.emplace_back("ivr.transfer");
    step.then = CallStep::Then::transfer;
  } else {
    step.play.emplace_back("ivr.goodbye");
  }
  return step;
}

service::SubmitRequest PhoneCall::request() const {
  return draft_.request("ivr", lang, {{"call", call_id_}, {"caller", caller_}});
}

CallStep PhoneCall::validate(Backend& b) {
  return answered(check(draft_, request(), b), b);
}

CallStep PhoneCall::store(Backend& b) {
  service::SubmitRequest req = request();
  req.idempotency_key = call_id_;
  return answered(dialog::store(draft_, req, b), b);
}

// The service's answer, spoken: the whole reading read back once for a 1 (with the consumption
// of an unusual one, and a suggested value a 1 takes), a rejected value said and its zone asked
// again, the receipt once.
CallStep PhoneCall::answered(const Answer& a, Backend& b) {
  flags_.clear();
  suggested_.reset();
  switch (a.kind) {
    case Answer::Kind::incomplete:
      return ask(Stage::zone);
    case Answer::Kind::ready:
      return ask(Stage::confirm);
    case Answer::Kind::unusual:
      for (std::size_t i = 0; i < a.outcome.validation.registers.size(); ++i) {
        const auto& reg = a.outcome.validation.registers[i];
        if (reg.suggestion && !suggested_) suggested_.emplace(i, std::to_string(*reg.suggestion));
        if (reg.advance && reg.expected && static_cast<double>(*reg.advance) > *reg.expected) {
          flags_.push_back("ivr.high");
          say_number(flags_, std::to_string(*reg.advance));
          flags_.push_back("ivr.kwh");
        }
      }
      draft_.confirmed = !suggested_;  // a 1 confirms the consumption heard
      return ask(Stage::confirm);
    case Answer::Kind::stored:
      receipt_ = a.receipt;
      {
        CallStep step;
        step.receipt = a.receipt;
        return ask(Stage::receipt, std::move(step));
      }
    case Answer::Kind::rejected:
      return rejected(*a.outcome.rejection, b);
    case Answer::Kind::not_found:
      return fail(b, {"ivr.not_found"}, Stage::account);
    case Answer::Kind::unavailable:
      break;
  }
  stage_ = Stage::done;
  return CallStep{{"ivr.unavailable", "ivr.goodbye"}, CallStep::Then::hang_up, {}};
}

// Why, and the zone again; a suggested value for it is offered for a 1.
CallStep PhoneCall::rejected(const domain::Rejection& rej, Backend& b) {
  if (rej.suggestion && rej.zone) {
    auto names = domain::zones_of(draft_.zones);
    auto it = std::find(names.begin(), names.end(), *rej.zone);
    if (it != names.end())
      suggested_.emplace(static_cast<std::size_t>(it - names.begin()),
                         std::to_string(*rej.suggestion));
  }
  return fail(b, {rejection_prompt(rej.code)}, suggested_ ? Stage::suggest : Stage::zone);
}

CallStep PhoneCall::fail(Backend& b, std::vector<std::string> why, Stage again) {
  (void)b;
  CallStep step;
  step.play = std::move(why);
  if (++failures_ >= kTries) {
    stage_ = Stage::done;
    step.play.push_back("ivr.other_channels");
    if (!settings_.transfer.empty()) {
      step.play.push_back("ivr.transfer");
      step.then = CallStep::Then::transfer;
    } else {
      step.play.push_back("ivr.goodbye");
      step.then = CallStep::Then::hang_up;
    }
    return step;
  }
  return ask(again, std::move(step));
}

// Every prompt the line speaks, in both languages: a catalogue, long on purpose (the prompts
// command lists it in this order, for recording).
std::vector<PromptText> phone_prompts() {
  std::vector<PromptText> p = {
      // The greeting stays under 4 s (channels.md).
      {"ivr.welcome", "Вітаємо! For English, 9.", "Welcome!"},
      {"ivr.menu", "Показники: натисніть 2.", "For meter readings, press 2."},
      {"ivr.press1_account", "Рахунок на", "For the account ending"},
      {"ivr.or0_other", "натисніть 1; інший рахунок: 0.", "press 1; another account: 0."},
      {"ivr.enter_account", "Номер особового рахунку і решітка.",
       "Your account number, then hash."},
      {"ivr.enter_serial", "Останні чотири цифри номера лічильника і решітка.",
       "The last four digits of the meter number, then hash."},
      {"ivr.last", "Минулого разу:", "Last time:"},
      {"ivr.name.total", "показник", "reading"},
      {"ivr.name.day", "день", "day"},
      {"ivr.name.night", "ніч", "night"},
      {"ivr.name.peak", "пік", "peak"},
      {"ivr.name.half_peak", "напівпік", "half-peak"},
      {"ivr.zone.total", "Показник і решітка.", "The reading, then hash."},
      {"ivr.zone.day", "Денний показник і решітка.", "The day reading, then hash."},
      {"ivr.zone.night", "Нічний показник і решітка.", "The night reading, then hash."},
      {"ivr.zone.peak", "Піковий показник і решітка.", "The peak reading, then hash."},
      {"ivr.zone.half_peak", "Напівпіковий показник і решітка.",
       "The half-peak reading, then hash."},
      {"ivr.you_entered", "Ви ввели", "You entered"},
      {"ivr.send_or_again", "Надіслати: 1. Ввести знову: 2.", "To send, press 1; to re-enter, 2."},
      {"ivr.take_keep_again", "Прийняти його: 1. Залишити ваш: 3. Ввести знову: 2.",
       "To take it, press 1; to keep yours, 3; to re-enter, 2."},
      {"ivr.take_or_again", "Прийняти його: 1. Ввести знову: 2.",
       "To take it, press 1; to re-enter, 2."},
      {"ivr.high", "Це набагато більше, ніж зазвичай:", "That is much more than usual:"},
      {"ivr.kwh", "кіловат-годин.", "kilowatt hours."},
      {"ivr.suggestion", "Можливо,", "Did you mean"},
      {"ivr.accepted", "Прийнято. Квитанція", "Accepted. Receipt"},
      {"ivr.hear_again", "Повторити: 9.", "To hear it again, press 9."},
      {"ivr.goodbye", "Дякуємо!", "Thank you. Goodbye."},
      {"ivr.not_found", "Рахунок з таким лічильником не знайдено.",
       "No account with this meter was found."},
      {"ivr.account_format", "Номер рахунку має неправильну кількість цифр.",
       "The account number has the wrong number of digits."},
      {"ivr.rejected", "Показник не прийнято. Перевірте його.",
       "The reading was not accepted. Please check it."},
      {"ivr.rejected.lower_than_previous", "Показник менший за попередній.",
       "The reading is lower than the last one."},
      {"ivr.rejected.too_many_digits", "Показник має забагато цифр.",
       "The reading has too many digits."},
      {"ivr.rejected.red_digits", "Не вводьте червоні цифри після коми.",
       "Do not enter the red digits after the point."},
      {"ivr.rejected.impossible", "Таке споживання неможливе. Перевірте кількість цифр.",
       "Such a consumption is impossible. Please check the number of digits."},
      {"ivr.rejected.period_closed", "Цей період уже закрито.", "This period is already closed."},
      {"ivr.rejected.not_a_number", "Введіть лише цифри.", "Please enter digits only."},
      {"ivr.rejected.empty_value", "Показник порожній.", "The reading is empty."},
      {"ivr.other_channels",
       "Не вдалося. Передайте показники на сайті, у Телеграмі чи Вайбері, або зверніться до "
       "кол-центру.",
       "That did not work. You can send the reading on the website, in Telegram or Viber, or "
       "ask the call centre."},
      {"ivr.transfer", "З'єднуємо з оператором.", "Connecting you to an operator."},
      {"ivr.account_attempts",
       "Для цього рахунку було забагато спроб. Зателефонуйте, будь ласка, пізніше або зверніться "
       "до кол-центру.",
       "There have been too many attempts for this account. Please call again later, or ask the "
       "call centre."},
      {"ivr.no_input", "Ми не почули відповіді.", "We did not hear an answer."},
      {"ivr.no_input_goodbye", "Ми не почули відповіді. До побачення.",
       "We did not hear an answer. Goodbye."},
      {"ivr.unavailable", "Сервіс тимчасово перевантажений. Зателефонуйте, будь ласка, пізніше.",
       "The service is busy. Please call again later."},
  };
  const char* uk_digits[] = {"нуль",  "один",  "два", "три",   "чотири",
                             "п'ять", "шість", "сім", "вісім", "дев'ять"};
  const char* en_digits[] = {"zero", "one", "two",   "three", "four",
                             "five", "six", "seven", "eight", "nine"};
  for (int i = 0; i < 10; ++i)
    p.push_back({"digit." + std::to_string(i), uk_digits[i], en_digits[i]});
  // The receipt alphabet's letters, named as a Ukrainian speaker names Latin letters.
  const std::pair<char, const char*> uk_letters[] = {
      {'A', "а"},  {'B', "бе"},     {'C', "це"},  {'D', "де"},    {'E', "е"},  {'F', "еф"},
      {'G', "же"}, {'H', "аш"},     {'J', "жи"},  {'K', "ка"},    {'M', "ем"}, {'N', "ен"},
      {'P', "пе"}, {'Q', "кю"},     {'R', "ер"},  {'S', "ес"},    {'T', "те"}, {'U', "у"},
      {'V', "ве"}, {'W', "дабл ю"}, {'X', "ікс"}, {'Y', "ігрек"}, {'Z', "зет"}};
  for (auto [letter, name] : uk_letters) {
    if (domain::kReceiptAlphabet.find(letter) == std::string_view::npos) continue;
    p.push_back({std::string("letter.") + letter, name, std::string(1, letter)});
  }
  return p;
}

}  // namespace md::dialog
