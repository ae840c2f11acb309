#include "service/outbox.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cmath>
#include <future>

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace md::service {
namespace {

using json = nlohmann::json;
using steady = std::chrono::steady_clock;

std::size_t collect(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// One connection per thread, kept alive between requests.
struct Curl {
  CURL* handle = nullptr;
  Curl() {
    static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    (void)initialised;
    handle = curl_easy_init();
  }
  ~Curl() { curl_easy_cleanup(handle); }
  Curl(const Curl&) = delete;
  Curl& operator=(const Curl&) = delete;
};

}  // namespace

HttpCall curl_transport(std::size_t max_download) {
  return [max_download](std::string_view method, const std::string& url,
                        const std::vector<std::string>& headers, const std::string& body) {
    thread_local Curl curl;
    HttpAnswer answer;
    if (!curl.handle) {
      answer.error = "libcurl did not initialise";
      return answer;
    }
    CURL* h = curl.handle;
    curl_easy_reset(h);
    curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/json");
    for (const auto& hd : headers) list = curl_slist_append(list, hd.c_str());
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    if (method == "GET") {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
      curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(max_download));
    } else {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer.body);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 20000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(list);
    if (rc != CURLE_OK) {
      answer.error = curl_easy_strerror(rc);
      answer.status = 0;
      return answer;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &answer.status);
    return answer;
  };
}

store::OutboxMessage outbox_call(std::string_view channel, std::string_view chat_id,
                                 std::string_view method, const nlohmann::json& body) {
  store::OutboxMessage m;
  m.channel = std::string(channel);
  m.chat_id = std::string(chat_id);
  m.method = std::string(method);
  m.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return m;
}

Verdict download(const HttpCall& http, const std::string& url, std::string& bytes,
                 bool (*gone)(long status)) {
  Verdict v;
  HttpAnswer file = http("GET", url, {}, {});
  if (file.status != 200) {
    v.error = "download: " + (file.status ? std::to_string(file.status) : file.error);
    if (gone(file.status)) v.kind = Verdict::Kind::failed;
    return v;
  }
  bytes = std::move(file.body);
  v.kind = Verdict::Kind::sent;
  return v;
}

OutboxWorker::OutboxWorker(store::Store& store, HttpCall http, obs::Metrics* metrics,
                           OutboxOptions options)
    : store_(store), http_(std::move(http)), metrics_(metrics), options_(options) {}

OutboxWorker::~OutboxWorker() {
  stop();
}

void OutboxWorker::add(Platform p) {
  std::string name = p.channel;
  Channel ch;
  ch.tokens = std::max(1.0, p.per_second);
  ch.platform = std::move(p);
  channels_.insert_or_assign(std::move(name), std::move(ch));
}

void OutboxWorker::start() {
  thread_ = std::thread([this] { run(); });
}

void OutboxWorker::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_one();
}

void OutboxWorker::stop(std::chrono::seconds drain) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) drain_until_ = steady::now() + drain;
    stopping_ = true;
    woken_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

int OutboxWorker::run_once() {
  int delivered = 0;
  pass(delivered);
  return delivered;
}

void OutboxWorker::run() {
  auto next_tick = steady::now();
  for (;;) {
    if (tick_ && steady::now() >= next_tick) {
      try {
        if (leadership_.leading()) tick_();
      } catch (const std::exception& e) {
        spdlog::error("outbox tick failed: {}", e.what());
      }
      next_tick = steady::now() + options_.tick;
    }
    int delivered = 0;
    steady::time_point next;
    try {
      next = pass(delivered);
    } catch (const std::exception& e) {
      spdlog::error("outbox pass failed: {}", e.what());
      next = steady::now() + std::chrono::seconds{1};
    }
    std::unique_lock lock(mutex_);
    if (stopping_ && (steady::now() >= drain_until_ || delivered == 0)) return;
    if (delivered > 0 && next <= steady::now()) continue;
    cv_.wait_until(lock, std::min(next, next_tick), [this] { return woken_; });
    woken_ = false;
    if (stopping_ && steady::now() >= drain_until_) return;
  }
}

steady::time_point OutboxWorker::pass(int& delivered) {
  auto now = steady::now();
  auto next = now + std::chrono::seconds{1};
  if (!leadership_.leading())
    return now + std::chrono::seconds{2};  // another node sends; ask again soon
  auto rows = store_.outbox_due(clock_.now(), 200);
  if (metrics_) metrics_->outbox_pending(store_.outbox_pending());
  std::vector<std::string> blocked;  // chats with an earlier message not sent in this pass
  for (const auto& row : rows) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_ && steady::now() >= drain_until_) break;
    }
    std::string key = row.channel + "\n" + row.chat_id;
    if (std::find(blocked.begin(), blocked.end(), key) != blocked.end()) continue;
    auto it = channels_.find(row.channel);
    if (it == channels_.end()) continue;  // that bot is off: its messages wait
    Channel& ch = it->second;
    now = steady::now();
    // The bot's overall rate: a token bucket of one second's worth.
    double elapsed = std::chrono::duration<double>(now - ch.refilled).count();
    ch.tokens = std::min(std::max(1.0, ch.platform.per_second),
                         ch.tokens + elapsed * ch.platform.per_second);
    ch.refilled = now;
    steady::time_point ready = ch.paused_until;
    if (ch.tokens < 1)
      ready = std::max(
          ready, now + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(
                           (1 - ch.tokens) / ch.platform.per_second)));
    bool paced = !ch.platform.paced || ch.platform.paced(row.method);
    Pace& pace = ch.chats[row.chat_id];
    if (paced) {
      ready = std::max(ready, pace.next);
      std::erase_if(pace.hour, [&](auto t) { return now - t >= std::chrono::hours{1}; });
      if (ch.platform.per_chat_hour > 0 &&
          static_cast<int>(pace.hour.size()) >= ch.platform.per_chat_hour)
        ready = std::max(ready, pace.hour.front() + std::chrono::hours{1});
    }
    if (ready > now) {
      blocked.push_back(key);
      next = std::min(next, ready);
      continue;
    }
    ch.tokens -= 1;
    if (paced) {
      pace.next = now + ch.platform.per_chat_interval;
      if (ch.platform.per_chat_hour > 0) pace.hour.push_back(now);
    }
    bool chat_blocked = false;
    deliver(ch, row, chat_blocked);
    if (chat_blocked) {
      blocked.push_back(key);
    } else {
      ++delivered;
    }
  }
  if (rows.size() == 200 && delivered > 0) next = steady::now();
  // Forget chats that have nothing pending soon, so the map stays small.
  for (auto& [name, ch] : channels_)
    std::erase_if(ch.chats, [&](const auto& kv) {
      return kv.second.next < steady::now() && kv.second.hour.empty();
    });
  return next;
}

Verdict OutboxWorker::fetch_photo(Channel& ch, const store::OutboxRow& row) {
  json job = json::parse(row.body, nullptr, false);
  Verdict v;
  v.kind = Verdict::Kind::failed;
  if (!job.is_object() || !ch.platform.fetch) return v;
  std::string bytes;
  v = ch.platform.fetch(job.value("photo", std::string()), http_, bytes);
  if (v.kind != Verdict::Kind::sent) return v;
  // Only what the web form would take: a JPEG or PNG within the size limit.
  const bool jpeg = bytes.size() >= 3 && bytes.compare(0, 3, "\xFF\xD8\xFF") == 0;
  const bool png = bytes.size() >= 8 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0;
  auto reading = store_.find_by_receipt(job.value("receipt", std::string()));
  if ((!jpeg && !png) || bytes.size() > options_.photo_max_bytes || !reading) {
    v.kind = Verdict::Kind::failed;
    v.error = !reading ? "no such reading" : "not a JPEG or PNG within the size limit";
    return v;
  }
  auto tx = store_.begin_write();
  try {
    tx->insert_photo(reading->id, store::Photo{jpeg ? "image/jpeg" : "image/png", bytes},
                     clock_.now());
    tx->commit();
  } catch (const store::ConflictError&) {  // fetched before: the first one stays
  }
  return v;
}

void OutboxWorker::write(const std::function<void(store::WriteTx&)>& work) {
  if (ingestor_) {
    std::promise<bool> committed;
    auto done = committed.get_future();
    Ingestor::Task task;
    task.work = [&work](store::WriteTx& tx, domain::Instant) { work(tx); };
    task.done = [&committed](bool ok) { committed.set_value(ok); };
    task.repeatable = true;  // updates of outbox rows only, all inside the transaction
    if (ingestor_->run_async(std::move(task))) {
      if (!done.get()) throw store::StoreError("the outbox's write was not committed");
      return;
    }
    // The ingestor's queue is full or it is stopping: a transaction of our own.
  }
  auto tx = store_.begin_write();
  work(*tx);
  tx->commit();
}

void OutboxWorker::deliver(Channel& ch, const store::OutboxRow& row, bool& chat_blocked) {
  Verdict v;
  if (row.method == kFetchPhoto) {
    v = fetch_photo(ch, row);
  } else if (ch.platform.send) {
    v = ch.platform.send(row);
  } else {
    HttpAnswer answer = http_("POST", ch.platform.url(row), ch.platform.headers, row.body);
    v = ch.platform.judge(answer);
  }
  const auto now = clock_.now();
  int attempts = row.attempts + 1;
  if (v.kind == Verdict::Kind::retry && attempts >= options_.max_attempts)
    v.kind = Verdict::Kind::failed;
  // A retry waits as long as the platform said, or our backoff.
  const auto wait = v.retry_after.count() > 0
                        ? v.retry_after
                        : std::min(options_.max_backoff,
                                   std::chrono::seconds{std::int64_t{1} << std::min(attempts, 20)});
  write([&](store::WriteTx& tx) {
    switch (v.kind) {
      case Verdict::Kind::sent:
        tx.outbox_sent(row.id, now);
        break;
      case Verdict::Kind::failed:
        tx.outbox_failed(row.id, attempts, v.error, now);
        break;
      case Verdict::Kind::retry:
        tx.outbox_retry(row.id, attempts, now + wait, v.error);
        break;
    }
    if (v.kind != Verdict::Kind::retry && !ch.platform.keep_sent) tx.outbox_forget_body(row.id);
  });
  if (v.kind == Verdict::Kind::failed)
    spdlog::warn("outbox: {} message {} given up after {} attempts: {}", row.channel, row.id,
                 attempts, v.error);
  if (v.kind == Verdict::Kind::retry) {
    if (v.whole_channel) ch.paused_until = steady::now() + wait;
    chat_blocked = true;
    spdlog::info("outbox: {} message {} retried in {} s: {}", row.channel, row.id, wait.count(),
                 v.error);
  }
  if (v.kind == Verdict::Kind::failed) chat_blocked = false;  // later messages may still go
  if (metrics_)
    metrics_->outbox_send(row.channel, v.kind == Verdict::Kind::sent     ? "sent"
                                       : v.kind == Verdict::Kind::failed ? "failed"
                                                                         : "retried");
}

}  // namespace md::service
