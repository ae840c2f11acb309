// Fingerprints of text: BLAKE2b (libsodium), lower-case hex. Plain, for stored token hashes and
// idempotency keys derived from content; keyed (a MAC), for values the server hands out and must
// recognise as its own (receipt links, form tokens) under an installation secret.
#pragma once
#include <string>
#include <string_view>

#include "domain/calendar.hpp"

namespace md::store {
class Store;
}

namespace md::service {

std::string digest_hex(std::string_view text);
// BLAKE2b keyed with `key` (16 to 64 bytes), `bytes` long (16 to 64), hex.
std::string keyed_digest_hex(std::string_view key, std::string_view text, std::size_t bytes = 32);

// The installation's secret called `name` (32 random bytes, hex): made by the first node that
// asks and kept in the store, so every node and every restart has the same one.
std::string installation_secret(store::Store& store, std::string_view name, domain::Instant now);

}  // namespace md::service
