#include "store/store.hpp"

#include "store/postgres/pg_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace md::store {

std::unique_ptr<Store> open_store(const std::string& url, int writers, bool bulk) {
  std::string_view u = url;
  if (u.starts_with("postgres://") || u.starts_with("postgresql://"))
    return std::make_unique<PgStore>(url, writers);
  if (u.starts_with("postgres:"))
    return std::make_unique<PgStore>(std::string(u.substr(9)), writers);
  if (u.starts_with("sqlite:")) u.remove_prefix(7);
  return std::make_unique<SqliteStore>(std::string(u), bulk);
}

std::string join_flags(const std::vector<std::string>& flags) {
  std::string out;
  for (const auto& f : flags) {
    if (!out.empty()) out += ',';
    out += f;
  }
  return out;
}

std::vector<std::string> split_flags(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto comma = text.find(',');
    out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace md::store
