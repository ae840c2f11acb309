// In-band DTMF: the caller's audio (recorded by the call's file recorder) tailed into a spandsp
// DTMF receiver. For switches that pass tones in the audio instead of RFC 4733 or SIP INFO.
#pragma once

#include <cstdint>
#include <string>

struct dtmf_rx_state_s;

namespace md::ivr {

class InbandDtmf {
 public:
  explicit InbandDtmf(std::string wav_path);
  ~InbandDtmf();
  InbandDtmf(const InbandDtmf&) = delete;
  InbandDtmf& operator=(const InbandDtmf&) = delete;

  // Reads what was recorded since the last call; returns the digits heard in it.
  std::string poll();

 private:
  std::string path_;
  std::uint64_t offset_ = 44;  // past the WAV header
  dtmf_rx_state_s* rx_ = nullptr;
  std::string heard_;
};

}  // namespace md::ivr
