// The audit as staff read it: who looked at a customer's data, and the audit trail's search.
// Looking is recorded too, by the same path as any other action.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"

namespace md::service {

// An operator opened an account's view (its readings, photos, contacts).
void record_account_view(store::Store& store, const std::string& actor,
                         const std::string& account_number, domain::Instant now,
                         std::string_view request_id);

struct AuditSearch {
  std::string who;     // a login, under any role it had
  std::string action;  // e.g. "user_role"
  std::string about;   // an account number (all digits) or a staff login
  std::int64_t before_id = 0;
};
// The search's page, recorded as `view_audit` with what was asked.
store::AuditPage search_audit(store::Store& store, const AuditSearch& search,
                              const std::string& actor, domain::Instant now,
                              std::string_view request_id);

// The audit's hash chains walked (`meterdesk audit verify`): the first record that was changed,
// deleted or inserted behind the service's back, by its id, or that all is as written.
struct AuditVerdict {
  bool ok = true;
  std::string problem;         // the first, in words
  std::int64_t audit_id = 0;   // the record it is about, when there is one
  std::int64_t records = 0;    // chained records checked
  std::int64_t unchained = 0;  // from before the chains began (schema 13)
  std::vector<store::AuditHead> heads;
};
// `published`: heads given out earlier (the anchors, the daily log line), each of which must
// still be in its chain: a rewrite of a chain from some record on, head included, shows there.
AuditVerdict verify_audit(store::Store& store, const std::vector<store::AuditHead>& published = {});

// Ties the chains to each other: one record, in one of this node's chains, naming every chain's
// head
// ("<chain> <seq> <hash>" a line). A node that rewrote or cut its own chain is then contradicted
// by the others' records. Returns the heads named.
std::vector<store::AuditHead> anchor_audit(store::Store& store, domain::Instant now);
// The heads as one line each, as anchors and the log write them.
std::string format_heads(const std::vector<store::AuditHead>& heads);
std::vector<store::AuditHead> parse_heads(std::string_view text);

}  // namespace md::service
