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

// Reads one row at a time, so that a file of millions of rows is never held as rows: an import
// keeps the text and the row it is at. Blank lines are skipped.
class CsvReader {
 public:
  explicit CsvReader(std::string_view text);
  // The next row into `row` (its fields reused); false at the end of the text.
  bool next(CsvRow& row);
  // How far into the text the reader is, for progress.
  std::size_t offset() const { return at_; }
  std::size_t size() const { return text_.size(); }
  // "line 7: unterminated quoted field", known once the end is reached.
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::string_view text_;
  std::size_t at_ = 0;
  int line_ = 1;
  std::vector<std::string> errors_;
};

struct CsvTable {
  std::vector<std::string> header;
  std::vector<CsvRow> rows;
  std::vector<std::string> errors;
};

CsvTable parse_csv(std::string_view text);

}  // namespace md::service
