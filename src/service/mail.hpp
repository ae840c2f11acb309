// E-mail through the outbox: a row of channel "email" is one message to one address, sent over
// SMTP by libcurl to the DSO's mail server (mail.smtp_url). The only mail meterdesk writes today
// is a customer's own password-reset code, so a sent message's body is not kept.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "domain/calendar.hpp"
#include "i18n/messages.hpp"
#include "service/outbox.hpp"
#include "service/people.hpp"

namespace md::service {

struct MailOptions {
  std::string smtp_url;            // smtp://host:587 (STARTTLS when offered) or smtps://host:465
  std::string from;                // the sender's address, e.g. noreply@dso.example
  std::string username, password;  // SMTP AUTH when set
  bool require_tls = false;        // true: never send over a connection without TLS
};

// The whole RFC 5322 message: UTF-8 subject (RFC 2047) and text (base64), so any language and
// any line length pass every server unchanged. `to` and `from` must hold no line breaks.
std::string mail_message(const std::string& from, const std::string& to, const std::string& subject,
                         const std::string& text, std::chrono::system_clock::time_point date,
                         const std::string& message_id);

// How the outbox reaches the mail server. Retried on a 4xx or no answer; given up on a 5xx
// (the server refuses that message or address for good).
Platform mail_platform(MailOptions options);

// The personal account's reading reminders by e-mail, on the bots' schedule
// (Messenger::queue_notices): when the window opens (10:00 Kyiv on its first day) and on the
// 2nd of the new month, to customers with reminders on and an e-mail whose account has sent
// nothing for the month yet. Each round is claimed with its mails in one transaction, so it
// happens once across restarts and nodes. Returns how many mails were queued.
using ComposeReminder = std::function<MailText(
    i18n::Lang lang, bool again, const std::string& account, const std::string& window)>;
int queue_mail_reminders(store::Store& store, const domain::WindowRules& rules,
                         const ComposeReminder& compose, domain::Instant now);

}  // namespace md::service
