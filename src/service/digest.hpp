// A short fingerprint of text: BLAKE2b-256 (libsodium), lower-case hex. For stored token hashes
// and idempotency keys derived from content.
#pragma once
#include <string>
#include <string_view>

namespace md::service {
std::string digest_hex(std::string_view text);
}
