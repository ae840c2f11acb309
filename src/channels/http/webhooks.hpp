// The messengers' webhooks: check the platform's secret or signature, parse with the channel's
// adapter, hand the update to the messenger service and answer once it is committed.
#pragma once

#include "channels/http/server.hpp"
#include "dialog/messenger.hpp"

namespace md::http {

struct TelegramWebhook {
  std::string secret_token;  // X-Telegram-Bot-Api-Secret-Token
};
// POST /webhooks/telegram: 401 without the right secret, 400 for what is not an Update, 200 once
// the update is processed (or was before, or is ignored), 503 when it could not be stored (then
// Telegram delivers it again).
void telegram_webhook(dialog::Messenger& messenger, const TelegramWebhook& options, Request&& req,
                      const Respond& respond, obs::Metrics* metrics);

struct ViberWebhook {
  std::string auth_token;
  std::string bot_name = "meterdesk";
};
// POST /webhooks/viber: 401 without a valid X-Viber-Content-Signature, 400 for what is not a
// callback, 200 once processed. conversation_started is answered with the welcome message in the
// response body: Viber lets a bot write to someone not yet subscribed only that way.
void viber_webhook(dialog::Messenger& messenger, const ViberWebhook& options, Request&& req,
                   const Respond& respond, obs::Metrics* metrics);

}  // namespace md::http
