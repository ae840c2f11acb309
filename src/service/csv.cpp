#include "service/csv.hpp"

namespace md::service {

CsvReader::CsvReader(std::string_view text) : text_(text) {
  if (text_.starts_with("\xEF\xBB\xBF")) text_.remove_prefix(3);  // a UTF-8 BOM from spreadsheets
}

bool CsvReader::next(CsvRow& row) {
  auto& fields = row.fields;
  for (;;) {
    if (at_ >= text_.size()) return false;
    fields.clear();
    row.line = line_;
    std::string field;
    bool quoted = false, field_started = false, ended = false;
    while (at_ < text_.size() && !ended) {
      const char c = text_[at_++];
      if (quoted) {
        if (c == '"') {
          if (at_ < text_.size() && text_[at_] == '"') {
            field += '"';
            ++at_;
          } else {
            quoted = false;
          }
        } else {
          if (c == '\n') ++line_;
          field += c;
        }
      } else if (c == '"' && !field_started) {
        quoted = field_started = true;
      } else if (c == ',') {
        fields.push_back(std::move(field));
        field.clear();
        field_started = false;
      } else if (c == '\r' && at_ < text_.size() && text_[at_] == '\n') {
        continue;
      } else if (c == '\n') {
        ++line_;
        ended = true;
      } else {
        field += c;
        field_started = true;
      }
    }
    if (quoted)
      errors_.push_back("line " + std::to_string(row.line) + ": unterminated quoted field");
    fields.push_back(std::move(field));
    if (!(fields.size() == 1 && fields[0].empty())) return true;  // a blank line is no row
  }
}

CsvTable parse_csv(std::string_view text) {
  CsvTable table;
  CsvReader reader(text);
  CsvRow row;
  if (reader.next(row)) table.header = std::move(row.fields);
  while (reader.next(row)) table.rows.push_back(std::move(row));
  table.errors = reader.errors();
  return table;
}

}  // namespace md::service
