// Inside the web channel: the per-request page state, forms, cookies, formatting and rendering
// shared by the public form, the personal account and the console.
#pragma once

#include <kainjow/mustache.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "channels/http/web.hpp"
#include "channels/http/web/text.hpp"
#include "i18n/explain.hpp"
#include "i18n/messages.hpp"
#include "service/digest.hpp"
#include "service/people.hpp"
#include "service/rate_limit.hpp"

namespace md::http::web {

using Data = kainjow::mustache::data;
using List = kainjow::mustache::data;  // construct with Data::type::list

Data texts(i18n::Lang lang);
// The compiled-in files of assets/ (templates, CSS, JS); empty when there is no such file.
std::string_view asset(std::string_view name);
// Renders assets/<name>.html with `data`; throws std::runtime_error on a template error.
std::string render(std::string_view name, const Data& data);

struct Form {
  struct File {
    std::string name, filename, content_type, bytes;
  };
  std::map<std::string, std::string, std::less<>> fields;
  std::vector<File> files;
  [[nodiscard]] std::string get(std::string_view key) const;
  [[nodiscard]] const File* file(std::string_view name) const;
};
// application/x-www-form-urlencoded or multipart/form-data; nullopt (and why) when malformed.
std::optional<Form> parse_form(const Request& req, std::string& error);
Form parse_urlencoded(std::string_view body);
std::optional<Form> parse_multipart(std::string_view body, std::string_view boundary,
                                    std::string& error);

std::string cookie(const Request& req, std::string_view name);
bool same_token(std::string_view a, std::string_view b);  // constant time

// "12 345" (uk, with a no-break space) or "12,345" (en).
std::string format_number(std::int64_t n, i18n::Lang lang);
// One decimal from tenths: "51,8" (uk) or "51.8" (en).
std::string format_tenths(std::int64_t tenths, i18n::Lang lang);
// Hryvnias from kopecks: "2 004,48" (uk) or "2,004.48" (en).
std::string format_money(std::int64_t kop, i18n::Lang lang);
std::string format_day(domain::Day d);       // 30.11.2026
std::string format_time(domain::Instant t);  // 30.11.2026 14:05 (Kyiv)
std::string format_bytes(std::size_t n, i18n::Lang lang);

struct Bar {
  std::string label;
  std::int64_t value = 0;           // the whole bar
  std::string kind;                 // actual, derived, estimated: the colour of a plain bar
  std::vector<std::int64_t> parts;  // stacked: one per legend entry
  std::string sublabel;             // a second line under the label (the year of a January)
};
// Narrow draws in fewer units, so its words stay readable on a phone (the customer's chart); wide
// suits the console's many days.
enum class ChartWidth { wide, narrow };
std::string bar_chart(const std::vector<Bar>& bars, std::string_view title,
                      const std::vector<std::string>& legend = {},
                      ChartWidth size = ChartWidth::wide);

// The values of a reading, a label and a number per zone.
Data reading_values(i18n::Lang lang, const store::ReadingRow& r);
// A reading's stored flags in words, as one line ("високе споживання, з фото").
std::string flag_labels(i18n::Lang lang, const std::vector<std::string>& flags);
// Table rows shared by the cabinet and the console.
Data history_rows(i18n::Lang lang, const std::vector<store::ReadingRow>& readings, bool staff);
Data volume_rows(i18n::Lang lang, const std::vector<store::VolumeRow>& volumes);

// The session cookie of either signed-in area.
constexpr const char* session_cookie(bool staff) {
  return staff ? "md_staff" : "md_session";
}

// What a request carries through the page code.
struct Page {
  Request req;
  i18n::Lang lang = i18n::Lang::uk;
  std::vector<std::string> set_cookies;
  std::optional<service::SignedIn> who;
  std::string csrf;  // what this page's forms carry
  std::string area;  // "public", "account", "operator"
};

// Shared: an answer may be given later, from the writer thread, after a submission commits.
using PagePtr = std::shared_ptr<Page>;

struct Site;

// A request to a page of a signed-in area (the personal account, the console), past its session
// and CSRF checks: what every page of either gets.
struct AreaRequest {
  Site& site;
  const PagePtr& page;
  Page& p;
  const std::optional<Form>& form;  // a POST's fields (the CSRF token checked)
  domain::Instant now;
  bool post = false;
  const Respond& respond;

  [[nodiscard]] const std::string& path() const { return p.req.path; }
  // A form field, cut to `max` bytes.
  [[nodiscard]] std::string field(std::string_view name, std::size_t max) const {
    return form->get(name).substr(0, max);
  }
};

struct Site {
  WebContext ctx;
  std::string secret;  // the installation's "web" secret: form tokens, receipt links
  // The limits the context brings none of are the site's own.
  std::unique_ptr<service::AttemptLimit> own_per_account, own_per_address, own_per_network;
  service::GuessLimits guesses;
  std::unique_ptr<service::AttemptLimit> signin_per_address;
  std::unique_ptr<service::AttemptLimit> wrong_sign_ins;  // per login and address
  std::unique_ptr<service::AttemptLimit> receipt_misses;  // receipt links not found, per address
  std::unique_ptr<service::AttemptLimit> reset_mails;     // e-mailed codes per person

  explicit Site(WebContext c);
  void handle(Request&& req, const Respond& respond);

  // Layout around a rendered content template.
  Response html(Page& p, const std::string& title, std::string_view tmpl, Data data,
                int status = 200, const std::string& route = "web");
  Response message(Page& p, int status, const std::string& title, const std::string& text,
                   const std::string& kind = "notice");
  Response redirect(Page& p, const std::string& location);
  Response forbidden_csrf(Page& p);
  bool csrf_ok(const Page& p, const Form& f) const;
  [[nodiscard]] std::string form_token(std::string_view csrf_cookie) const;
  void set_cookie(Page& p, std::string_view name, std::string_view value, std::string_view path,
                  std::optional<std::chrono::seconds> max_age) const;
  std::string window_text(i18n::Lang lang) const;
  Data base_data(Page& p);

  // Public form and receipt (public_form.cpp).
  void submit_page(const PagePtr& p, const Respond& respond);
  Response zones_json(Page& p);
  // `rest`: what follows /receipt/ in the path, the id and its key.
  Response receipt_page(Page& p, std::string_view rest);
  [[nodiscard]] std::string receipt_link(std::string_view id) const;
  // The reading form for one meter (public form and the cabinet's submit page).
  struct ReadingForm {
    std::string account, serial, key, error;
    int tries = 0;
    bool step2 = false, cabinet = false, other_channels = false;
    std::vector<std::pair<std::string, std::string>> values;  // zone → as typed
    std::map<std::string, std::string> zone_errors;
    // The whole reading shown once more before it is stored (channels.md, step 5): `review` when
    // it may be sent as it is, `confirm` when it is `high` and needs the customer's tick too.
    const service::SubmitOutcome* review = nullptr;
    const service::SubmitOutcome* confirm = nullptr;
    bool photo_again = false;  // a photo came with the values: it is attached when sending
  };
  Response reading_form(Page& p, const ReadingForm& f, int status);
  // Decodes, checks and queues a reading form post; answers through `respond`.
  void post_reading(const PagePtr& p, const Form& form, ReadingForm f, std::string channel,
                    const Respond& respond);
  // The page for a reading's outcome: the review, the receipt (a redirect), the `high` notice,
  // or the reason beside the field. `send`: it was to be stored, not only looked at.
  Response reading_answer(Page& p, ReadingForm f, const service::SubmitOutcome& o, bool send);

  // The start of every cabinet and console request: decodes a POST's form, resumes the area's
  // session (customers in the cabinet, staff in the console) and checks the CSRF token.
  std::optional<Response> open_area(Page& p, bool staff, std::optional<Form>& form);
  // The sign-in page of either area.
  Response sign_in(Page& p, const std::optional<Form>& form, bool staff);
  // The password change page of either area (the signed-in person's own password).
  Response password_page(Page& p, const std::optional<Form>& form, bool staff);
  // The forgotten-password page of either area: login, the reset code staff gave, a new password;
  // `by_mail`: the cabinet's request for a code at the e-mail on file (when mail is on).
  Response reset_page(Page& p, const std::optional<Form>& form, bool staff, bool by_mail = false);

  // Personal account (cabinet/cabinet.cpp).
  void account_page(const PagePtr& p, const Respond& respond);
  // Operators' console (console/console.cpp).
  void operator_page(const PagePtr& p, const Respond& respond);
};

}  // namespace md::http::web
