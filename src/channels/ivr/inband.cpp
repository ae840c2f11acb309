#include "channels/ivr/inband.hpp"

#include <spandsp.h>

#include <fstream>
#include <vector>

namespace md::ivr {

InbandDtmf::InbandDtmf(std::string wav_path) : path_(std::move(wav_path)) {
  rx_ = dtmf_rx_init(
      nullptr,
      [](void* self, const char* digits, int len) {
        static_cast<InbandDtmf*>(self)->heard_.append(digits, static_cast<std::size_t>(len));
      },
      this);
}

InbandDtmf::~InbandDtmf() {
  dtmf_rx_free(rx_);
}

std::string InbandDtmf::poll() {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  auto size = static_cast<std::uint64_t>(in.tellg());
  if (size < offset_ + 2) return {};
  std::uint64_t bytes = (size - offset_) & ~std::uint64_t{1};
  std::vector<std::int16_t> samples(bytes / 2);
  in.seekg(static_cast<std::streamoff>(offset_));
  in.read(reinterpret_cast<char*>(samples.data()), static_cast<std::streamsize>(bytes));
  offset_ += bytes;
  dtmf_rx(rx_, samples.data(), static_cast<int>(samples.size()));
  std::string out;
  out.swap(heard_);
  return out;
}

}  // namespace md::ivr
