// libFuzzer: the CSV reader behind import-accounts and import-readings, and the account rows'
// value splitter.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "service/accounts.hpp"
#include "service/csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto table = md::service::parse_csv(text);
  (void)table;
  auto values = md::service::split_values(text);
  (void)values;
  return 0;
}
