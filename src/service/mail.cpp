#include "service/mail.hpp"

#include <curl/curl.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include "i18n/explain.hpp"
#include "service/receipt.hpp"
#include "service/reminders.hpp"

namespace md::service {
namespace {

using json = nlohmann::json;

std::string base64(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

bool plain_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= ' ' && c <= '~'; });
}

// RFC 2047 encoded words of at most 75 characters, cut between UTF-8 characters.
std::string encoded_header(std::string_view text) {
  if (plain_ascii(text) && text.size() <= 900) return std::string(text);
  std::string out;
  while (!text.empty()) {
    std::size_t n = std::min<std::size_t>(text.size(), 45);
    while (n < text.size() && n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    if (n == 0) n = std::min<std::size_t>(text.size(), 45);
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(text.substr(0, n)) + "?=";
    text.remove_prefix(n);
  }
  return out;
}

// The address inside "Name <address>", or the whole text.
std::string address_of(const std::string& mailbox) {
  auto open = mailbox.rfind('<');
  auto close = mailbox.rfind('>');
  if (open != std::string::npos && close != std::string::npos && close > open)
    return mailbox.substr(open + 1, close - open - 1);
  return mailbox;
}

// "Name <address>" with the name encoded when it is not plain ASCII (the address never is).
std::string from_header(const std::string& mailbox) {
  auto open = mailbox.rfind('<');
  if (open == std::string::npos) return mailbox;
  std::string name = mailbox.substr(0, open);
  while (!name.empty() && name.back() == ' ') name.pop_back();
  return (name.empty() ? std::string() : encoded_header(name) + " ") + mailbox.substr(open);
}

std::string rfc5322_date(std::chrono::system_clock::time_point t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

struct Upload {
  const std::string& data;
  std::size_t pos = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t n, void* p) {
  auto* u = static_cast<Upload*>(p);
  std::size_t len = std::min(size * n, u->data.size() - u->pos);
  std::copy_n(u->data.data() + u->pos, len, buffer);
  u->pos += len;
  return len;
}

bool has_line_break(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

}  // namespace

std::string mail_message(const std::string& from, const std::string& to, const std::string& subject,
                         const std::string& text, std::chrono::system_clock::time_point date,
                         const std::string& message_id) {
  std::string crlf_text;
  for (char c : text) {
    if (c == '\n') crlf_text += '\r';
    if (c != '\r') crlf_text += c;
  }
  std::string body = base64(crlf_text);
  std::string out = "Date: " + rfc5322_date(date) + "\r\nFrom: " + from_header(from) +
                    "\r\nTo: " + to + "\r\nMessage-ID: " + message_id +
                    "\r\nSubject: " + encoded_header(subject) +
                    "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8"
                    "\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  for (std::size_t i = 0; i < body.size(); i += 76) out += body.substr(i, 76) + "\r\n";
  return out;
}

Platform mail_platform(MailOptions o) {
  Platform p;
  p.channel = std::string(kMailChannel);
  p.per_second = 5;  // a small relay's patience; a code request is rare
  p.per_chat_interval = std::chrono::milliseconds{0};
  p.keep_sent = false;
  p.send = [o = std::move(o)](const store::OutboxRow& row) {
    Verdict v;
    json mail = json::parse(row.body, nullptr, false);
    std::string to = mail.is_object() ? mail.value("to", std::string()) : std::string();
    const std::string from = address_of(o.from);
    if (to.empty() || has_line_break(to) || has_line_break(o.from) || from.empty()) {
      v.kind = Verdict::Kind::failed;
      v.error = "no usable address";
      return v;
    }
    auto at = from.rfind('@');
    std::string message =
        mail_message(o.from, to, mail.value("subject", std::string()),
                     mail.value("text", std::string()), std::chrono::system_clock::now(),
                     "<meterdesk." + std::to_string(row.id) + "@" +
                         (at == std::string::npos ? "localhost" : from.substr(at + 1)) + ">");
    CURL* h = curl_easy_init();
    if (!h) {
      v.error = "libcurl did not initialise";
      return v;
    }
    const std::string envelope_from = "<" + from + ">";
    curl_slist* rcpt = curl_slist_append(nullptr, ("<" + to + ">").c_str());
    Upload upload{message};
    curl_easy_setopt(h, CURLOPT_URL, o.smtp_url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, envelope_from.c_str());
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_USE_SSL,
                     static_cast<long>(o.require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY));
    if (!o.username.empty()) {
      curl_easy_setopt(h, CURLOPT_USERNAME, o.username.c_str());
      curl_easy_setopt(h, CURLOPT_PASSWORD, o.password.c_str());
    }
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(h);
    if (rc == CURLE_OK) {
      v.kind = Verdict::Kind::sent;
      return v;
    }
    v.error = std::string(curl_easy_strerror(rc)) + (code ? " (" + std::to_string(code) + ")" : "");
    // Our credentials or TLS are wrong: every message would meet the same, so wait for a fix.
    if (rc == CURLE_LOGIN_DENIED || rc == CURLE_USE_SSL_FAILED || code == 530 || code == 535) {
      v.retry_after = std::chrono::seconds{60};
      v.whole_channel = true;
      return v;
    }
    // 5xx: the server refuses this message or address for good.
    if (code >= 500 && code < 600) v.kind = Verdict::Kind::failed;
    return v;
  };
  return p;
}

int queue_mail_reminders(store::Store& store, const domain::WindowRules& rules,
                         const ComposeReminder& compose, domain::Instant now) {
  auto round = reminder_round(now, rules);
  if (!round) return 0;
  const char* kind = round->second ? "mail_window_day2" : "mail_window_open";
  const std::string key = round->month.str();
  if (store.run_claimed(kind, key)) return 0;
  auto targets = store.mail_reminder_targets(round->month);
  auto tx = store.begin_write();
  int queued = 0;
  for (const auto& t : targets) {
    if (t.has_reading) continue;
    const i18n::Lang lang = i18n::parse_lang(t.lang);
    auto mail = compose(lang, round->second, mask_account(t.account_number),
                        i18n::window_text(lang, domain::kyiv_date(now), rules));
    tx->enqueue({std::string(kMailChannel), t.chat_id, "send",
                 mail_body(t.chat_id, mail.subject, mail.text)},
                now);
    ++queued;
  }
  if (!claim_notice_round(*tx, kind, key, queued, now)) return 0;
  spdlog::info("queued {} {} e-mails for {}", queued, kind, key);
  return queued;
}

}  // namespace md::service
