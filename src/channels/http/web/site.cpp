// The web channel's frame: dispatch, language, cookies, CSRF, the layout and static files.
#include <cstdio>
#include <mutex>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "channels/http/web/web_internal.hpp"
#include "i18n/explain.hpp"

namespace md::http {

namespace web {
namespace {

using i18n::Lang;

Lang lang_of(Page& p, const Site& site) {
  std::string q = p.req.query_param("lang");
  if (q == "uk" || q == "en") {
    Lang l = i18n::parse_lang(q);
    site.set_cookie(p, "md_lang", q, "/", std::chrono::hours(24 * 365));
    return l;
  }
  std::string c = cookie(p.req, "md_lang");
  if (c == "uk" || c == "en") return i18n::parse_lang(c);
  return i18n::lang_from_accept_language(p.req.header("accept-language"));
}

// The current target with lang=<other>, for the language switch.
std::string lang_href(const Request& req, Lang other) {
  std::string query;
  std::string_view rest = req.query;
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty() || pair.starts_with("lang=")) continue;
    query += std::string(pair) + "&";
  }
  return req.path + "?" + query + "lang=" + std::string(i18n::lang_code(other));
}

}  // namespace

std::string format_number(std::int64_t n, Lang lang) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  const std::string sep = lang == Lang::uk ? "\u00a0" : ",";
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += sep;
    out += digits[i];
  }
  return n < 0 ? "−" + out : out;
}

std::string format_tenths(std::int64_t tenths, Lang lang) {
  const std::int64_t a = tenths < 0 ? -tenths : tenths;
  std::string out =
      format_number(a / 10, lang) + (lang == Lang::uk ? "," : ".") + std::to_string(a % 10);
  return tenths < 0 ? "−" + out : out;
}

std::string format_money(std::int64_t kop, Lang lang) {
  const std::int64_t a = kop < 0 ? -kop : kop;
  char cents[4];
  std::snprintf(cents, sizeof cents, "%02d", static_cast<int>(a % 100));
  std::string out = format_number(a / 100, lang) + (lang == Lang::uk ? "," : ".") + cents;
  return kop < 0 ? "−" + out : out;
}

std::string format_day(domain::Day d) {
  return domain::format_date_dmy(d);
}

std::string format_time(domain::Instant t) {
  // Kyiv civil time, minutes.
  std::string iso = domain::format_kyiv(t);  // 2026-11-30T14:05:00+02:00
  if (iso.size() < 16) return iso;
  return iso.substr(8, 2) + "." + iso.substr(5, 2) + "." + iso.substr(0, 4) + " " +
         iso.substr(11, 5);
}

std::string format_bytes(std::size_t n, Lang lang) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f %s", static_cast<double>(n) / (1 << 20),
                text(lang, "megabytes").c_str());
  return buf;
}

std::string render(std::string_view name, const Data& data) {
  // Parsed once per thread: kainjow's templates keep state while rendering.
  thread_local std::unordered_map<std::string, kainjow::mustache::mustache> cache;
  auto it = cache.find(std::string(name));
  if (it == cache.end()) {
    std::string_view source = asset(std::string(name) + ".html");
    if (source.empty()) throw std::runtime_error("no template " + std::string(name));
    it = cache.emplace(std::string(name), kainjow::mustache::mustache(std::string(source))).first;
    if (!it->second.is_valid())
      throw std::runtime_error("template " + std::string(name) + ": " + it->second.error_message());
  }
  std::string out = it->second.render(data);
  if (!it->second.is_valid())
    throw std::runtime_error("template " + std::string(name) + ": " + it->second.error_message());
  return out;
}

Site::Site(WebContext c)
    : ctx(std::move(c)),
      secret(service::installation_secret(ctx.store, "web", ctx.clock.now())),
      own_per_account(
          ctx.guesses.per_account
              ? nullptr
              : service::account_attempts(ctx.store, ctx.options.account_attempts_per_hour)),
      own_per_address(
          ctx.guesses.per_address
              ? nullptr
              : service::address_attempts(ctx.store, ctx.options.address_attempts_per_hour)),
      own_per_network(
          ctx.guesses.per_network
              ? nullptr
              : service::network_attempts(ctx.store, ctx.options.address_attempts_per_hour)),
      guesses{ctx.guesses.per_account ? ctx.guesses.per_account : own_per_account.get(),
              ctx.guesses.per_address ? ctx.guesses.per_address : own_per_address.get(),
              ctx.guesses.per_network ? ctx.guesses.per_network : own_per_network.get()},
      signin_per_address(service::attempt_limit(ctx.store, "signin-address",
                                                ctx.options.address_attempts_per_hour,
                                                std::chrono::hours(1))),
      wrong_sign_ins(service::wrong_sign_ins(ctx.store)),
      // Receipt links not found: a quarter of the address's budget of wrong pairs (30 an hour).
      receipt_misses(service::attempt_limit(ctx.store, "receipt-address",
                                            std::max(1, ctx.options.address_attempts_per_hour / 4),
                                            std::chrono::hours(1))),
      reset_mails(service::attempt_limit(ctx.store, "reset-mail", 3, std::chrono::hours(1))) {}

void Site::set_cookie(Page& p, std::string_view name, std::string_view value, std::string_view path,
                      std::optional<std::chrono::seconds> max_age) const {
  std::string c = std::string(name) + "=" + std::string(value) + "; Path=" + std::string(path) +
                  "; HttpOnly; SameSite=Lax";
  if (max_age) c += "; Max-Age=" + std::to_string(max_age->count());
  if (ctx.options.secure_cookies || p.req.header("x-forwarded-proto") == "https") c += "; Secure";
  p.set_cookies.push_back(std::move(c));
}

bool Site::csrf_ok(const Page& p, const Form& f) const {
  if (p.who) return same_token(f.get("csrf"), p.who->session.csrf);
  const std::string c = cookie(p.req, "md_csrf");
  return c.size() == 64 && same_token(f.get("csrf"), form_token(c));
}

// Outside a session a form's token is the cookie's MAC under the installation's secret: a
// cookie planted from elsewhere (a sibling subdomain, a network on plain HTTP) comes with no
// token that matches it, as a plain double submit would.
std::string Site::form_token(std::string_view csrf_cookie) const {
  return service::keyed_digest_hex(secret, "csrf:" + std::string(csrf_cookie));
}

std::string Site::window_text(Lang lang) const {
  return i18n::window_text(lang, domain::kyiv_date(ctx.clock.now()), ctx.config.rules.window);
}

Data Site::base_data(Page& p) {
  Data d;
  d.set("t", texts(p.lang));
  d.set("lang", std::string(i18n::lang_code(p.lang)));
  d.set("csrf", p.csrf);
  return d;
}

Response Site::html(Page& p, const std::string& title, std::string_view tmpl, Data data, int status,
                    const std::string& route) {
  const Lang other = p.lang == Lang::uk ? Lang::en : Lang::uk;
  if (!data.get("t")) data.set("t", texts(p.lang));
  data.set("csrf", p.csrf);
  data.set("lang", std::string(i18n::lang_code(p.lang)));
  std::string content = render(tmpl, data);

  Data layout;
  layout.set("t", texts(p.lang));
  layout.set("lang", std::string(i18n::lang_code(p.lang)));
  layout.set("title", title);
  layout.set("content", content);
  layout.set("window_text", window_text(p.lang));
  layout.set("other_lang", std::string(i18n::lang_code(other)));
  layout.set("other_lang_name", other == Lang::en ? "English" : "Українська");
  layout.set("lang_href", lang_href(p.req, other));
  layout.set("csrf", p.csrf);
  Data nav(Data::type::list);
  auto link = [&](const std::string& href, TextKey key) {
    Data item;
    item.set("href", href);
    item.set("label", text(p.lang, key));
    item.set("current", p.req.path == href);
    nav.push_back(item);
  };
  if (p.area == "operator") {
    layout.set("home", "/operator");
    layout.set("wide", true);
    if (p.who) {
      link("/operator", "console");
      link("/operator/review", "review");
      link("/operator/inspections", "inspections");
      link("/operator/periods", "periods");
      link("/operator/prices", "prices");
      link("/operator/outages", "outages");
      if (p.who->user.role != "operator") link("/operator/audit", "audit");
      if (p.who->user.role == "admin") link("/operator/users", "users");
      link("/operator/password", "change_password");
      layout.set("signed_in", true);
      layout.set("sign_out", "/operator/sign-out");
    }
  } else {
    layout.set("home", "/");
    link("/submit", "submit_reading");
    if (p.area == "account" && p.who) {
      link("/account", "overview");
      link("/account/history", "history");
      link("/account/volumes", "volumes");
      link("/account/bills", "bills");
      link("/account/password", "change_password");
      layout.set("signed_in", true);
      layout.set("sign_out", "/account/sign-out");
    } else {
      link("/account", "cabinet");
    }
  }
  layout.set("nav", nav);
  if (tmpl == "submit" || tmpl == "receipt" || tmpl == "overview")
    layout.set("script", "/static/submit.js");

  Response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = render("layout", layout);
  r.route = route;
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

Response Site::message(Page& p, int status, const std::string& title, const std::string& msg,
                       const std::string& kind) {
  Data d;
  d.set("message", msg);
  d.set("kind", kind);
  d.set("role", kind == "alert" ? "alert" : "status");
  return html(p, title, "message", d, status);
}

Response Site::redirect(Page& p, const std::string& location) {
  (void)p;
  Response r;
  r.status = 303;
  r.content_type = "text/plain; charset=utf-8";
  r.headers.emplace_back("Location", location);
  r.route = "web";
  return r;
}

Response Site::forbidden_csrf(Page& p) {
  return message(p, 403, text(p.lang, "form_expired"), text(p.lang, "form_expired_text"), "alert");
}

void Site::handle(Request&& request, const Respond& respond) {
  auto page = std::make_shared<Page>(Page{std::move(request)});
  Page& p = *page;
  const Request& req = p.req;
  p.area = req.path.starts_with("/operator")  ? "operator"
           : req.path.starts_with("/account") ? "account"
                                              : "public";
  p.lang = lang_of(p, *this);
  // Every response carries the cookies the page code set; `page` lives until it is sent.
  Respond reply = [page, respond](Response r) {
    for (auto& c : page->set_cookies) r.headers.emplace_back("Set-Cookie", c);
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("X-Frame-Options", "DENY");
    r.headers.emplace_back("Referrer-Policy", "same-origin");
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                           "script-src 'self'; frame-ancestors 'none'; form-action 'self'");
    respond(std::move(r));
  };
  if (req.path.starts_with("/static/")) {
    std::string_view name = std::string_view(req.path).substr(8);
    std::string_view body = name.find('/') == std::string_view::npos ? asset(name) : "";
    if (body.empty() || name.ends_with(".html"))
      return reply(message(p, 404, "404", text(p.lang, "site")));
    Response r;
    r.content_type =
        name.ends_with(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8";
    r.body = std::string(body);
    r.route = "/static";
    r.headers.emplace_back("Cache-Control", "public, max-age=3600");
    return reply(std::move(r));
  }
  // Forms outside a session carry a token made from this cookie (form_token).
  if (std::string c = cookie(req, "md_csrf"); c.size() == 64) {
    p.csrf = form_token(c);
  } else {
    const std::string fresh = service::random_token();
    p.csrf = form_token(fresh);
    set_cookie(p, "md_csrf", fresh, "/", std::nullopt);
  }
  try {
    if (p.area == "operator") return operator_page(page, reply);
    if (p.area == "account") return account_page(page, reply);
    if (req.path == "/") {
      Data d;
      d.set("message", text(p.lang, "messengers"));
      d.set("kind", "notice");
      d.set("role", "status");
      d.set("link", "/submit");
      d.set("link_label", text(p.lang, "submit_reading"));
      return reply(html(p, text(p.lang, "site"), "message", d));
    }
    if (req.path == "/submit" || req.path == "/submit/") return submit_page(page, reply);
    if (req.path == "/submit/zones") return reply(zones_json(p));
    if (req.path.starts_with("/receipt/"))
      return reply(receipt_page(p, std::string_view(req.path).substr(9)));
    return reply(message(p, 404, "404", text(p.lang, "no_such_page"), "alert"));
  } catch (const store::StoreError& e) {
    // The database is away (restarting, failing over, full): nothing was done; say when to retry.
    spdlog::error("web page {}: database unavailable: {}", req.request_id, e.what());
    Response r = message(p, 503, "503", i18n::message(p.lang, "unavailable"), "alert");
    r.headers.emplace_back("Retry-After", "5");
    return reply(std::move(r));
  } catch (const std::exception& e) {
    spdlog::error("web page {} failed: {}", req.request_id, e.what());
    return reply(message(p, 500, "500", text(p.lang, "our_error"), "alert"));
  }
}

}  // namespace web

Web::Web(WebContext ctx) : site_(std::make_unique<web::Site>(std::move(ctx))) {}
Web::~Web() = default;

bool Web::serves(const Request& req) {
  const std::string& p = req.path;
  if (p == "/") return req.header("accept").find("text/html") != std::string_view::npos;
  return p == "/submit" || p.starts_with("/submit/") || p.starts_with("/receipt/") ||
         p == "/account" || p.starts_with("/account/") || p == "/operator" ||
         p.starts_with("/operator/") || p.starts_with("/static/");
}

bool Web::takes_uploads(std::string_view target) {
  return target == "/submit" || target.starts_with("/submit?") ||
         target.starts_with("/account/submit");
}

void Web::handle(Request&& req, const Respond& respond) {
  site_->handle(std::move(req), respond);
}

}  // namespace md::http
