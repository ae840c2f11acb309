// A reading as a person types it in one message (channels.md "The submission flow", step 3):
// every zone at once ("14300 6300", "день 14300 ніч 6300", "T1 14300 T2 6300", on several lines,
// with commas or slashes), unlabelled numbers in zone order, labelled ones in any order. The
// values stay text: validation (rules.md §5) judges each one as typed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace md::domain {

struct ReadingText {
  enum class Error {
    none,
    no_number,          // nothing that could be a reading ("привіт", an emoji)
    too_many_numbers,   // more numbers than the zones still to give
    zone_twice,         // one zone labelled twice
    zone_not_on_meter,  // a zone this meter does not have ("пік" for a day/night meter)
  };
  Error error = Error::none;
  // One per zone of the meter, in zone order: what the message gave, or what was there before
  // ("" for a zone still missing).
  std::vector<std::string> values;
  int given = 0;  // how many values this message gave
};

// Reads `text` for a meter of `zones` zones, on top of the values `so_far` (one per zone, ""
// where missing): a labelled number sets its zone; unlabelled numbers fill the missing zones in
// order, or, as many as the zones, replace the whole reading. A decimal part ("12250,5") stays
// with its number. Words that are not labels are passed over.
ReadingText read_reading_text(std::string_view text, int zones,
                              const std::vector<std::string>& so_far = {});

// Whether `text` holds a number at all: a message from a linked chat that does is a reading.
bool has_number(std::string_view text);

// An identifier typed with Cyrillic letters that look Latin ("А1234567" with a Cyrillic А, as a
// Ukrainian keyboard gives it) in the Latin letters serials and receipts are written in.
std::string latin_lookalikes(std::string_view text);

}  // namespace md::domain
