#include "service/csv.hpp"

#include <gtest/gtest.h>

namespace md::service {
namespace {

using Fields = std::vector<std::string>;

TEST(CsvReader, ReadsRowByRowWithTheLineEachStartsOn) {
  // A BOM, CRLF, a quoted field with a comma, a doubled quote and a line break, blank lines.
  CsvReader reader(
      "\xEF\xBB\xBF"
      "a,b\r\n\r\n\"x, y\",\"say \"\"hi\"\"\nthere\"\n\n1,\n");
  CsvRow row;
  ASSERT_TRUE(reader.next(row));
  EXPECT_EQ(row.line, 1);
  EXPECT_EQ(row.fields, (Fields{"a", "b"}));
  ASSERT_TRUE(reader.next(row));
  EXPECT_EQ(row.line, 3);
  EXPECT_EQ(row.fields, (Fields{"x, y", "say \"hi\"\nthere"}));
  ASSERT_TRUE(reader.next(row));
  EXPECT_EQ(row.line, 6);
  EXPECT_EQ(row.fields, (Fields{"1", ""}));
  EXPECT_FALSE(reader.next(row));
  EXPECT_EQ(reader.offset(), reader.size());
  EXPECT_TRUE(reader.errors().empty());
}

TEST(CsvReader, AnUnterminatedQuoteIsAnErrorOfTheLineItOpensOn) {
  auto table = parse_csv("h\nok\n\"open\nstill\n");
  ASSERT_EQ(table.errors.size(), 1u);
  EXPECT_EQ(table.errors[0], "line 3: unterminated quoted field");
  EXPECT_EQ(table.header, (Fields{"h"}));
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0].fields, (Fields{"ok"}));
}

TEST(CsvReader, TheLastRowNeedsNoLineEnd) {
  auto table = parse_csv("h,i\n1,2");
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(table.rows[0].fields, (Fields{"1", "2"}));
  EXPECT_EQ(table.rows[0].line, 2);
}

}  // namespace
}  // namespace md::service
