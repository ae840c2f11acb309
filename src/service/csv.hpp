// RFC 4180 CSV: quoted fields with "" escapes, CRLF or LF line ends, a header row.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace md::service {

struct CsvRow {
  int line = 0;  // 1-based line number where the row starts
  std::vector<std::string> fields;
};

struct CsvTable {
  std::vector<std::string> header;
  std::vector<CsvRow> rows;
  std::vector<std::string> errors;  // "line 7: unterminated quoted field"
};

CsvTable parse_csv(std::string_view text);

}  // namespace md::service
