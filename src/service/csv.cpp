#include "service/csv.hpp"

namespace md::service {

CsvTable parse_csv(std::string_view text) {
  CsvTable table;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 BOM from spreadsheets
  std::vector<std::vector<std::string>> rows;
  std::vector<int> lines;
  std::vector<std::string> fields;
  std::string field;
  int line = 1, row_line = 1;
  bool quoted = false, field_started = false, any = false;
  auto end_field = [&] {
    fields.push_back(std::move(field));
    field.clear();
    field_started = false;
  };
  auto end_row = [&] {
    end_field();
    bool blank = fields.size() == 1 && fields[0].empty();
    if (!blank) {
      rows.push_back(std::move(fields));
      lines.push_back(row_line);
    }
    fields.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    any = true;
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && !field_started) {
      quoted = true;
      field_started = true;
    } else if (c == ',') {
      end_field();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;
    } else if (c == '\n') {
      end_row();
      ++line;
      row_line = line;
    } else {
      field += c;
      field_started = true;
    }
  }
  if (quoted)
    table.errors.push_back("line " + std::to_string(row_line) + ": unterminated quoted field");
  if (any && (!field.empty() || !fields.empty())) end_row();
  if (rows.empty()) return table;
  table.header = std::move(rows[0]);
  for (size_t r = 1; r < rows.size(); ++r)
    table.rows.push_back(CsvRow{lines[r], std::move(rows[r])});
  return table;
}

}  // namespace md::service
