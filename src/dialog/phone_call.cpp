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

void PhoneCall::say_number(CallStep& step, std::string_view digits) const {
  for (char c : digits) {
    if (c >= '0' && c <= '9') step.play.push_back(std::string("digit.") + c);
    if (c >= 'A' && c <= 'Z') step.play.push_back(std::string("letter.") + c);
  }
}

CallStep PhoneCall::ask(Stage stage, CallStep step) {
  stage_ = stage;
  buffer_.clear();
  switch (stage) {
    case Stage::menu:
      step.play.insert(step.play.end(), {"ivr.welcome", "ivr.menu"});
      break;
    case Stage::caller_choice:
      step.play.push_back("ivr.press1_account");
      say_number(step, std::string_view(offered_).substr(offered_.size() - 4));
      step.play.push_back("ivr.or0_other");
      break;
    case Stage::account:
      step.play.push_back("ivr.enter_account");
      break;
    case Stage::serial:
      step.play.push_back("ivr.enter_serial");
      break;
    case Stage::zone:
      step.play.push_back("ivr.zone." + draft_.zone_name());
      break;
    case Stage::zone_check:
    case Stage::flag_check:
    case Stage::done:
      break;
  }
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
  if (++timeouts_ > kTimeouts) {
    stage_ = Stage::done;
    return CallStep{{"ivr.no_input_goodbye"}, CallStep::Then::hang_up, {}};
  }
  CallStep step;
  step.play.push_back("ivr.no_input");
  if (stage_ == Stage::zone_check) {
    step.play.push_back("ivr.you_entered");
    say_number(step, buffer_);
    step.play.push_back("ivr.confirm");
    return step;
  }
  if (stage_ == Stage::flag_check) {
    step.play.push_back("ivr.confirm");
    return step;
  }
  return ask(stage_, std::move(step));
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
        if (meters.size() == 1) return begin(meters.front());
        return ask(Stage::serial);
      }
      if (d == '0') return ask(Stage::account);
      return ask(Stage::caller_choice);
    case Stage::zone_check:
      if (d == '1') {
        draft_.enter(std::exchange(buffer_, {}));
        return validate(b);  // a value given is judged at once, before the other zones come
      }
      if (d == '2') return ask(Stage::zone);
      return CallStep{{"ivr.confirm"}, CallStep::Then::listen, {}};
    case Stage::flag_check:
      if (d == '1') {
        draft_.confirmed = true;
        return store(b);
      }
      if (d == '2') {
        draft_.restart();
        return ask(Stage::zone);
      }
      return CallStep{{"ivr.confirm"}, CallStep::Then::listen, {}};
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
    case Stage::zone: {
      CallStep step;
      stage_ = Stage::zone_check;
      step.play.push_back("ivr.you_entered");
      say_number(step, buffer_);
      step.play.push_back("ivr.confirm");
      return step;
    }
    default:
      return {};
  }
}

// Four digits are easily guessed: every wrong try counts against the account, on every channel.
CallStep PhoneCall::identify(Backend& b) {
  auto id = b.identify(draft_.account, buffer_, service::SerialForm::last_four);
  if (id.status == Identified::Status::refused) return refused();
  if (id.status == Identified::Status::not_found) return fail(b, {"ivr.not_found"}, Stage::account);
  return begin(id.meter);
}

CallStep PhoneCall::begin(const MeterInfo& m) {
  draft_.begin(m);
  return ask(Stage::zone);
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

// The service's answer, spoken: each zone was confirmed as it was typed, so a reading that
// passes is stored at once; an unusual one is read back for a 1; a rejected one is said and its
// zone asked again.
CallStep PhoneCall::answered(const Answer& a, Backend& b) {
  switch (a.kind) {
    case Answer::Kind::ready:
      return store(b);
    case Answer::Kind::incomplete:
      return ask(Stage::zone);
    case Answer::Kind::stored: {
      CallStep step;
      stage_ = Stage::done;
      step.receipt = a.receipt;
      step.play.push_back("ivr.accepted");
      say_number(step, step.receipt);
      step.play.push_back("ivr.repeat");
      say_number(step, step.receipt);
      step.play.push_back("ivr.goodbye");
      step.then = CallStep::Then::hang_up;
      return step;
    }
    case Answer::Kind::unusual: {
      CallStep step;
      stage_ = Stage::flag_check;
      for (const auto& reg : a.outcome.validation.registers) {
        if (reg.suggestion) {
          step.play.push_back("ivr.suggestion");
          say_number(step, std::to_string(*reg.suggestion));
        }
        if (reg.advance) {
          step.play.push_back("ivr.high");
          say_number(step, std::to_string(*reg.advance));
          step.play.push_back("ivr.kwh");
        }
      }
      step.play.push_back("ivr.confirm");
      return step;
    }
    case Answer::Kind::rejected: {
      const auto& rej = *a.outcome.rejection;
      CallStep why{{rejection_prompt(rej.code)}, CallStep::Then::listen, {}};
      if (rej.suggestion) {
        why.play.push_back("ivr.suggestion");
        say_number(why, std::to_string(*rej.suggestion));
      }
      return fail(b, std::move(why.play), Stage::zone);
    }
    case Answer::Kind::not_found:
      return fail(b, {"ivr.not_found"}, Stage::account);
    case Answer::Kind::unavailable:
      break;
  }
  stage_ = Stage::done;
  return CallStep{{"ivr.unavailable", "ivr.goodbye"}, CallStep::Then::hang_up, {}};
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
      {"ivr.welcome", "Вітаємо! Це служба показників лічильників. For English, press 9.",
       "Welcome to the meter readings service."},
      {"ivr.menu", "Щоб передати показники лічильника, натисніть 2.",
       "To submit meter readings, press 2."},
      {"ivr.press1_account", "Натисніть 1 для рахунку, що закінчується на",
       "Press 1 for the account ending in"},
      {"ivr.or0_other", "або 0 для іншого рахунку.", "or 0 for another account."},
      {"ivr.enter_account", "Введіть номер особового рахунку і натисніть решітку.",
       "Enter your account number, then press hash."},
      {"ivr.enter_serial", "Введіть останні чотири цифри номера лічильника і натисніть решітку.",
       "Enter the last four digits of the meter number, then press hash."},
      {"ivr.zone.total", "Введіть показник лічильника і натисніть решітку.",
       "Enter the meter reading, then press hash."},
      {"ivr.zone.day", "Введіть денний показник і натисніть решітку.",
       "Enter the day reading, then press hash."},
      {"ivr.zone.night", "Введіть нічний показник і натисніть решітку.",
       "Enter the night reading, then press hash."},
      {"ivr.zone.peak", "Введіть піковий показник і натисніть решітку.",
       "Enter the peak reading, then press hash."},
      {"ivr.zone.half_peak", "Введіть напівпіковий показник і натисніть решітку.",
       "Enter the half-peak reading, then press hash."},
      {"ivr.you_entered", "Ви ввели", "You entered"},
      {"ivr.confirm", "Натисніть 1, щоб підтвердити, або 2, щоб ввести знову.",
       "Press 1 to confirm, or 2 to enter it again."},
      {"ivr.high",
       "Споживання значно більше, ніж зазвичай:", "The consumption is much higher than usual:"},
      {"ivr.kwh", "кіловат-годин.", "kilowatt hours."},
      {"ivr.suggestion", "Можливо, ви мали на увазі", "Did you mean"},
      {"ivr.accepted",
       "Показник прийнято. Номер вашої квитанції:", "Reading accepted. Your receipt number is"},
      {"ivr.repeat", "Повторюю:", "Again:"},
      {"ivr.goodbye", "Дякуємо. До побачення.", "Thank you. Goodbye."},
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
