// The phone line: a SIP endpoint (liblinphone in use-files mode, no sound card) that answers
// calls, plays the prompts of dialog::PhoneCall and hears DTMF (RFC 4733 telephone-events and SIP
// INFO). One thread iterates the SIP core; each step of a call runs on the service's writer and
// comes back to it. Per-call state is keyed by the SIP Call-ID.
#pragma once

#include <memory>
#include <string>

#include "dialog/messenger.hpp"
#include "dialog/phone_call.hpp"

namespace md::ivr {

struct IvrOptions {
  std::string listen = "127.0.0.1:5070";  // ivr.listen: UDP address for SIP
  std::string prompts;                    // directory with uk/ and en/ prompt WAVs
  std::string prompts_override;           // recorded files with the same names, if any
  std::string data_dir;                   // liblinphone's own files
  int timeout_seconds = 10;               // ivr.timeout: no digit for this long
  int max_calls = 200;
  bool inband_dtmf = false;   // ivr.inband_dtmf: also hear DTMF tones in the caller's audio
  dialog::CallSettings call;  // ivr.menu_key, ivr.transfer
};

class Ivr {
 public:
  Ivr(IvrOptions options, dialog::Messenger& messenger);
  ~Ivr();
  Ivr(const Ivr&) = delete;
  Ivr& operator=(const Ivr&) = delete;

  void start();  // binds and answers calls on its own thread; throws when it cannot bind
  void stop();   // hangs up every call, then stops

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Concatenates 8 kHz mono 16-bit WAV files into one (the prompts of one step); returns its
// duration in milliseconds, 0 when none could be read.
long long concatenate_wav(const std::vector<std::string>& inputs, const std::string& output);

}  // namespace md::ivr
