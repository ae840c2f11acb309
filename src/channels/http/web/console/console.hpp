// Inside the operators' console: what every page gets once the request is past sign-in, the
// pages the route table (console.cpp) sends requests to, one file each, and what they share.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "channels/http/web/web_internal.hpp"

namespace md::http::web::console {

// A console request from a signed-in member of staff.
struct Request : AreaRequest {
  const store::UserRow& user;
  std::string actor;  // who, as the audit names them

  // What the signed-in role may do: operator 1, supervisor 2, admin 3.
  [[nodiscard]] bool may(int rank) const;
  void refuse() const;  // 403: the role may not do this
  void not_found(const std::string& words) const;
};

void home(Request& r);         // search.cpp: search, or the window's statistics
void account(Request& r);      // account.cpp: /operator/accounts/{number}[/readings|/exchange|...]
void review(Request& r);       // review.cpp: the queue and its decisions
void photo(Request& r);        // review.cpp: a reading's photo
void inspections(Request& r);  // periods.cpp
void periods(Request& r);      // periods.cpp: closed months, the close, estimation evidence
void prices(Request& r);       // prices.cpp
void outages(Request& r);      // outages.cpp: K_outage per area
void audit(Request& r);        // users.cpp: who did what
void users(Request& r);        // users.cpp: staff, roles, resets

// A change only supervisors and admins may make, posted to the page at `page`: refused (403)
// below them; when `change` says nothing (done) the page is shown afresh (a redirect), else what
// it says is the page's error (422). True when the request was answered.
bool supervisor_change(Request& r, Data& d, int& status, const std::string& page,
                       const std::function<std::string()>& change);

int rank(const std::string& role);
// Register values as typed by staff: "12600 6250", "12600/6250" or "12600, 6250".
std::vector<std::string> values_of(std::string_view text);
// What an action has to say on the page it renders again: one template field.
Data said(const char* field, const std::string& words);
Data audit_rows(i18n::Lang lang, const std::vector<store::AuditRow>& entries);
// The service's refusal of a reset code in words.
TextKey refusal(service::ResetCode::Status status);

}  // namespace md::http::web::console
