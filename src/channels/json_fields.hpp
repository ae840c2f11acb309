// Reading platform JSON that may have any shape (the messengers' adapters): a member that is
// missing or of another type is "absent", never an exception.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace md::channels {

inline const nlohmann::json* member(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

// The member's text; "" when it is absent or not a string.
inline std::string text_of(const nlohmann::json& j, const char* key) {
  const nlohmann::json* v = member(j, key);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

// Cuts UTF-8 text to at most `max` bytes without splitting a character.
inline std::string cut_utf8(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

// Exact decimal text of a 64-bit integer (chat and user ids, message tokens); "" when it is none.
// Unsigned first: is_number_integer() holds for unsigned too, which get<int64_t> would wrap.
inline std::string integer_text(const nlohmann::json& v) {
  if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  return {};
}

// A request body that must be a JSON object; nullopt when it is malformed or another type.
inline std::optional<nlohmann::json> json_object(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return j;
}

}  // namespace md::channels
