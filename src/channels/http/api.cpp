#include "channels/http/api.hpp"

#include <cstdio>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "channels/http/openapi.hpp"
#include "domain/whole_number.hpp"
#include "i18n/messages.hpp"
#include "service/account_views.hpp"
#include "service/accounts.hpp"
#include "service/exchange.hpp"
#include "service/handover.hpp"
#include "service/identify.hpp"
#include "service/prices.hpp"

namespace md::http {

using json = nlohmann::ordered_json;
using service::SubmitOutcome;

namespace {

Response json_response(int status, const json& body, std::string route) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  r.route = std::move(route);
  return r;
}

Response problem(int status, std::string_view code, const std::string& message, std::string route) {
  return json_response(status, json{{"status", "error"}, {"code", code}, {"message", message}},
                       std::move(route));
}

Response bad_request(i18n::Lang lang, const std::string& reason, std::string route) {
  return problem(400, "bad_request", i18n::message(lang, "bad_request", {{"reason", reason}}),
                 std::move(route));
}

constexpr const char* kReadingsRoute = "/api/v1/readings";
constexpr const char* kCheckRoute = "/api/v1/readings/check";
constexpr const char* kHistoryRoute = "/api/v1/accounts/{account}/readings";
constexpr const char* kVolumesRoute = "/api/v1/periods/{period}/volumes";
constexpr const char* kBillsRoute = "/api/v1/periods/{period}/bills";
constexpr const char* kExchangeRoute = "/api/v1/meter-exchanges";

std::map<std::string, std::string> params_of(const domain::Rejection& r) {
  auto p = r.params;
  if (r.zone) p["zone"] = std::string(domain::zone_name(*r.zone));
  return p;
}

// Maps the outcome of the one submission path onto HTTP; for a check, what storing it would give.
Response outcome_response(const SubmitOutcome& o, i18n::Lang lang, bool check) {
  const char* route = check ? kCheckRoute : kReadingsRoute;
  switch (o.status) {
    case SubmitOutcome::Status::accepted: {
      if (check) {
        // The receipt it would get, without the number and time only storing gives it.
        json would = json::parse(o.receipt_json, nullptr, false);
        if (would.is_object()) {
          would.erase("receipt");
          would.erase("received_at");
        }
        json body{{"status", "valid"}};
        body.update(would);
        return json_response(200, body, route);
      }
      Response r;
      r.status = 201;
      r.body = o.receipt_json;
      r.route = route;
      return r;
    }
    case SubmitOutcome::Status::replayed: {
      Response r;
      r.status = 201;
      r.body = o.receipt_json;
      r.headers.emplace_back("Idempotent-Replayed", "true");
      r.route = route;
      return r;
    }
    case SubmitOutcome::Status::not_found:
      return problem(404, "not_found", i18n::message(lang, "not_found"), route);
    case SubmitOutcome::Status::rejected: {
      const domain::Rejection& rej = *o.rejection;
      json body{{"status", "rejected"},
                {"code", rej.code},
                {"message", i18n::message(lang, rej.code, params_of(rej))}};
      if (rej.zone) body["zone"] = domain::zone_name(*rej.zone);
      if (rej.params.count("previous")) {
        body["previous"] = {{"value", std::stoll(rej.params.at("previous"))},
                            {"date", rej.params.at("previous_date")}};
      }
      if (rej.suggestion) {
        body["suggestion"] = *rej.suggestion;
        body["hint"] =
            i18n::message(lang, "suggestion", {{"value", std::to_string(*rej.suggestion)}});
      }
      return json_response(422, body, route);
    }
    case SubmitOutcome::Status::needs_confirmation: {
      json readings = json::object(), consumption = json::object(), expected = json::object(),
           suggestions = json::object();
      for (const auto& reg : o.validation.registers) {
        std::string zone(domain::zone_name(reg.zone));
        readings[zone] = reg.value;
        if (reg.advance) consumption[zone] = *reg.advance;
        if (reg.expected) expected[zone] = static_cast<std::int64_t>(std::llround(*reg.expected));
        if (reg.suggestion) suggestions[zone] = *reg.suggestion;
      }
      json body{{"status", "needs_confirmation"},
                {"reason", "high"},
                {"message", i18n::message(lang, "high")},
                {"readings", readings},
                {"consumption", consumption},
                {"expected", expected},
                {"confirm_with", {{"confirm", true}}}};
      if (!suggestions.empty()) body["suggestions"] = suggestions;
      return json_response(409, body, route);
    }
    case SubmitOutcome::Status::unavailable:
      break;
  }
  Response r = problem(503, "unavailable", i18n::message(lang, "unavailable"), route);
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

bool valid_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > 128) return false;
  for (char c : key)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

bool is_json_content_type(std::string_view ct) {
  std::string lower(ct.substr(0, ct.find(';')));
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!lower.empty() && lower.back() == ' ') lower.pop_back();
  return lower == "application/json";
}

}  // namespace

namespace {

Response wrong_method(const char* allow, const char* route) {
  Response r = problem(405, "method_not_allowed", std::string("use ") + allow, route);
  r.headers.emplace_back("Allow", allow);
  return r;
}

// The {parameter} of a path "prefix{parameter}suffix"; none when the path is not of that shape.
std::optional<std::string_view> parameter(std::string_view path, std::string_view prefix,
                                          std::string_view suffix) {
  if (!path.starts_with(prefix) || !path.ends_with(suffix) ||
      path.size() < prefix.size() + suffix.size())
    return std::nullopt;
  return path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
}

}  // namespace

void Api::handle(Request&& req, const Respond& respond) {
  const std::string& path = req.path;
  try {
    if (path == kReadingsRoute || path == kCheckRoute) {
      const bool check = path == kCheckRoute;
      if (req.method != "POST")
        return respond(wrong_method("POST", check ? kCheckRoute : kReadingsRoute));
      return submit_reading(std::move(req), respond, check);
    }
    if (auto account = parameter(path, "/api/v1/accounts/", "/readings")) {
      if (req.method != "GET") return respond(wrong_method("GET", kHistoryRoute));
      return respond(reading_history(req, *account));
    }
    for (bool bills : {false, true}) {
      auto month = parameter(path, "/api/v1/periods/", bills ? "/bills" : "/volumes");
      if (!month) continue;
      if (req.method != "GET")
        return respond(wrong_method("GET", bills ? kBillsRoute : kVolumesRoute));
      return respond(period_export(req, *month, bills));
    }
    if (path == "/api/v1/meter-exchanges") {
      if (req.method != "POST") return respond(wrong_method("POST", kExchangeRoute));
      return respond(meter_exchange(req));
    }
    if (auto r = operations(path)) return respond(std::move(*r));
    return respond(problem(404, "no_route", "no such endpoint", "other"));
  } catch (const store::StoreError& e) {
    // The database is away (restarting, failing over, full): nothing was done; say when to retry.
    spdlog::error("api {}: database unavailable: {}", req.request_id, e.what());
    Response r =
        problem(503, "unavailable",
                i18n::message(i18n::lang_from_accept_language(req.header("accept-language")),
                              "unavailable"),
                "other");
    r.headers.emplace_back("Retry-After", "5");
    return respond(std::move(r));
  } catch (const std::exception&) {
    return respond(problem(500, "internal", "internal error", "other"));
  }
}

// What the operators' tools ask: health, readiness, metrics, the OpenAPI document, the index.
std::optional<Response> Api::operations(const std::string& path) {
  if (path == "/healthz") {
    bool ok = service::store_healthy(ctx_.store);
    return json_response(
        ok ? 200 : 503,
        json{{"status", ok ? "ok" : "unavailable"}, {"ingest_queue", ctx_.ingestor.queue_depth()}},
        "/healthz");
  }
  if (path == "/readyz") {
    // Ready to take traffic: the store answers, takes writes, and the writer's queue has room.
    auto refused = ctx_.ingestor.write_failure();
    bool ready = !refused && service::store_healthy(ctx_.store) &&
                 ctx_.ingestor.queue_depth() < ctx_.ingest_max_queue / 2;
    json body{{"status", ready ? "ready" : "not_ready"},
              {"ingest_queue", ctx_.ingestor.queue_depth()}};
    if (refused) body["store_writes"] = "failing: " + *refused;
    return json_response(ready ? 200 : 503, body, "/readyz");
  }
  if (path == "/metrics") {
    // Metrics matter most while the database is away: the backlog keeps its last value then.
    try {
      ctx_.metrics.review_backlog(service::review_backlog(ctx_.store));
    } catch (const store::StoreError& e) {
      spdlog::warn("metrics: review backlog not read: {}", e.what());
    }
    Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = ctx_.metrics.render();
    r.route = "/metrics";
    return r;
  }
  if (path == "/api/openapi.json") {
    Response r;
    r.body = std::string(openapi_document());
    r.route = "/api/openapi.json";
    return r;
  }
  if (path == "/") {
    json endpoints = json::array();
    for (const auto& r : routes())
      endpoints.push_back(std::string(r.method) + " " + std::string(r.path));
    return json_response(
        200,
        json{{"service", "meterdesk"}, {"endpoints", endpoints}, {"openapi", "/api/openapi.json"}},
        "/");
  }
  return std::nullopt;
}

void Api::submit_reading(Request&& req, const Respond& respond, bool check) {
  const char* route = check ? kCheckRoute : kReadingsRoute;
  const i18n::Lang lang = i18n::lang_from_accept_language(req.header("accept-language"));
  if (!is_json_content_type(req.header("content-type"))) {
    return respond(problem(415, "unsupported_media_type", "send application/json", route));
  }
  service::SubmitRequest sub;
  sub.channel = "api";
  sub.actor = "customer";
  sub.lang = lang;
  if (auto err = decode_reading_request(req.body, ctx_.json_max_depth, sub))
    return respond(bad_request(lang, *err, route));
  if (!service::valid_account_number(sub.account, ctx_.config.account_digits)) {
    return respond(json_response(
        422,
        json{{"status", "rejected"},
             {"code", "account_format"},
             {"message", i18n::message(lang, "account_format",
                                       {{"digits", std::to_string(ctx_.config.account_digits)}})}},
        route));
  }
  auto key = req.header("idempotency-key");
  if (!key.empty() && !valid_idempotency_key(key))
    return respond(
        bad_request(lang, "Idempotency-Key must be 1–128 visible ASCII characters", route));
  if (!check) sub.idempotency_key = std::string(key);  // a check stores nothing to replay
  sub.raw_input = std::move(req.body);
  sub.request_id = req.request_id;
  if (auto refused = over_guess_limit(sub.account, req.remote, lang, route))
    return respond(std::move(*refused));

  auto shared = std::make_shared<Respond>(respond);
  std::string account = sub.account;  // `sub` is moved into the queue
  auto answer = [this, shared, lang, route, check, account = std::move(account),
                 remote = req.remote](const SubmitOutcome& o) {
    if (o.status == SubmitOutcome::Status::not_found)
      if (auto refused = count_failed_guess(account, remote, lang, route))
        return (*shared)(std::move(*refused));
    (*shared)(outcome_response(o, lang, check));
  };
  bool queued = check ? ctx_.ingestor.preview_async(std::move(sub), std::move(answer))
                      : ctx_.ingestor.submit_async(std::move(sub), std::move(answer));
  if (!queued) {
    Response r = problem(503, "unavailable", i18n::message(lang, "unavailable"), route);
    r.headers.emplace_back("Retry-After", "1");
    respond(std::move(r));
  }
}

std::optional<Response> Api::over_guess_limit(std::string_view account, std::string_view remote,
                                              i18n::Lang lang, const char* route) {
  // Before every reading: what this node knows, no database round trip (it would halve ingest).
  auto r = service::guess_refused(ctx_.guesses, account, remote, ctx_.clock.now(),
                                  service::Knowledge::known);
  if (!r) return std::nullopt;
  return too_many_attempts(*r, lang, route);
}

// Called on the writer thread after a reading's commit for a reading whose meter was not found.
std::optional<Response> Api::count_failed_guess(std::string_view account, std::string_view remote,
                                                i18n::Lang lang, const char* route) {
  auto r = service::count_wrong_guess(ctx_.guesses, account, remote, ctx_.clock.now());
  if (!r) return std::nullopt;
  return too_many_attempts(*r, lang, route);
}

Response Api::too_many_attempts(const service::Refusal& refusal, i18n::Lang lang,
                                const char* route) {
  ctx_.metrics.limited(refusal.limit);
  // The account's limit names it; an address's says only that there were too many tries.
  const bool account = std::string_view(refusal.limit) == "per_account";
  Response r =
      problem(429, "too_many_attempts",
              account ? i18n::message(lang, "bot.account_attempts",
                                      {{"time", domain::format_kyiv(refusal.until).substr(11, 5)}})
                      : i18n::message(lang, "too_many_attempts"),
              route);
  const auto wait =
      std::chrono::duration_cast<std::chrono::seconds>(refusal.until - ctx_.clock.now()).count();
  r.headers.emplace_back("Retry-After", std::to_string(std::max<std::int64_t>(1, wait)));
  return r;
}

Response Api::reading_history(const Request& req, std::string_view account) {
  const i18n::Lang lang = i18n::lang_from_accept_language(req.header("accept-language"));
  std::string serial = req.query_param("meter_serial");
  if (serial.empty()) return bad_request(lang, "meter_serial is required", kHistoryRoute);
  int limit = 100;
  if (auto l = req.query_param("limit"); !l.empty()) {
    limit = std::atoi(l.c_str());
    if (limit < 1 || limit > 1000)
      return bad_request(lang, "limit must be 1 to 1000", kHistoryRoute);
  }
  if (!service::valid_account_number(account, ctx_.config.account_digits))
    return problem(404, "not_found", i18n::message(lang, "not_found"), kHistoryRoute);
  // Before the lookup, what this node knows of the account's guesses: no database round trip.
  const auto who =
      service::identify_meter(ctx_.store, {ctx_.guesses, req.remote, service::Knowledge::known},
                              account, serial, ctx_.clock.now(), true);
  using S = service::Identification::Status;
  if (who.status == S::refused)
    return too_many_attempts({who.retry_at, who.limit}, lang, kHistoryRoute);
  if (who.status == S::not_found)
    return problem(404, "not_found", i18n::message(lang, "not_found"), kHistoryRoute);
  const auto& meter = who.meter;
  json items = json::array();
  for (const auto& row : service::meter_history(ctx_.store, meter->meter_id, limit)) {
    json readings = json::object();
    auto zones = domain::zones_of(row.zones);
    for (size_t i = 0; i < zones.size() && i < row.values.size(); ++i)
      readings[std::string(domain::zone_name(zones[i]))] = row.values[i];
    json item{{"receipt", row.receipt},
              {"taken_on", domain::format_date(row.taken_on)},
              {"received_at", domain::format_kyiv(row.received_at)},
              {"channel", row.channel},
              {"type", row.type},
              {"status", row.status},
              {"readings", readings},
              {"flags", row.flags}};
    service::CountsAs c = service::counts_as(row.period, row.type, row.taken_on);
    item["counts_as"] = {{"kind", c.kind}, {c.key, c.value}};
    items.push_back(std::move(item));
  }
  return json_response(200, items, kHistoryRoute);
}

}  // namespace md::http

namespace md::http {

std::optional<Response> Api::authorize(const Request& req,
                                       std::initializer_list<std::string_view> roles,
                                       const char* route, std::string& who) {
  std::string_view auth = req.header("authorization");
  if (!auth.starts_with("Bearer ")) {
    Response r = problem(401, "unauthorized", "send Authorization: Bearer <token>", route);
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  auto token = service::authenticate(ctx_.store, auth.substr(7));
  if (!token) {
    Response r = problem(401, "unauthorized", "the token is not valid", route);
    r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    return r;
  }
  for (auto role : roles)
    if (token->role == role) {
      who = token->role + ":" + token->name;
      return std::nullopt;
    }
  return problem(403, "forbidden", "a " + token->role + " token may not do this", route);
}

Response Api::period_export(const Request& req, std::string_view month_text, bool bills) {
  const char* route = bills ? kBillsRoute : kVolumesRoute;
  std::string who;
  if (auto denied = authorize(req, {"supplier", "admin"}, route, who)) return *denied;
  auto month = domain::YearMonth::parse(month_text);
  if (!month) return problem(400, "bad_request", "the period must be YYYY-MM", route);
  const bool csv = req.header("accept").find("text/csv") != std::string_view::npos;
  Response r;
  r.route = route;
  try {
    r.body =
        service::export_period(ctx_.store, ctx_.config.prices, *month,
                               bills ? service::ExportWhat::bills : service::ExportWhat::volumes,
                               csv ? service::ExportFormat::csv : service::ExportFormat::json, who,
                               "api", req.target, ctx_.clock.now());
  } catch (const service::ExportError& e) {
    if (e.kind == service::ExportError::Kind::not_closed)
      return problem(404, "period_not_closed", e.what(), route);
    return problem(422, "missing_price", e.what(), route);
  }
  if (csv) r.content_type = "text/csv; charset=utf-8";
  return r;
}

// An operator enters a meter exchange act:
// {"account","old_serial","old_final":{zone:value},"new_serial","zones","digits",
//  "new_initial":{zone:value},"date":"YYYY-MM-DD","reason"}
Response Api::meter_exchange(const Request& req) {
  std::string who;
  if (auto denied = authorize(req, {"operator", "supervisor", "admin"}, kExchangeRoute, who))
    return *denied;
  if (!is_json_content_type(req.header("content-type")))
    return problem(415, "unsupported_media_type", "send application/json", kExchangeRoute);
  if (!json_depth_within(req.body, ctx_.json_max_depth))
    return problem(400, "bad_request", "the JSON nests too deeply", kExchangeRoute);
  json body = json::parse(req.body, nullptr, false);
  auto bad = [](const std::string& why) {
    return problem(400, "bad_request", why, kExchangeRoute);
  };
  if (body.is_discarded() || !body.is_object()) return bad("the body must be a JSON object");
  service::ExchangeRequest x;
  auto text = [&](const char* key, std::string& out) {
    if (!body.contains(key) || !body[key].is_string()) return false;
    out = body[key].get<std::string>();
    return true;
  };
  std::string date;
  if (!text("account", x.account) || !text("old_serial", x.old_serial) ||
      !text("new_serial", x.new_serial) || !text("date", date))
    return bad("account, old_serial, new_serial and date are required strings");
  text("reason", x.reason);
  // get<int>() would wrap 4294967298 round to 2 zones; a number no int holds is refused.
  auto zone_count =
      body.contains("zones") ? domain::whole_number<int>(body["zones"]) : std::nullopt;
  auto digits = body.contains("digits") ? domain::whole_number<int>(body["digits"]) : std::nullopt;
  if (!zone_count || !digits) return bad("zones and digits are required integers");
  x.zones = *zone_count;
  x.digits = *digits;
  auto parsed = domain::parse_date(date);
  if (!parsed) return bad("date must be YYYY-MM-DD");
  x.date = *parsed;
  // Values are given per zone name; the order is the meter's (day then night...).
  auto values = [&](const char* key, int zones, std::vector<std::string>& out) {
    if (!body.contains(key) || !body[key].is_object()) return false;
    for (auto zone : domain::zones_of(zones)) {
      auto it = body[key].find(std::string(domain::zone_name(zone)));
      if (it == body[key].end() || (!it->is_number_integer() && !it->is_string())) return false;
      // A number's own digits (dump), which the reading rules judge as typed.
      out.push_back(it->is_string() ? it->get<std::string>() : it->dump());
    }
    return static_cast<int>(body[key].size()) == zones;
  };
  if (!domain::valid_zone_count(x.zones)) return bad("zones must be 1, 2 or 3");
  if (!values("new_initial", x.zones, x.new_initial))
    return bad("new_initial needs a value for each zone of the new meter");
  auto old = service::find_meter(ctx_.store, x.account, x.old_serial);
  if (!old)
    return problem(404, "not_found", "no such meter is installed for this account", kExchangeRoute);
  if (!values("old_final", old->zones, x.old_final))
    return bad("old_final needs a value for each zone of the old meter");
  x.actor = who;
  x.channel = "operator_console";
  try {
    auto r = service::exchange_meter(ctx_.store, ctx_.submissions, x, ctx_.clock.now());
    json out{{"status", "exchanged"},
             {"final_receipt", r.final_receipt},
             {"initial_receipt", r.initial_receipt},
             {"counter_continues", r.counter_continues}};
    return json_response(201, out, kExchangeRoute);
  } catch (const service::ExchangeRefused& e) {
    return problem(422, "exchange_refused", e.what(), kExchangeRoute);
  }
}

const std::vector<Api::Route>& Api::routes() {
  static const std::vector<Route> all = {
      {"POST", kReadingsRoute},     {"POST", kCheckRoute}, {"GET", kHistoryRoute},
      {"GET", kVolumesRoute},       {"GET", kBillsRoute},  {"POST", kExchangeRoute},
      {"GET", "/healthz"},          {"GET", "/readyz"},    {"GET", "/metrics"},
      {"GET", "/api/openapi.json"}, {"GET", "/"},
  };
  return all;
}

}  // namespace md::http
