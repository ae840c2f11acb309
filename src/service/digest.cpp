#include "service/digest.hpp"

#include <sodium.h>

namespace md::service {

std::string digest_hex(std::string_view text) {
  static const bool ready = sodium_init() >= 0;  // picks the CPU's fastest implementation
  (void)ready;
  unsigned char hash[32];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(text.data()),
                     text.size(), nullptr, 0);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  return hex;
}

}  // namespace md::service
