#include "channels/mail/mail.hpp"

namespace md::mail {
namespace {

const std::string& pick(i18n::Lang lang, const std::string& uk, const std::string& en) {
  return lang == i18n::Lang::en ? en : uk;
}

// " (https://dso.example/account/reset)" or "".
std::string at(const std::string& site, const char* path) {
  return site.empty() ? std::string() : " (" + site + path + ")";
}

}  // namespace

service::MailText reset_code(i18n::Lang lang, const std::string& code,
                             const std::string& valid_until, const std::string& site) {
  const std::string link = at(site, "/account/reset");
  return {pick(lang, "Код відновлення пароля", "Your password reset code"),
          pick(lang,
               "Код відновлення пароля до вашого особистого кабінету:\n\n    " + code +
                   "\n\nВведіть його разом із новим паролем на сторінці «Відновлення пароля»" +
                   link + ". Код діє до " + valid_until +
                   " і спрацьовує один раз.\n\nЯкщо ви не просили код, нічого не робіть: пароль не "
                   "змінився.\n",
               "The password reset code for your personal account:\n\n    " + code +
                   "\n\nEnter it with a new password on the \"Reset your password\" page" + link +
                   ". It is valid until " + valid_until +
                   ", once.\n\nIf you did not ask for it, do nothing: your password has not "
                   "changed.\n")};
}

service::MailText reminder(i18n::Lang lang, bool again, const std::string& account,
                           const std::string& window, const std::string& site) {
  const std::string submit = at(site, "/submit");
  const std::string cabinet = at(site, "/account");
  const std::string ways =
      pick(lang,
           "Передати їх можна на сайті" + submit +
               ", в особистому кабінеті, у ботах Telegram і Viber або за телефоном кол-центру "
               "0 800 300 015 (натисніть 2).",
           "You can send them on the website" + submit +
               ", in your personal account, to the Telegram or Viber bot, or by phone on "
               "0 800 300 015 (press 2).");
  const std::string footer =
      pick(lang,
           "\n\nВи отримали цей лист, бо в особистому кабінеті" + cabinet +
               " ввімкнено нагадування; там само їх можна вимкнути.\n",
           "\n\nYou get this e-mail because reminders are on in your personal account" + cabinet +
               "; you can turn them off there.\n");
  if (again)
    return {pick(lang, "Ми ще чекаємо на показники рахунку " + account,
                 "We are still waiting for the readings of account " + account),
            pick(lang, "Ми ще не отримали показників рахунку " + account + ". ",
                 "We have not received the readings of account " + account + " yet. ") +
                window + " " + ways + footer};
  return {pick(lang, "Час передати показники лічильника", "Time to send your meter readings"),
          pick(lang, "Нагадування для рахунку " + account + ": ",
               "A reminder for account " + account + ": ") +
              window + " " + ways + footer};
}

}  // namespace md::mail
