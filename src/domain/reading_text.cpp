#include "domain/reading_text.hpp"

#include <array>
#include <optional>
#include <utility>

#include "domain/meter.hpp"

namespace md::domain {

namespace {

bool digit(char c) {
  return c >= '0' && c <= '9';
}
bool latin(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
// The lead byte of a Cyrillic letter in UTF-8 (U+0400–U+047F).
bool cyrillic_lead(char c) {
  return c == '\xD0' || c == '\xD1';
}

// Lower case for Latin and the Ukrainian alphabet (two-byte UTF-8), which is all a label uses.
std::string lowered(std::string_view word) {
  std::string out;
  for (std::size_t i = 0; i < word.size(); ++i) {
    const auto c = static_cast<unsigned char>(word[i]);
    if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else if (c == 0xD0 && i + 1 < word.size()) {
      const auto n = static_cast<unsigned char>(word[++i]);
      if (n >= 0x90 && n <= 0x9F) {  // А–П
        out += '\xD0';
        out += static_cast<char>(n + 0x20);
      } else if (n >= 0xA0 && n <= 0xAF) {  // Р–Я
        out += '\xD1';
        out += static_cast<char>(n - 0x20);
      } else if (n >= 0x80 && n <= 0x8F) {  // Є, І, Ї and the rest of U+0400–U+040F
        out += '\xD1';
        out += static_cast<char>(n + 0x10);
      } else {
        out += '\xD0';
        out += static_cast<char>(n);
      }
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

struct Label {
  std::string_view word;
  Zone zone;
  int zones;  // the meters it names a zone of: 2 or 3
};

// Names a person gives a zone: Ukrainian, English, the tariff's T1–T3 (Latin or Cyrillic T).
constexpr std::array kLabels = {
    Label{"день", Zone::day, 2},
    Label{"денний", Zone::day, 2},
    Label{"денна", Zone::day, 2},
    Label{"д", Zone::day, 2},
    Label{"day", Zone::day, 2},
    Label{"d", Zone::day, 2},
    Label{"t1", Zone::day, 2},
    Label{"т1", Zone::day, 2},
    Label{"ніч", Zone::night, 2},
    Label{"нічний", Zone::night, 2},
    Label{"нічна", Zone::night, 2},
    Label{"н", Zone::night, 2},
    Label{"night", Zone::night, 2},
    Label{"n", Zone::night, 2},
    Label{"t2", Zone::night, 2},
    Label{"т2", Zone::night, 2},
    Label{"пік", Zone::peak, 3},
    Label{"піковий", Zone::peak, 3},
    Label{"пікова", Zone::peak, 3},
    Label{"п", Zone::peak, 3},
    Label{"peak", Zone::peak, 3},
    Label{"p", Zone::peak, 3},
    Label{"t1", Zone::peak, 3},
    Label{"т1", Zone::peak, 3},
    Label{"напівпік", Zone::half_peak, 3},
    Label{"напівпіковий", Zone::half_peak, 3},
    Label{"напівпікова", Zone::half_peak, 3},
    Label{"нп", Zone::half_peak, 3},
    Label{"half-peak", Zone::half_peak, 3},
    Label{"half_peak", Zone::half_peak, 3},
    Label{"halfpeak", Zone::half_peak, 3},
    Label{"hp", Zone::half_peak, 3},
    Label{"t2", Zone::half_peak, 3},
    Label{"т2", Zone::half_peak, 3},
    Label{"ніч", Zone::night, 3},
    Label{"нічний", Zone::night, 3},
    Label{"нічна", Zone::night, 3},
    Label{"н", Zone::night, 3},
    Label{"night", Zone::night, 3},
    Label{"n", Zone::night, 3},
    Label{"t3", Zone::night, 3},
    Label{"т3", Zone::night, 3},
};

// What a word names for a meter of `zones` zones: its zone index; -1 a zone of another meter; none
// when it is no label.
std::optional<int> label_of(const std::string& word, int zones) {
  bool elsewhere = false;
  for (const auto& l : kLabels) {
    if (l.word != word) continue;
    if (l.zones != zones) {
      elsewhere = true;
      continue;
    }
    auto names = zones_of(zones);
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == l.zone) return static_cast<int>(i);
  }
  if (elsewhere) return -1;
  return std::nullopt;
}

struct Token {
  std::string text;
  bool number = false;
};

// Numbers (with a decimal part of one or two digits glued to them: "12250,5") and words
// (letters, with T1–T3 kept whole); everything else separates them.
std::vector<Token> tokens(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (digit(s[i])) {
      std::size_t j = i;
      while (j < s.size() && digit(s[j])) ++j;
      if (j + 1 < s.size() && (s[j] == ',' || s[j] == '.') && digit(s[j + 1])) {
        std::size_t k = j + 1;
        while (k < s.size() && digit(s[k])) ++k;
        if (k - j - 1 <= 2) j = k;  // "12250,5" is one value; "12250,6120" two
      }
      out.push_back({std::string(s.substr(i, j - i)), true});
      i = j;
    } else if (latin(s[i]) || (cyrillic_lead(s[i]) && i + 1 < s.size())) {
      std::size_t j = i;
      while (j < s.size()) {
        if (latin(s[j]) || ((s[j] == '-' || s[j] == '_') && j + 1 < s.size() && latin(s[j + 1])))
          ++j;
        else if (cyrillic_lead(s[j]) && j + 1 < s.size())
          j += 2;
        else
          break;
      }
      std::string word = lowered(s.substr(i, j - i));
      // T1–T3: the tariff's own names keep their digit.
      if ((word == "t" || word == "т") && j < s.size() && s[j] >= '1' && s[j] <= '3' &&
          (j + 1 == s.size() || !digit(s[j + 1]))) {
        word += s[j];
        ++j;
      }
      out.push_back({std::move(word), false});
      i = j;
    } else {
      ++i;
    }
  }
  return out;
}

}  // namespace

std::string latin_lookalikes(std::string_view text) {
  // Upper and lower case Cyrillic letters that Latin ones look like, as UTF-8.
  static constexpr std::array<std::pair<std::string_view, char>, 24> kLike = {{
      {"А", 'A'}, {"В", 'B'}, {"Е", 'E'}, {"К", 'K'}, {"М", 'M'}, {"Н", 'H'},
      {"О", 'O'}, {"Р", 'P'}, {"С", 'C'}, {"Т", 'T'}, {"Х", 'X'}, {"І", 'I'},
      {"а", 'a'}, {"в", 'b'}, {"е", 'e'}, {"к", 'k'}, {"м", 'm'}, {"н", 'h'},
      {"о", 'o'}, {"р", 'p'}, {"с", 'c'}, {"т", 't'}, {"х", 'x'}, {"і", 'i'},
  }};
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    bool replaced = false;
    for (const auto& [cyrillic, latin] : kLike) {
      if (text.substr(i).starts_with(cyrillic)) {
        out += latin;
        i += cyrillic.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

bool has_number(std::string_view text) {
  for (const auto& t : tokens(text))
    if (t.number) return true;
  return false;
}

ReadingText read_reading_text(std::string_view text, int zones,
                              const std::vector<std::string>& so_far) {
  ReadingText out;
  const auto n = static_cast<std::size_t>(zones < 1 ? 1 : zones);
  out.values = so_far;
  out.values.resize(n);
  std::vector<std::string> labelled(n), unlabelled;
  int pending = -1;  // the zone a label named, for the next number
  for (const auto& t : tokens(text)) {
    if (!t.number) {
      if (auto l = label_of(t.text, zones)) {
        if (*l < 0) {
          out.error = ReadingText::Error::zone_not_on_meter;
          return out;
        }
        pending = *l;
      }
      continue;
    }
    if (pending < 0) {
      unlabelled.push_back(t.text);
      continue;
    }
    auto& slot = labelled[static_cast<std::size_t>(pending)];
    if (!slot.empty()) {
      out.error = ReadingText::Error::zone_twice;
      return out;
    }
    slot = t.text;
    pending = -1;
  }
  std::size_t given_labels = 0;
  for (const auto& v : labelled) given_labels += !v.empty();
  if (given_labels + unlabelled.size() == 0) {
    out.error = ReadingText::Error::no_number;
    return out;
  }
  // As many unlabelled numbers as zones: the whole reading again.
  if (given_labels == 0 && unlabelled.size() == n) {
    out.values = unlabelled;
    out.given = static_cast<int>(n);
    return out;
  }
  for (std::size_t z = 0; z < n; ++z)
    if (!labelled[z].empty()) out.values[z] = labelled[z];
  std::size_t next = 0;
  for (const auto& v : unlabelled) {
    while (next < n && !out.values[next].empty()) ++next;
    if (next == n) {
      out.values = so_far;
      out.values.resize(n);
      out.error = ReadingText::Error::too_many_numbers;
      return out;
    }
    out.values[next++] = v;
  }
  out.given = static_cast<int>(given_labels + unlabelled.size());
  return out;
}

}  // namespace md::domain
