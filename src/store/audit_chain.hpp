// The audit's hash chain: what makes a record changed, deleted or inserted behind the service's
// back show. Each record carries SHA-256(previous record's hash, its chain, its sequence number,
// every field); the first of a chain follows kAuditGenesis. Rewriting one record means rewriting
// every later one, and the heads published outside (the daily anchor, `meterdesk audit head`)
// show that too.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "store/records.hpp"

namespace md::store {

inline constexpr std::string_view kAuditGenesis =
    "0000000000000000000000000000000000000000000000000000000000000000";

// The hash (lower-case hex) of `e` as record `seq` of `chain`, after a record hashed `previous`.
std::string audit_link(std::string_view previous, std::string_view chain, std::int64_t seq,
                       const AuditEntry& e);

// The chain a writer appends to: "main" where one writer writes them all (SQLite); where several
// write (PostgreSQL), "node:" and the node's name (METERDESK_NODE, else the host name), to which
// the store adds its writer connection's number, so that no writer waits for another to append.
std::string audit_chain_name(bool one_writer);

}  // namespace md::store
