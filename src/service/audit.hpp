// The audit as staff read it: who looked at a customer's data, and the audit trail's search.
// Looking is recorded too, by the same path as any other action.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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

}  // namespace md::service
