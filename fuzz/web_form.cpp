// libFuzzer: the web form decoders, URL-encoded and multipart (the first byte picks which, and
// for multipart the next bytes up to a newline are the boundary).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "channels/http/web/web_internal.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    auto form = md::http::web::parse_urlencoded(input);
    (void)form;
    return 0;
  }
  auto nl = input.find('\n');
  std::string_view boundary = input.substr(0, nl == std::string_view::npos ? 0 : nl);
  std::string_view body = nl == std::string_view::npos ? input : input.substr(nl + 1);
  std::string error;
  auto form = md::http::web::parse_multipart(body, boundary, error);
  if (form) {
    for (const auto& f : form->files)
      if (f.bytes.size() > body.size()) __builtin_trap();  // a part can only come from the body
  } else if (error.empty()) {
    __builtin_trap();  // a refusal always says why
  }
  return 0;
}
