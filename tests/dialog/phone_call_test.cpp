// The IVR's digit flow on a real SQLite store through the messenger service's backend: exactly the
// digit sequences of channels.md, and the bad ones.
#include <gtest/gtest.h>

#include <set>

#include "channels/telegram/telegram.hpp"
#include "dialog/messenger.hpp"
#include "dialog/phone_call.hpp"
#include "domain/receipt_id.hpp"
#include "service/accounts.hpp"
#include "support/support.hpp"

namespace md {
namespace {

using dialog::CallStep;
using dialog::PhoneCall;

domain::Instant at(const char* s) {
  return *domain::parse_instant(s);
}

std::string joined(const std::vector<std::string>& prompts) {
  std::string out;
  for (const auto& p : prompts) out += (out.empty() ? "" : " ") + p;
  return out;
}

// What the line says of account 0123456789's meter before asking (channels.md, step 3).
const std::string kLast =
    "ivr.last ivr.name.day digit.1 digit.2 digit.0 digit.0 digit.0 ivr.name.night digit.6 digit.0 "
    "digit.0 digit.0 ";

struct PhoneTest : ::testing::Test {
  test::TempDir dir;
  service::Submissions submissions{service::ServiceConfig{}};
  service::Clock clock{at("2025-11-30T10:00:00")};
  std::string db = test::test_db(dir, "ivr.db");
  std::unique_ptr<store::Store> store = store::open_store(db);
  std::unique_ptr<service::Ingestor> ingestor;
  std::unique_ptr<dialog::Messenger> messenger;

  void SetUp() override {
    store->migrate();
    ASSERT_TRUE(service::import_accounts(*store, submissions, test::accounts_csv(3),
                                         at("2025-01-10T12:00:00"))
                    .ok());
    ingestor = std::make_unique<service::Ingestor>(*store, submissions, clock, nullptr);
    messenger = std::make_unique<dialog::Messenger>(*store, *ingestor, submissions, nullptr);
  }
  void TearDown() override { ingestor->stop(); }

  // Presses the keys one by one (as DTMF arrives); returns everything played, space-separated.
  std::string keys(PhoneCall& call, const std::string& digits, CallStep* last = nullptr) {
    std::string played;
    for (char d : digits) {
      CallStep step;
      EXPECT_TRUE(
          messenger->run("ivr", "call", [&](dialog::Backend& b) { step = call.digit(d, b); }));
      if (!step.play.empty()) played += (played.empty() ? "" : " | ") + joined(step.play);
      if (last) *last = step;
    }
    return played;
  }
  std::string begin(PhoneCall& call) {
    CallStep step;
    EXPECT_TRUE(messenger->run("ivr", "call", [&](dialog::Backend& b) { step = call.start(b); }));
    return joined(step.play);
  }
  std::string q(const std::string& sql) { return test::sql_value(db, sql); }
};

TEST_F(PhoneTest, GuessesAtOneAccountOverManyCallsAreLimited) {
  // Four digits of a serial are easily guessed by a dialler: every call's try counts against
  // the account (real limits allow 10 an hour; 3 keep the test short).
  auto per_account = service::account_attempts(*store, 3);
  messenger->limit_identifications(per_account.get());
  for (int i = 0; i < 3; ++i) {
    PhoneCall call("guess-" + std::to_string(i), "+380999999999", {});
    begin(call);
    EXPECT_EQ(keys(call, "20123456789#0000#"),
              "ivr.enter_account | ivr.enter_serial | ivr.not_found ivr.enter_account");
  }
  // The next caller is refused before the serial is looked at, right or not.
  PhoneCall call("guess-3", "+380999999999", {});
  begin(call);
  CallStep last;
  EXPECT_EQ(keys(call, "20123456789#4567#", &last),
            "ivr.enter_account | ivr.enter_serial | ivr.account_attempts ivr.goodbye");
  EXPECT_EQ(last.then, CallStep::Then::hang_up);
  EXPECT_EQ(q("SELECT count(*) FROM audit WHERE action = 'identify' AND result LIKE 'refused%'"),
            "1");
  // With an operator configured, the refused caller is put through to them.
  PhoneCall transferred("guess-4", "+380999999999", {'2', "sip:operator@127.0.0.1"});
  begin(transferred);
  EXPECT_EQ(keys(transferred, "20123456789#4567#", &last),
            "ivr.enter_account | ivr.enter_serial | ivr.account_attempts ivr.transfer");
  EXPECT_EQ(last.then, CallStep::Then::transfer);
  // The holder calling from the number on file guesses nothing and gets through.
  PhoneCall holder("holder", "+380671234567", {});
  begin(holder);
  EXPECT_EQ(keys(holder, "21"),
            "ivr.press1_account digit.6 digit.7 digit.8 digit.9 ivr.or0_other | " + kLast +
                "ivr.zone.day");
  keys(holder, "12120#6060#");
  keys(holder, "1", &last);
  EXPECT_FALSE(last.receipt.empty());
  EXPECT_EQ(q("SELECT count(*) FROM submissions WHERE channel = 'ivr'"), "1");
}

// channels.md's digit flow: the last reading told, the zones typed without a read-back each, the
// whole reading read back once, the receipt once and again on 9.
TEST_F(PhoneTest, TheWholeFlowByAccountAndSerial) {
  PhoneCall call("call-1@127.0.0.1", "+380999999999", {});
  EXPECT_EQ(begin(call), "ivr.welcome ivr.menu");
  EXPECT_EQ(keys(call, "2"), "ivr.enter_account");
  EXPECT_EQ(keys(call, "0123456789#"), "ivr.enter_serial");
  EXPECT_EQ(keys(call, "4567#"), kLast + "ivr.zone.day");
  EXPECT_EQ(keys(call, "12120#"), "ivr.zone.night");
  EXPECT_EQ(keys(call, "6060#"),
            "ivr.you_entered ivr.name.day digit.1 digit.2 digit.1 digit.2 digit.0 ivr.name.night "
            "digit.6 digit.0 digit.6 digit.0 ivr.send_or_again");
  CallStep last;
  std::string played = keys(call, "1", &last);
  ASSERT_FALSE(last.receipt.empty());
  EXPECT_EQ(last.then, CallStep::Then::listen) << "9 says it again";
  // The receipt is read letter by letter and digit by digit, once.
  std::string spoken;
  for (char c : last.receipt)
    if (c != '-') spoken += std::string(c >= 'A' ? " letter." : " digit.") + c;
  EXPECT_EQ(played, "ivr.accepted" + spoken + " ivr.hear_again");
  EXPECT_EQ(keys(call, "9", &last), spoken.substr(1) + " ivr.goodbye");
  EXPECT_EQ(last.then, CallStep::Then::hang_up);
  EXPECT_EQ(q("SELECT v1 || '/' || v2 || ' ' || channel FROM submissions WHERE channel = 'ivr'"),
            "12120/6060 ivr");
  // Another call hangs up after the receipt without a 9: a time-out is a goodbye, not a question.
  PhoneCall quiet("call-1b", "+380999999999", {0, ""});
  begin(quiet);
  keys(quiet, "0123456789#4567#12130#6070#1");
  CallStep step;
  ASSERT_TRUE(messenger->run("ivr", "call", [&](dialog::Backend& b) { step = quiet.timeout(b); }));
  EXPECT_EQ(joined(step.play), "ivr.goodbye");
  EXPECT_EQ(step.then, CallStep::Then::hang_up);
}

// "2" at the read-back enters the reading again from the first zone; nothing is stored meanwhile.
// channels.md step 5: the receipt said once on the line is written to the account's linked chats.
TEST_F(PhoneTest, TheReceiptGoesToTheLinkedChatToo) {
  messenger->add_channel("telegram", &telegram::render);
  {
    auto tx = store->begin_write();
    store::ChatRow chat;
    chat.channel = "telegram";
    chat.chat_id = "501";
    chat.lang = "uk";
    tx->save_chat(chat, clock.now());
    tx->link_account("telegram", "501", *tx->find_account("0123456789"), clock.now());
    tx->commit();
  }
  PhoneCall call("call-r", "+380671234567", {0, ""});
  begin(call);
  CallStep last;
  keys(call, "112120#6060#1", &last);
  ASSERT_FALSE(last.receipt.empty());
  std::string sent;
  for (const auto& row : store->outbox_due(at("2100-01-01T00:00:00"), 100))
    if (row.chat_id == "501") sent += row.body;
  EXPECT_NE(sent.find("Показник, переданий телефоном"), std::string::npos) << sent;
  EXPECT_NE(sent.find(last.receipt), std::string::npos) << sent;
}

TEST_F(PhoneTest, TwoAtTheReadBackEntersTheReadingAgain) {
  PhoneCall call("call-1c", "", {0, ""});
  begin(call);
  keys(call, "0123456789#4567#12120#6060#");
  EXPECT_EQ(keys(call, "2"), "ivr.zone.day");
  EXPECT_EQ(q("SELECT count(*) FROM submissions WHERE channel = 'ivr'"), "0");
  keys(call, "12125#6065#");
  CallStep last;
  keys(call, "1", &last);
  ASSERT_FALSE(last.receipt.empty());
  EXPECT_EQ(q("SELECT v1 || '/' || v2 FROM submissions WHERE channel = 'ivr'"), "12125/6065");
}

TEST_F(PhoneTest, TheCallersNumberFindsTheAccount) {
  PhoneCall call("call-2", "+380671234567", {0, ""});  // the switch asked already
  EXPECT_EQ(begin(call), "ivr.press1_account digit.6 digit.7 digit.8 digit.9 ivr.or0_other");
  EXPECT_EQ(keys(call, "1"), kLast + "ivr.zone.day") << "one meter: no need to ask for it";
  PhoneCall other("call-3", "+380671234567", {0, ""});
  begin(other);
  EXPECT_EQ(keys(other, "0"), "ivr.enter_account");
}

TEST_F(PhoneTest, AnUntrustedCallerNumberOffersTheAccountButTheSerialIsStillAsked) {
  // ivr.trust_caller_number = false: a number anyone could have set picks the account, no more.
  const dialog::CallSettings untrusted{0, "", false};
  auto per_account = service::account_attempts(*store, 3);
  messenger->limit_identifications(per_account.get());
  PhoneCall guess("call-u1", "+380671234567", untrusted);
  EXPECT_EQ(begin(guess), "ivr.press1_account digit.6 digit.7 digit.8 digit.9 ivr.or0_other");
  EXPECT_EQ(keys(guess, "1"), "ivr.enter_serial");
  EXPECT_EQ(keys(guess, "0000#"), "ivr.not_found ivr.enter_account");
  PhoneCall holder("call-u2", "+380671234567", untrusted);
  begin(holder);
  keys(holder, "1");
  EXPECT_EQ(keys(holder, "4567#"), kLast + "ivr.zone.day");
  keys(holder, "12120#6060#");
  CallStep last;
  keys(holder, "1", &last);
  EXPECT_FALSE(last.receipt.empty());
  // Only a wrong serial is a guess, as on the form and the bots: the holder calling again and
  // again is not slowed; the third wrong one spends the account's tries, for the holder too.
  for (std::string id : {"call-u3", "call-u4"}) {
    PhoneCall again(id, "+380671234567", untrusted);
    begin(again);
    keys(again, "1");
    EXPECT_EQ(keys(again, "4567#"), kLast + "ivr.zone.day") << id;
  }
  for (std::string id : {"call-u5", "call-u6"}) {
    PhoneCall wrong(id, "+380671234567", untrusted);
    begin(wrong);
    keys(wrong, "1");
    EXPECT_EQ(keys(wrong, "1111#"), "ivr.not_found ivr.enter_account") << id;
  }
  PhoneCall refused("call-u7", "+380671234567", untrusted);
  begin(refused);
  keys(refused, "1");
  EXPECT_EQ(keys(refused, "4567#"), "ivr.account_attempts ivr.goodbye");
}

TEST_F(PhoneTest, EnglishOnNineAndStarStartsAnEntryAgain) {
  PhoneCall call("call-4", "", {});
  begin(call);
  EXPECT_EQ(keys(call, "9"), "ivr.welcome ivr.menu");
  EXPECT_EQ(call.lang, i18n::Lang::en);
  keys(call, "2");
  EXPECT_EQ(keys(call, "01234*"), "ivr.enter_account");
  EXPECT_EQ(keys(call, "0123456789#"), "ivr.enter_serial");
}

TEST_F(PhoneTest, WrongIdentificationThreeTimesEndsPolitelyAndStoresNothing) {
  PhoneCall call("call-5", "", {});
  begin(call);
  keys(call, "2");
  EXPECT_EQ(keys(call, "12#"), "ivr.account_format ivr.enter_account");
  keys(call, "0123456789#");
  EXPECT_EQ(keys(call, "9999#"), "ivr.not_found ivr.enter_account");
  CallStep last;
  keys(call, "0123456789#");
  EXPECT_EQ(keys(call, "0000#", &last), "ivr.not_found ivr.other_channels ivr.goodbye");
  EXPECT_EQ(last.then, CallStep::Then::hang_up);
  EXPECT_EQ(q("SELECT count(*) FROM submissions WHERE channel = 'ivr'"), "0");
}

TEST_F(PhoneTest, ARejectedValueIsSaidAndAskedAgainAndAHighOneIsReadOut) {
  PhoneCall call("call-6", "", {'2', "sip:operator@127.0.0.1"});
  begin(call);
  keys(call, "20123456789#4567#");
  // Lower than the last reading: said at once, before the night is asked.
  EXPECT_EQ(keys(call, "100#"), "ivr.rejected.lower_than_previous ivr.zone.day");
  EXPECT_EQ(keys(call, "19000#"), "ivr.zone.night");
  // The whole reading read back with the consumption that is unusual (19000 − 12000), for a 1.
  EXPECT_EQ(keys(call, "6060#"),
            "ivr.you_entered ivr.name.day digit.1 digit.9 digit.0 digit.0 digit.0 ivr.name.night "
            "digit.6 digit.0 digit.6 digit.0 ivr.high digit.7 digit.0 digit.0 digit.0 ivr.kwh "
            "ivr.send_or_again");
  CallStep last;
  keys(call, "1", &last);
  ASSERT_FALSE(last.receipt.empty());
  EXPECT_EQ(q("SELECT flags FROM submissions WHERE receipt = '" + last.receipt + "'"), "high");
}

TEST_F(PhoneTest, ARejectedNightValueAsksOnlyTheNightAgainAndKeepsTheDay) {
  PhoneCall call("call-7", "", {});
  begin(call);
  keys(call, "20123456789#4567#");
  keys(call, "12120#");
  EXPECT_EQ(keys(call, "100#"), "ivr.rejected.lower_than_previous ivr.zone.night");
  CallStep last;
  keys(call, "6060#1", &last);
  ASSERT_FALSE(last.receipt.empty());
  EXPECT_EQ(q("SELECT v1 || '/' || v2 FROM submissions WHERE receipt = '" + last.receipt + "'"),
            "12120/6060");
}

// A typo the rules can fix ("did you mean …?") is taken with one key, never followed by a
// hang-up: for a rejected value at once, for an unusual one at the read-back.
TEST_F(PhoneTest, ASuggestedValueIsTakenWithOne) {
  PhoneCall call("call-9", "", {0, ""});
  begin(call);
  keys(call, "0123456789#4567#");
  // 11200 is lower than 12000; swapping two digits gives 12100.
  EXPECT_EQ(keys(call, "11200#"),
            "ivr.rejected.lower_than_previous ivr.suggestion digit.1 digit.2 digit.1 digit.0 "
            "digit.0 ivr.take_or_again");
  EXPECT_EQ(keys(call, "1"), "ivr.zone.night");
  // 16060 for 6060: 10,060 kWh at night is unusual, and 6060 is suggested with it.
  std::string played = keys(call, "16060#");
  EXPECT_NE(played.find("ivr.high digit.1 digit.0 digit.0 digit.6 digit.0 ivr.kwh ivr.suggestion "
                        "digit.6 digit.0 digit.6 digit.0 ivr.take_keep_again"),
            std::string::npos)
      << played;
  CallStep last;
  keys(call, "1", &last);
  ASSERT_FALSE(last.receipt.empty());
  EXPECT_EQ(q("SELECT v1 || '/' || v2 || ' ' || flags FROM submissions WHERE receipt = '" +
              last.receipt + "'"),
            "12100/6060 ");
}

TEST_F(PhoneTest, SilenceRepeatsThePromptTwiceThenHangsUp) {
  PhoneCall call("call-7", "", {});
  begin(call);
  keys(call, "2");
  CallStep step;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(messenger->run("ivr", "call", [&](dialog::Backend& b) { step = call.timeout(b); }));
    EXPECT_EQ(joined(step.play), "ivr.no_input ivr.enter_account");
    EXPECT_EQ(step.then, CallStep::Then::listen);
  }
  ASSERT_TRUE(messenger->run("ivr", "call", [&](dialog::Backend& b) { step = call.timeout(b); }));
  EXPECT_EQ(joined(step.play), "ivr.no_input_goodbye");
  EXPECT_EQ(step.then, CallStep::Then::hang_up);
}

TEST_F(PhoneTest, FortyDigitsStarsAndHashesEverywhereStoreNothingUnconfirmed) {
  PhoneCall call("call-8", "", {});
  begin(call);
  keys(call, "#*#*2");
  keys(call, "##0123456789#4567#");
  EXPECT_EQ(keys(call, std::string(40, '9') + "#"), "ivr.rejected.too_many_digits ivr.zone.day");
  keys(call, "12120#6060#");
  EXPECT_EQ(keys(call, "5"), "ivr.send_or_again") << "neither 1 nor 2: the keys again";
  keys(call, "#*");
  EXPECT_EQ(keys(call, "2"), "ivr.zone.day");
  EXPECT_EQ(q("SELECT count(*) FROM submissions WHERE channel = 'ivr'"), "0");
}

TEST(PhonePrompts, EveryPromptTheFlowPlaysHasATextInBothLanguages) {
  auto prompts = dialog::phone_prompts();
  std::set<std::string> names;
  for (const auto& p : prompts) {
    EXPECT_FALSE(p.uk.empty()) << p.name;
    EXPECT_FALSE(p.en.empty()) << p.name;
    EXPECT_TRUE(names.insert(p.name).second) << "twice: " << p.name;
  }
  for (char c : domain::kReceiptAlphabet)
    EXPECT_TRUE(names.count(std::string(c >= 'A' ? "letter." : "digit.") + c)) << c;
  for (const char* zone : {"total", "day", "night", "peak", "half_peak"}) {
    EXPECT_TRUE(names.count(std::string("ivr.zone.") + zone)) << zone;
    EXPECT_TRUE(names.count(std::string("ivr.name.") + zone)) << zone;
  }
}

}  // namespace
}  // namespace md
