// Inside the personal account: what every page gets, the pages the route table (cabinet.cpp)
// sends requests to, one file per family.
#pragma once

#include <string>

#include "channels/http/web/web_internal.hpp"

namespace md::http::web::cabinet {

struct Request : AreaRequest {
  // Past the sign-in only: the customer and their account.
  [[nodiscard]] const store::UserRow& user() const { return p.who->user; }
  [[nodiscard]] std::int64_t account_id() const { return *p.who->user.account_id; }
};

void sign_up(Request& rq);  // sign_up.cpp
// overview.cpp: the meters with their last readings and this window, the last month, contacts.
void overview(Request& rq, const std::string& contact_error = {});
void history(Request& rq);  // months.cpp: every reading
void volumes(Request& rq);  // months.cpp: closed months, a chart and a table
void bills(Request& rq);    // months.cpp: a bill a closed month, estimates in words
void data(Request& rq);     // months.cpp: everything kept about the account, JSON or CSV

}  // namespace md::http::web::cabinet
