#include "service/digest.hpp"

#include <sodium.h>

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "store/store.hpp"

namespace md::service {

namespace {

void ensure_ready() {
  static const bool ready = sodium_init() >= 0;  // picks the CPU's fastest implementation
  (void)ready;
}

std::string hex(const unsigned char* bytes, std::size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, n);
  out.pop_back();
  return out;
}

}  // namespace

std::string digest_hex(std::string_view text) {
  ensure_ready();
  unsigned char hash[32];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(text.data()),
                     text.size(), nullptr, 0);
  return hex(hash, sizeof hash);
}

std::string keyed_digest_hex(std::string_view key, std::string_view text, std::size_t bytes) {
  ensure_ready();
  if (key.size() < crypto_generichash_KEYBYTES_MIN ||
      key.size() > crypto_generichash_KEYBYTES_MAX || bytes < crypto_generichash_BYTES_MIN ||
      bytes > crypto_generichash_BYTES_MAX)
    throw std::invalid_argument("keyed_digest_hex: key or length out of range");
  unsigned char hash[crypto_generichash_BYTES_MAX];
  crypto_generichash(hash, bytes, reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                     reinterpret_cast<const unsigned char*>(key.data()), key.size());
  return hex(hash, bytes);
}

std::string installation_secret(store::Store& store, std::string_view name, domain::Instant now) {
  if (auto kept = store.secret(name)) return *kept;
  ensure_ready();
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  std::string made = hex(bytes, sizeof bytes);
  try {
    auto tx = store.begin_write();
    std::string kept = tx->keep_secret(name, made, now);
    tx->commit();
    return kept;
  } catch (const store::StoreError& e) {
    // A node on a read-only standby whose primary never made one: its links and form tokens
    // hold on this node until it restarts; the primary's first start makes the shared one.
    spdlog::warn("the installation secret '{}' could not be kept ({}): this node uses its own",
                 name, e.what());
    return made;
  }
}

}  // namespace md::service
