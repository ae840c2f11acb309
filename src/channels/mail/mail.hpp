// The e-mail channel's words, Ukrainian and English: a customer's password reset code and the
// personal account's reading reminders. The outbox sends them (service/mail.hpp); the
// conversation's catalogue is not used here because its notices speak of bot commands.
#pragma once

#include <string>

#include "i18n/messages.hpp"
#include "service/people.hpp"

namespace md::mail {

// `site`: web.public_url ("" when not set: the mail names no address).
service::MailText reset_code(i18n::Lang lang, const std::string& code,
                             const std::string& valid_until, const std::string& site);
// `again`: the second reminder (nothing came on the first); `window`: the window in words.
service::MailText reminder(i18n::Lang lang, bool again, const std::string& account,
                           const std::string& window, const std::string& site);

}  // namespace md::mail
