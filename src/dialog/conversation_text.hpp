// What the conversation's files (conversation.cpp, identification.cpp) share: a reply of words
// alone, a message without its surrounding blanks, and the number of tries before the other
// channels are offered.
#pragma once

#include <string>
#include <string_view>

#include "dialog/conversation.hpp"

namespace md::dialog::detail {

inline constexpr int kTries = 3;  // channels.md: three tries, then the other channels

inline Reply say(std::string text) {
  Reply r;
  r.text = std::move(text);
  return r;
}

inline std::string trimmed(std::string_view s) {
  const char* ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(ws);
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace md::dialog::detail
