// libFuzzer: the JSON decoder of POST /api/v1/readings (depth check, parse, field decoding).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "channels/http/api.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  md::service::SubmitRequest request;
  auto error = md::http::decode_reading_request(
      std::string_view(reinterpret_cast<const char*>(data), size), 16, request);
  // A decoded request always names an account, a serial and at least the readings object.
  if (!error && request.account.size() > size) __builtin_trap();
  return 0;
}
