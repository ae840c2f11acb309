#include "service/audit.hpp"

#include <algorithm>

namespace md::service {

namespace {

void record(store::Store& store, const std::string& actor, std::string action, std::string identity,
            std::string asked, domain::Instant now, std::string_view request_id) {
  store::AuditEntry e;
  e.at = now;
  e.actor = actor;
  e.channel = "operator_console";
  e.action = std::move(action);
  e.identity = std::move(identity);
  e.raw_input = std::move(asked);
  e.result = "ok";
  e.request_id = std::string(request_id);
  auto tx = store.begin_write();
  tx->append_audit(e);
  tx->commit();
}

}  // namespace

void record_account_view(store::Store& store, const std::string& actor,
                         const std::string& account_number, domain::Instant now,
                         std::string_view request_id) {
  record(store, actor, "view_account", "account=" + account_number, "", now, request_id);
}

store::AuditPage search_audit(store::Store& store, const AuditSearch& search,
                              const std::string& actor, domain::Instant now,
                              std::string_view request_id) {
  store::AuditQuery q;
  q.who = search.who.substr(0, 64);
  q.action = search.action.substr(0, 64);
  const std::string about = search.about.substr(0, 64);
  if (!about.empty())
    q.identity_prefix =
        (about.find_first_not_of("0123456789") == std::string::npos ? "account=" : "staff=") +
        about;
  q.before_id = std::max<std::int64_t>(0, search.before_id);
  auto page = store.search_audit(q);
  record(store, actor, "view_audit", "audit",
         "who=" + q.who + " action=" + q.action + " about=" + about, now, request_id);
  return page;
}

}  // namespace md::service
