// The message catalogue every channel renders (uk default, en). Keys are the machine codes of
// validation results; {name} placeholders are filled from the parameters.
#pragma once
#include <map>
#include <string>
#include <string_view>

namespace md::i18n {

enum class Lang { uk, en };

Lang parse_lang(std::string_view tag);  // "en", "en-GB", "uk"...; anything else is uk
// Picks uk or en from an HTTP Accept-Language header, honouring q-values.
Lang lang_from_accept_language(std::string_view header);
std::string_view lang_code(Lang lang);

// The text for `key` with {placeholders} filled; the key itself if the catalogue lacks it.
std::string message(Lang lang, std::string_view key,
                    const std::map<std::string, std::string>& params = {});
bool has_message(std::string_view key);
// The words for a stored code of one family: "channel", "status", "review", "flag", "type" (of
// a reading), "kind" (of a boundary value or volume), "zone"; the code itself if there are none.
std::string label(Lang lang, std::string_view family, std::string_view code);
std::string zone_label(Lang lang, std::string_view zone);

}  // namespace md::i18n
