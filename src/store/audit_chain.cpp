#include "store/audit_chain.hpp"

#include <sodium.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <stdexcept>

namespace md::store {
namespace {

// Length-prefixed, so that no two different records are the same bytes ("ab"+"c" vs "a"+"bc").
void field(crypto_hash_sha256_state& h, std::string_view v) {
  const std::string length = std::to_string(v.size()) + ":";
  crypto_hash_sha256_update(&h, reinterpret_cast<const unsigned char*>(length.data()),
                            length.size());
  crypto_hash_sha256_update(&h, reinterpret_cast<const unsigned char*>(v.data()), v.size());
}

}  // namespace

std::string audit_link(std::string_view previous, std::string_view chain, std::int64_t seq,
                       const AuditEntry& e) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot start");
  crypto_hash_sha256_state h;
  crypto_hash_sha256_init(&h);
  field(h, "meterdesk-audit-1");
  field(h, previous);
  field(h, chain);
  field(h, std::to_string(seq));
  field(h, std::to_string(e.at.time_since_epoch().count()));  // seconds, as stored
  for (std::string_view v :
       {std::string_view(e.actor), std::string_view(e.channel), std::string_view(e.action),
        std::string_view(e.identity), std::string_view(e.raw_input), std::string_view(e.result),
        std::string_view(e.reason)})
    field(h, v);
  field(h, e.submission_id ? std::to_string(*e.submission_id) : std::string("-"));
  field(h, e.request_id);
  std::array<unsigned char, crypto_hash_sha256_BYTES> out{};
  crypto_hash_sha256_final(&h, out.data());
  std::string hex(out.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), out.data(), out.size());
  hex.pop_back();
  return hex;
}

std::string audit_chain_name(bool one_writer) {
  if (one_writer) return "main";
  static const std::string node = [] {
    if (const char* name = std::getenv("METERDESK_NODE"); name && *name)
      return std::string("node:") + name;
    std::array<char, 256> host{};
    if (::gethostname(host.data(), host.size() - 1) != 0) return std::string("node:unknown");
    return std::string("node:") + host.data();
  }();
  return node;
}

}  // namespace md::store
