// The outbox worker: sends the queued platform messages in order per chat, within each platform's
// limits, retrying with backoff. A message is marked sent right after the platform's answer, in
// its own commit: a restart resends nothing that was marked; only a kill during the one request in
// flight can repeat that one message (platforms have no idempotency keys).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "obs/metrics.hpp"
#include "service/clock.hpp"
#include "service/ingestor.hpp"
#include "service/leadership.hpp"
#include "store/store.hpp"

namespace md::service {

// The outbox method that fetches a reading's photo from the platform and stores it with the
// reading (body: {"photo": reference, "receipt": id}).
inline constexpr std::string_view kFetchPhoto = "fetch_photo";

// An HTTP request (POST with a JSON body, or GET); libcurl in production (curl_transport).
struct HttpAnswer {
  long status = 0;  // 0: no answer (connection failed, timed out, too large)
  std::string body;
  std::string error;
};
using HttpCall =
    std::function<HttpAnswer(std::string_view method, const std::string& url,
                             const std::vector<std::string>& headers, const std::string& body)>;
HttpCall curl_transport(std::size_t max_download = std::size_t{20} << 20);

// What became of one delivery.
struct Verdict {
  enum class Kind { sent, retry, failed };
  Kind kind = Kind::retry;
  std::chrono::seconds retry_after{0};  // the platform said when (0: our backoff)
  bool whole_channel = false;           // the limit is the bot's, not the chat's
  std::string error;
};

// One platform call for the outbox: `body` as JSON text, ill-formed UTF-8 replaced (a message
// carries what people typed).
store::OutboxMessage outbox_call(std::string_view channel, std::string_view chat_id,
                                 std::string_view method, const nlohmann::json& body);

// Downloads `url` into `bytes`: sent when it came, failed for good when `gone(status)` says the
// file will never come (else the outbox tries again later).
Verdict download(const HttpCall& http, const std::string& url, std::string& bytes,
                 bool (*gone)(long status));

// How to reach one platform.
struct Platform {
  std::string channel;
  std::function<std::string(const store::OutboxRow&)> url;
  std::vector<std::string> headers;
  std::function<Verdict(const HttpAnswer&)> judge;
  double per_second = 30;                              // the bot's overall rate
  std::chrono::milliseconds per_chat_interval{1000};   // between two paced messages to one chat
  int per_chat_hour = 0;                               // paced messages per chat per hour (0: any)
  std::function<bool(std::string_view method)> paced;  // counts against the per-chat limits
  // Delivers a row itself instead of posting it to `url` (e-mail: SMTP, not HTTP).
  std::function<Verdict(const store::OutboxRow&)> send;
  // false: a message's body is emptied once it was sent or given up (it carried a secret).
  bool keep_sent = true;
  // Downloads the picture behind a reference ("telegram:<file_id>", "viber:<url>") into `bytes`.
  std::function<Verdict(std::string_view ref, const HttpCall& http, std::string& bytes)> fetch;
};

// The platforms themselves (their URLs, JSON and limits) are the channels': telegram::platform
// (channels/telegram/platform.cpp) and viber::platform (channels/viber/platform.cpp).

struct OutboxOptions {
  int max_attempts = 12;
  std::size_t photo_max_bytes = std::size_t{5} << 20;  // a fetched photo larger is not kept
  std::chrono::seconds max_backoff{600};
  std::chrono::seconds tick{30};  // how often `on_tick` (reminders, pruning) runs
};

class OutboxWorker {
 public:
  // Runs on wall-clock time, whatever the business clock says: retries and limits are real waits.
  OutboxWorker(store::Store& store, HttpCall http, obs::Metrics* metrics,
               OutboxOptions options = {});
  ~OutboxWorker();
  OutboxWorker(const OutboxWorker&) = delete;
  OutboxWorker& operator=(const OutboxWorker&) = delete;

  void add(Platform p);
  // Marks what was sent in the ingestor's group commits instead of a commit (and a sync) of its
  // own per message: under load those commits took the one writer from the readings.
  void share_writer(Ingestor& ingestor) { ingestor_ = &ingestor; }
  void on_tick(std::function<void()> tick) { tick_ = std::move(tick); }
  void start();
  void wake();
  // Keeps sending what is due for at most `drain`, then stops; what is left stays queued.
  void stop(std::chrono::seconds drain = std::chrono::seconds{0});
  // One pass over what is due: returns how many were delivered. For tests and the CLI.
  int run_once();

 private:
  struct Pace {
    std::chrono::steady_clock::time_point next{};
    std::vector<std::chrono::steady_clock::time_point> hour;  // paced sends in the last hour
  };
  struct Channel {
    Platform platform;
    double tokens = 1;
    std::chrono::steady_clock::time_point refilled{}, paused_until{};
    std::map<std::string, Pace> chats;
  };
  void run();
  // Sends what can be sent now; returns the earliest time something else may be sent.
  std::chrono::steady_clock::time_point pass(int& delivered);
  void deliver(Channel& ch, const store::OutboxRow& row, bool& chat_blocked);
  // Runs `work` in a committed write transaction: the ingestor's next batch when shared (waiting
  // for its commit), else one of its own.
  void write(const std::function<void(store::WriteTx&)>& work);
  // A fetch_photo row: download the picture and store it with its reading.
  Verdict fetch_photo(Channel& ch, const store::OutboxRow& row);

  store::Store& store_;
  Ingestor* ingestor_ = nullptr;
  Clock clock_;  // real time
  HttpCall http_;
  obs::Metrics* metrics_;
  OutboxOptions options_;
  // Sending is led by one node among those sharing the database: the platforms' rate limits and
  // each chat's order hold across them, and no message goes out twice.
  Leadership leadership_{store_, "outbox", metrics_};
  std::map<std::string, Channel, std::less<>> channels_;
  std::function<void()> tick_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point drain_until_{};
  std::thread thread_;
};

}  // namespace md::service
