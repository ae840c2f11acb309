#include "channels/ivr/ivr.hpp"

#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <spdlog/spdlog.h>
#include <linphone++/linphone.hh>

#include "channels/ivr/inband.hpp"
#include "channels/ivr/stream.hpp"

namespace md::ivr {
namespace {

using steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

void put32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}
void put16(std::string& out, std::uint16_t v) {
  out += static_cast<char>(v & 0xff);
  out += static_cast<char>(v >> 8);
}

// The PCM samples of a WAV file (its "data" chunk); empty when it is not one.
std::string wav_samples(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), {});
  if (all.size() < 12 || all.compare(0, 4, "RIFF") != 0 || all.compare(8, 4, "WAVE") != 0)
    return {};
  std::size_t at = 12;
  while (at + 8 <= all.size()) {
    std::uint32_t size = 0;
    std::memcpy(&size, all.data() + at + 4, 4);
    if (all.compare(at, 4, "data") == 0)
      return all.substr(at + 8, std::min<std::size_t>(size, all.size() - at - 8));
    at += 8 + size + (size & 1);
  }
  return {};
}

}  // namespace

long long concatenate_wav(const std::vector<std::string>& inputs, const std::string& output) {
  std::string pcm;
  for (const auto& path : inputs) pcm += wav_samples(path);
  if (pcm.empty()) return 0;
  std::string out = "RIFF";
  put32(out, static_cast<std::uint32_t>(36 + pcm.size()));
  out += "WAVEfmt ";
  put32(out, 16);
  put16(out, 1);  // PCM
  put16(out, 1);  // mono
  put32(out, 8000);
  put32(out, 16000);
  put16(out, 2);
  put16(out, 16);
  out += "data";
  put32(out, static_cast<std::uint32_t>(pcm.size()));
  out += pcm;
  std::ofstream(output, std::ios::binary | std::ios::trunc) << out;
  return static_cast<long long>(pcm.size() / 16);  // 16 bytes a millisecond
}

struct Ivr::Impl {
  struct Call {
    std::shared_ptr<linphone::Call> call;
    dialog::PhoneCall flow;
    bool started = false;
    bool busy = false;  // a step is on the writer
    std::deque<char> digits;
    steady::time_point playing_until{}, timeout_at{};
    dialog::CallStep::Then then = dialog::CallStep::Then::listen;
    int files = 0;
    std::unique_ptr<InbandDtmf> tones;  // with ivr.inband_dtmf
  };
  struct Done {
    std::string call_id;
    dialog::CallStep step;
    bool ok = false;
  };

  class Listener : public linphone::CoreListener {
   public:
    explicit Listener(Impl& impl) : impl_(impl) {}
    void onCallStateChanged(const std::shared_ptr<linphone::Core>&,
                            const std::shared_ptr<linphone::Call>& call,
                            linphone::Call::State state, const std::string&) override {
      impl_.on_state(call, state);
    }
    void onDtmfReceived(const std::shared_ptr<linphone::Core>&,
                        const std::shared_ptr<linphone::Call>& call, int dtmf) override {
      impl_.on_digit(call, static_cast<char>(dtmf));
    }
    void onTransferStateChanged(const std::shared_ptr<linphone::Core>&,
                                const std::shared_ptr<linphone::Call>& call,
                                linphone::Call::State state) override {
      impl_.on_transfer(call, state);
    }

   private:
    Impl& impl_;
  };

  IvrOptions options;
  dialog::Messenger& messenger;
  std::shared_ptr<linphone::Core> core;
  std::shared_ptr<Listener> listener;
  std::map<std::string, std::shared_ptr<Call>> calls;  // by SIP Call-ID
  std::mutex done_mutex;
  std::vector<Done> done;
  std::atomic<bool> stopping{false};
  std::thread thread;
  std::string work_dir;

  Impl(IvrOptions o, dialog::Messenger& m) : options(std::move(o)), messenger(m) {}

  static std::string id_of(const std::shared_ptr<linphone::Call>& call) {
    auto log = call->getCallLog();
    return log ? log->getCallId() : std::string();
  }

  std::string prompt_file(i18n::Lang lang, const std::string& name) const {
    std::string sub = lang == i18n::Lang::en ? "/en/" : "/uk/";
    if (!options.prompts_override.empty()) {
      std::string recorded = options.prompts_override + sub + name + ".wav";
      if (fs::exists(recorded)) return recorded;
    }
    return options.prompts + sub + name + ".wav";
  }

  void configure() {
    auto colon = options.listen.rfind(':');
    if (colon == std::string::npos) throw std::runtime_error("ivr.listen must be HOST:PORT");
    const std::string host = options.listen.substr(0, colon);
    const int port = std::stoi(options.listen.substr(colon + 1));
    auto factory = linphone::Factory::get();
    linphone::LoggingService::get()->setLogLevel(linphone::LogLevel::Error);
    fs::create_directories(options.data_dir);
    factory->setDataDir(options.data_dir + "/");  // the trailing slash matters
    auto config = factory->createConfig("");
    // Bind to the configured address and say so in the Contact, or another interface leaks out.
    config->setString("sip", "bind_address", host);
    config->setString("rtp", "bind_address", host);
    config->setInt("sip", "guess_hostname", 0);
    config->setString("sip", "contact", "sip:ivr@" + options.listen);
    // A second call from the same caller (or from "anonymous" on a trunk) is not a duplicate.
    config->setInt("sip", "reject_duplicated_calls", 0);
    config->setInt("sip", "max_calls", options.max_calls);
    // A caller who only types keys (SIP INFO, no audio) is not one who has gone: liblinphone
    // ends a call after 30 s without RTP. The flow's own time-outs end a silent call.
    config->setInt("rtp", "nortp_timeout", 24 * 3600);
    core = factory->createCoreWithConfig(config, nullptr);
    auto transports = factory->createTransports();
    transports->setUdpPort(port);
    transports->setTcpPort(0);
    transports->setTlsPort(0);
    transports->setDtlsPort(0);
    core->setTransports(transports);
    core->setPrimaryContact("sip:ivr@" + options.listen);
    core->setUseFiles(true);
    core->setPlayFile(options.prompts + "/silence.wav");
    core->setRing("");
    core->setRingback("");
    core->setMaxCalls(options.max_calls);
    core->setMediaResourceMode(linphone::MediaResourceMode::SharedMediaResources);
    core->setAudioPortRange(20000, 29999);
    core->enableVideoCapture(false);
    core->enableVideoDisplay(false);
    for (const auto& pt : core->getAudioPayloadTypes())
      pt->enable(pt->getMimeType() == "PCMU" || pt->getMimeType() == "PCMA");
    listener = std::make_shared<Listener>(*this);
    core->addListener(listener);
    if (core->start() != 0) throw std::runtime_error("ivr: cannot start on " + options.listen);
  }

  void on_state(const std::shared_ptr<linphone::Call>& call, linphone::Call::State state) {
    using S = linphone::Call::State;
    const std::string id = id_of(call);
    if (id.empty()) return;
    switch (state) {
      case S::IncomingReceived: {
        auto remote = call->getRemoteAddress();
        std::string caller = remote ? remote->getUsername() : std::string();
        calls[id] = std::make_shared<Call>(Call{call, dialog::PhoneCall(id, caller, options.call)});
        call->accept();
        break;
      }
      case S::StreamsRunning: {
        auto it = calls.find(id);
        if (it == calls.end() || it->second->started) return;
        it->second->started = true;
        it->second->call = call;
        if (options.inband_dtmf) {
          std::string heard = call_file(id, "in");
          if (record_call(linphone::Object::sharedPtrToCPtr(call), heard))
            it->second->tones = std::make_unique<InbandDtmf>(heard);
        }
        dispatch(id, it->second,
                 [](dialog::PhoneCall& f, dialog::Backend& b) { return f.start(b); });
        break;
      }
      case S::End:
      case S::Released:
      case S::Error:
        // A hang-up mid-way: the call's state goes, nothing unconfirmed was ever stored.
        calls.erase(id);
        break;
      default:
        break;
    }
  }

  std::string call_file(const std::string& id, const std::string& what) const {
    return work_dir + "/" + std::to_string(std::hash<std::string>{}(id)) + "-" + what + ".wav";
  }

  void on_digit(const std::shared_ptr<linphone::Call>& call, char d) {
    on_digit(calls.find(id_of(call)), d);
  }
  void on_digit(std::map<std::string, std::shared_ptr<Call>>::iterator it, char d) {
    if (it == calls.end()) return;
    auto& c = *it->second;
    // Barge-in: a digit stops the prompt at once.
    if (steady::now() < c.playing_until) {
      play_on_call(linphone::Object::sharedPtrToCPtr(c.call), options.prompts + "/silence.wav");
      c.playing_until = steady::now();
      spdlog::debug("ivr: call {} prompt cut by a key", it->first);
    }
    c.digits.push_back(d);
    // Keys pressed before the greeting started wait for it (a caller who knows the menu).
    if (c.started) next_digit(it->first, it->second);
  }

  void next_digit(const std::string& id, const std::shared_ptr<Call>& c) {
    if (c->busy || c->digits.empty()) return;
    char d = c->digits.front();
    c->digits.pop_front();
    dispatch(id, c, [d](dialog::PhoneCall& f, dialog::Backend& b) { return f.digit(d, b); });
  }

  template <typename Step>
  void dispatch(const std::string& id, const std::shared_ptr<Call>& c, Step step) {
    c->busy = true;
    auto result = std::make_shared<dialog::CallStep>();
    bool queued = messenger.run_async(
        "ivr", id, [c, result, step](dialog::Backend& b) { *result = step(c->flow, b); },
        [this, id, result](bool ok) {
          std::lock_guard lock(done_mutex);
          done.push_back(Done{id, std::move(*result), ok});
        });
    if (!queued) {
      std::lock_guard lock(done_mutex);
      done.push_back(Done{id, {}, false});
    }
  }

  void apply(const Done& d) {
    auto it = calls.find(d.call_id);
    if (it == calls.end()) return;  // hung up meanwhile
    auto& c = *it->second;
    c.busy = false;
    dialog::CallStep step = d.step;
    if (!d.ok)
      step =
          dialog::CallStep{{"ivr.unavailable", "ivr.goodbye"}, dialog::CallStep::Then::hang_up, {}};
    if (!step.receipt.empty())
      spdlog::info("ivr: call {} stored reading {}", d.call_id, step.receipt);
    if (spdlog::should_log(spdlog::level::debug)) {
      std::string names;  // prompt names only: what was typed stays out of the log
      for (const auto& n : step.play)
        if (!n.starts_with("digit.") && !n.starts_with("letter.")) names += n + " ";
      spdlog::debug("ivr: call {} ok={} plays {}then {}", d.call_id, d.ok, names,
                    static_cast<int>(step.then));
    }
    auto now = steady::now();
    if (!step.play.empty()) {
      std::vector<std::string> files;
      for (const auto& name : step.play) files.push_back(prompt_file(c.flow.lang, name));
      std::string file = call_file(d.call_id, std::to_string(c.files++ % 2));
      long long ms = concatenate_wav(files, file);
      // A caller who cannot hear the prompt cannot answer it: that is an error worth a log line
      // (IvrTest.EveryPromptPlayedReachesTheCallerWhole checks what the caller hears).
      if (ms <= 0)
        spdlog::error("ivr: call {}: its prompts could not be put together (see ivr.prompts)",
                      d.call_id);
      else if (!c.digits.empty())
        spdlog::debug("ivr: call {} prompt skipped: keys are waiting", d.call_id);
      else if (!play_on_call(linphone::Object::sharedPtrToCPtr(c.call), file))
        spdlog::error("ivr: call {}: its prompt could not be played (no audio stream)", d.call_id);
      c.playing_until = now + std::chrono::milliseconds(c.digits.empty() ? ms : 0);
    }
    c.then = step.then;
    c.timeout_at = std::max(now, c.playing_until) + std::chrono::seconds(options.timeout_seconds);
    next_digit(d.call_id, it->second);
  }

  // How the REFER to the operators went, as the caller's side reports it (NOTIFY): a caller whose
  // phone cannot be transferred has heard the other channels already and is let go.
  void on_transfer(const std::shared_ptr<linphone::Call>& call, linphone::Call::State state) {
    using S = linphone::Call::State;
    if (state == S::Connected) {
      spdlog::info("ivr: call {} put through to the operators", id_of(call));
      if (call->getState() != S::End && call->getState() != S::Released) call->terminate();
    } else if (state == S::Error) {
      spdlog::warn("ivr: call {}: the operators could not be reached; hanging up", id_of(call));
      call->terminate();
    }
  }

  void timers() {
    auto now = steady::now();
    // Ending a call calls back into on_state, which erases it: act after the walk.
    std::vector<std::shared_ptr<Call>> end, transfer;
    for (auto& [id, c] : calls) {
      if (c->busy || now < c->playing_until) continue;
      if (c->then == dialog::CallStep::Then::hang_up) {
        c->then = dialog::CallStep::Then::listen;
        c->timeout_at = steady::time_point::max();
        end.push_back(c);
      } else if (c->then == dialog::CallStep::Then::transfer) {
        c->then = dialog::CallStep::Then::listen;
        c->timeout_at = steady::time_point::max();
        transfer.push_back(c);
      } else if (c->started && now >= c->timeout_at) {
        dispatch(id, c, [](dialog::PhoneCall& f, dialog::Backend& b) { return f.timeout(b); });
      }
    }
    for (auto& c : transfer) {
      auto to = core->createAddress(options.call.transfer);
      if (!to || c->call->transferTo(to) != 0) {
        spdlog::error("ivr: call {}: cannot transfer to ivr.transfer '{}'; hanging up",
                      id_of(c->call), options.call.transfer);
        end.push_back(c);
      }
    }
    for (auto& c : end) c->call->terminate();
  }

  void run() {
    while (!stopping) {
      core->iterate();
      std::vector<Done> ready;
      {
        std::lock_guard lock(done_mutex);
        ready.swap(done);
      }
      for (const auto& d : ready) apply(d);
      for (auto it = calls.begin(); it != calls.end(); ++it)
        if (it->second->tones)
          for (char d : it->second->tones->poll()) on_digit(it, d);
      timers();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    std::vector<std::shared_ptr<Call>> open;
    for (auto& [id, c] : calls) open.push_back(c);
    for (auto& c : open) c->call->terminate();
    for (int i = 0; i < 50; ++i) {  // let the BYEs go out
      core->iterate();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    core->stop();
  }
};

Ivr::Ivr(IvrOptions options, dialog::Messenger& messenger)
    : impl_(std::make_unique<Impl>(std::move(options), messenger)) {}

Ivr::~Ivr() {
  stop();
}

void Ivr::start() {
  impl_->work_dir = impl_->options.data_dir + "/calls";
  fs::create_directories(impl_->work_dir);
  impl_->configure();
  impl_->thread = std::thread([this] { impl_->run(); });
  spdlog::info("ivr answering on sip:ivr@{} (prompts {})", impl_->options.listen,
               impl_->options.prompts);
}

void Ivr::stop() {
  impl_->stopping = true;
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace md::ivr
