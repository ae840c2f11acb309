// The page words' lookups; the table is in text.hpp, where keys are checked as pages compile.
#include "channels/http/web/text.hpp"

#include "channels/http/web/web_internal.hpp"

namespace md::http::web {

kainjow::mustache::data texts(i18n::Lang lang) {
  kainjow::mustache::data t;
  for (const auto& e : kText) t.set(e.key, lang == i18n::Lang::en ? e.en : e.uk);
  return t;
}

std::string text(i18n::Lang lang, TextKey key) {
  return lang == i18n::Lang::en ? key.entry().en : key.entry().uk;
}

std::string text(i18n::Lang lang, TextKey key,
                 std::initializer_list<std::pair<std::string_view, std::string>> params) {
  std::string out = text(lang, key);
  for (const auto& [name, value] : params) {
    const std::string placeholder = "{" + std::string(name) + "}";
    for (auto at = out.find(placeholder); at != std::string::npos;
         at = out.find(placeholder, at + value.size()))
      out.replace(at, placeholder.size(), value);
  }
  return out;
}

}  // namespace md::http::web
