#include <gtest/gtest.h>

#include <set>

#include "domain/eic.hpp"
#include "domain/receipt_id.hpp"

using namespace md::domain;

TEST(Eic, ValidVectors) {
  for (const char* code : {"10YUA-WEPS-----0", "10Y1001C--000182", "10Y1001C--00003F",
                           "22XWATTPLUS----G", "21Z000000000163R", "62Z000000000001B"})
    EXPECT_TRUE(valid_eic(code)) << code;
}

TEST(Eic, InvalidVectors) {
  EXPECT_FALSE(valid_eic("62Z1234567890123"));
  EXPECT_EQ(eic_check_char("62Z123456789012"), 'V');
  EXPECT_FALSE(valid_eic("23X--130302DLGW-"));
  EXPECT_FALSE(eic_check_char("23X--130302DLGW"));  // the check would be '-'
  EXPECT_FALSE(valid_eic("62z000000000001B"));      // lower case is not in the alphabet
  EXPECT_FALSE(valid_eic("62Z000000000001"));
  EXPECT_FALSE(valid_eic(""));
}

TEST(ReceiptId, FormatAndAlphabet) {
  std::string id = format_receipt_id({0, 1, 2, 3, 4, 5, 6, 7});
  EXPECT_EQ(id, "R-2345-6789");
  id = format_receipt_id({30, 29, 28, 27, 26, 25, 24, 23});
  EXPECT_EQ(id.size(), 11u);
  for (char c : std::string("0O1IL"))
    EXPECT_EQ(kReceiptAlphabet.find(c), std::string_view::npos) << c;
  EXPECT_EQ(kReceiptAlphabet.size(), 31u);
}

TEST(ReceiptId, NormalizesWhatCustomersType) {
  EXPECT_EQ(normalize_receipt_id("r 7k3q 9xpm"), "R-7K3Q-9XPM");
  EXPECT_EQ(normalize_receipt_id("R-7K3Q-9XPM"), "R-7K3Q-9XPM");
  EXPECT_FALSE(normalize_receipt_id("R-0K3Q-9XPM"));  // 0 is not in the alphabet
  EXPECT_FALSE(normalize_receipt_id("R-7K3Q-9XP"));
  EXPECT_FALSE(normalize_receipt_id("X-7K3Q-9XPM"));
}
