// The public reading form (no sign-in), the zones lookup for its script, and the receipt page.
// The cabinet's submit page uses the same form and the same post_reading path.
#include <nlohmann/json.hpp>

#include "channels/http/web/web_internal.hpp"
#include "service/account_views.hpp"
#include "service/accounts.hpp"
#include "service/identify.hpp"

namespace md::http::web {
namespace {

using json = nlohmann::json;
using service::SubmitOutcome;

std::string trimmed(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(0, s.find_first_not_of(ws));
  s.erase(s.find_last_not_of(ws) + 1);
  return s;
}

bool is_image(const Form::File& f) {
  const std::string& b = f.bytes;
  if (b.size() >= 3 && static_cast<unsigned char>(b[0]) == 0xFF &&
      static_cast<unsigned char>(b[1]) == 0xD8 && static_cast<unsigned char>(b[2]) == 0xFF)
    return true;
  return b.size() >= 8 && b.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0;
}

std::string image_type(const Form::File& f) {
  return static_cast<unsigned char>(f.bytes[0]) == 0xFF ? "image/jpeg" : "image/png";
}

Response too_many(Site& site, Page& p, domain::Instant retry, std::string_view limit) {
  site.ctx.metrics.limited(limit);
  Response r = site.message(
      p, 429, text(p.lang, "too_many_attempts"),
      i18n::message(p.lang, "too_many_attempts_until", {{"time", format_time(retry)}}), "alert");
  auto wait = std::chrono::duration_cast<std::chrono::seconds>(retry - site.ctx.clock.now());
  r.headers.emplace_back("Retry-After", std::to_string(std::max<std::int64_t>(1, wait.count())));
  return r;
}

}  // namespace

namespace {

// One field per zone of the meter, with what was typed, its error and the last reading.
Data zone_fields(i18n::Lang lang, const Site::ReadingForm& f, int zones,
                 const std::optional<store::ReadingRow>& last) {
  Data list(Data::type::list);
  auto names = domain::zones_of(zones);
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::string name(domain::zone_name(names[i]));
    Data z;
    z.set("name", name);
    z.set("label", i18n::zone_label(lang, name));
    for (const auto& [k, v] : f.values)
      if (k == name) z.set("value", v);
    if (auto e = f.zone_errors.find(name); e != f.zone_errors.end()) z.set("zone_error", e->second);
    if (last && i < last->values.size()) {
      z.set("last", format_number(last->values[i], lang));
      z.set("last_raw", std::to_string(last->values[i]));  // the live consumption's (submit.js)
      z.set("last_date", format_day(last->taken_on));
    }
    list.push_back(z);
  }
  return list;
}

// The reading shown once more before it is stored: each zone's value and consumption, and for
// an unusual one what was expected and what may have been meant.
Data checked_rows(i18n::Lang lang, const domain::Validation& v, bool unusual) {
  Data rows(Data::type::list);
  for (const auto& reg : v.registers) {
    std::string zone(domain::zone_name(reg.zone));
    Data c;
    c.set("label", i18n::zone_label(lang, zone));
    c.set("value", format_number(reg.value, lang));
    c.set("kwh", reg.advance ? format_number(*reg.advance, lang) : "—");
    if (unusual && reg.expected)
      c.set("expected", format_number(static_cast<std::int64_t>(*reg.expected), lang));
    if (unusual && reg.suggestion)
      c.set("suggestion",
            i18n::message(lang, "suggestion", {{"value", std::to_string(*reg.suggestion)}}));
    rows.push_back(c);
  }
  return rows;
}

}  // namespace

Response Site::reading_form(Page& p, const ReadingForm& f, int status) {
  Data d;
  d.set("action", f.cabinet ? "/account/submit" : "/submit");
  d.set("form_key", f.key);
  d.set("tries", std::to_string(f.tries));
  d.set("account", f.account);
  d.set("serial", f.serial);
  d.set("account_hint", i18n::message(p.lang, "account_format",
                                      {{"digits", std::to_string(ctx.config.account_digits)}}));
  d.set("cabinet", f.cabinet);
  d.set("other_channels", f.other_channels);
  if (!f.error.empty()) d.set("error", f.error);
  Data t = texts(p.lang);
  d.set("t", t);
  std::string photo_hint =
      text(p.lang, "photo_hint", {{"max", format_bytes(ctx.options.photo_max_bytes, p.lang)}});

  std::optional<store::MeterRow> meter;
  if (f.cabinet && p.who && p.who->user.account_id) {
    auto meters = service::account_meters(ctx.store, *p.who->user.account_id);
    Data list(Data::type::list);
    for (const auto& m : meters) {
      Data item;
      item.set("serial", m.serial);
      item.set("address", m.eic);
      item.set("selected", m.serial == f.serial);
      list.push_back(item);
      if (m.serial == f.serial || (!meter && f.serial.empty())) meter = m;
    }
    d.set("meters", list);
    d.set("several_meters", meters.size() > 1);
    // The meter the values are for; a meter is chosen in a form of its own (a GET), so the
    // fields shown are always that meter's zones.
    if (meter) d.set("serial", meter->serial);
  } else if (f.step2) {
    meter = service::find_meter(ctx.store, f.account, f.serial);
  }
  if (meter && (f.step2 || f.cabinet)) {
    d.set("step2", true);
    auto last = service::compared_reading(ctx.store, meter->meter_id, ctx.clock.now(),
                                          ctx.config.rules.window);
    d.set("has_last", last.has_value());
    d.set("zones", zone_fields(p.lang, f, meter->zones, last));
  }
  d.set("next_step", meter ? "2" : "1");
  std::string next_label = text(p.lang, "next");
  if (const service::SubmitOutcome* checked = f.confirm ? f.confirm : f.review) {
    d.set("review", true);
    d.set("photo_again", f.photo_again);
    if (f.confirm) {
      d.set("confirm", true);
      d.set("confirm_message", i18n::message(p.lang, "high"));
    }
    d.set("checked", checked_rows(p.lang, checked->validation, f.confirm != nullptr));
    const domain::AsOf& as_of = checked->validation.as_of;
    d.set("counts_for",
          as_of.period ? i18n::month_name(p.lang, *as_of.period) : format_day(as_of.day));
    next_label = text(p.lang, f.confirm ? TextKey("send_confirmed") : TextKey("send"));
  }
  d.set("submit_label", next_label);
  // The photo hint has a number in it; the layout's copy of `t` is the plain one.
  t.set("photo_hint", photo_hint);
  d.set("t", t);
  return html(p, text(p.lang, "submit_reading"), "submit", d, status, "/submit");
}

void Site::submit_page(const PagePtr& page, const Respond& respond) {
  Page& p = *page;
  ReadingForm f;
  if (p.req.method == "GET" || p.req.method == "HEAD") {
    f.key = service::random_token();
    return respond(reading_form(p, f, 200));
  }
  if (p.req.method != "POST") {
    Response r = message(p, 405, "405", "GET, POST", "alert");
    r.headers.emplace_back("Allow", "GET, POST");
    return respond(std::move(r));
  }
  std::string error;
  auto form = parse_form(p.req, error);
  if (!form) return respond(message(p, 400, "400", error, "alert"));
  if (!csrf_ok(p, *form)) return respond(forbidden_csrf(p));
  f.account = trimmed(form->get("account"));
  f.serial = trimmed(form->get("serial"));
  f.key = form->get("key").size() == 64 ? form->get("key") : service::random_token();
  f.tries = std::clamp(std::atoi(form->get("tries").c_str()), 0, 99);
  const auto now = ctx.clock.now();
  if (auto r = service::address_refused(guesses, p.req.remote, now))
    return respond(too_many(*this, p, r->until, r->limit));
  if (!service::valid_account_number(f.account, ctx.config.account_digits) || f.serial.empty() ||
      f.serial.size() > 32) {
    f.error = i18n::message(p.lang, "account_format",
                            {{"digits", std::to_string(ctx.config.account_digits)}});
    if (f.serial.empty()) f.error += " " + text(p.lang, "meter_serial") + "?";
    return respond(reading_form(p, f, 422));
  }
  using S = service::Identification::Status;
  const auto who =
      service::identify_meter(ctx.store, {guesses, p.req.remote}, f.account, f.serial, now);
  if (who.status == S::refused) return respond(too_many(*this, p, who.retry_at, who.limit));
  if (who.status == S::not_found) {
    f.error = i18n::message(p.lang, "not_found");
    return respond(reading_form(p, f, 422));
  }
  f.step2 = true;
  bool has_values = form->get("same") == "1";
  for (const auto& [k, v] : form->fields)
    if (k.starts_with("zone.")) has_values = true;
  if (!has_values) return respond(reading_form(p, f, 200));
  post_reading(page, *form, std::move(f), "web_form", respond);
}

void Site::post_reading(const PagePtr& page, const Form& form, ReadingForm f, std::string channel,
                        const Respond& respond) {
  Page& p = *page;
  auto meter = service::find_meter(ctx.store, f.account, f.serial);
  if (!meter) {
    f.error = i18n::message(p.lang, "not_found");
    f.step2 = false;
    return respond(reading_form(p, f, 422));
  }
  service::SubmitRequest req;
  req.channel = std::move(channel);
  req.account = f.account;
  req.meter_serial = f.serial;
  req.lang = p.lang;
  req.request_id = p.req.request_id;
  req.confirmed = form.get("confirm") == "1";
  req.idempotency_key = f.key;
  if (p.who) req.actor = service::actor_of(p.who->user);
  auto zones = domain::zones_of(meter->zones);
  if (form.get("same") == "1") {
    auto last = service::compared_reading(ctx.store, meter->meter_id, ctx.clock.now(),
                                          ctx.config.rules.window);
    for (std::size_t i = 0; last && i < zones.size() && i < last->values.size(); ++i)
      req.values.emplace_back(std::string(domain::zone_name(zones[i])),
                              std::to_string(last->values[i]));
  } else {
    for (auto z : zones) {
      std::string name(domain::zone_name(z));
      req.values.emplace_back(name, form.get("zone." + name).substr(0, 64));
    }
  }
  f.values = req.values;
  // "Change" on the review page: the values back in their fields, nothing sent.
  if (form.get("change") == "1") return respond(reading_form(p, f, 200));
  // The whole reading is shown once more before it is stored; a tick on the `high` notice
  // confirms it as well.
  const bool send = form.get("review") == "1" || req.confirmed;
  if (const auto* photo = form.file("photo"); photo && !photo->bytes.empty()) {
    if (photo->bytes.size() > ctx.options.photo_max_bytes || !is_image(*photo)) {
      f.error =
          text(p.lang, "photo_wrong", {{"max", format_bytes(ctx.options.photo_max_bytes, p.lang)}});
      return respond(reading_form(p, f, 422));
    }
    if (send)
      req.photo = store::Photo{image_type(*photo), photo->bytes};
    else
      f.photo_again = true;
  }
  json raw = json::object();
  for (const auto& [k, v] : form.fields)
    if (k != "csrf" && k != "key") raw[k] = v;
  if (req.photo) raw["photo_bytes"] = req.photo->bytes.size();
  req.raw_input = raw.dump(-1, ' ', false, json::error_handler_t::replace);

  auto answer = [this, page, f, respond, send](const SubmitOutcome& o) {
    try {
      respond(reading_answer(*page, f, o, send));
    } catch (const std::exception&) {
      respond(message(*page, 500, "500", i18n::message(page->lang, "unavailable"), "alert"));
    }
  };
  bool queued = send ? ctx.ingestor.submit_async(std::move(req), std::move(answer))
                     : ctx.ingestor.preview_async(std::move(req), std::move(answer));
  if (!queued) {
    Response r = message(p, 503, "503", i18n::message(p.lang, "unavailable"), "alert");
    r.headers.emplace_back("Retry-After", "5");
    respond(std::move(r));
  }
}

Response Site::reading_answer(Page& p, ReadingForm f, const SubmitOutcome& o, bool send) {
  switch (o.status) {
    case SubmitOutcome::Status::accepted:
      if (!send) {
        f.review = &o;
        return reading_form(p, f, 200);
      }
      [[fallthrough]];
    case SubmitOutcome::Status::replayed: {
      std::string id = o.receipt_id;
      if (id.empty()) id = json::parse(o.receipt_json, nullptr, false).value("receipt", "");
      return redirect(p, receipt_link(id));
    }
    case SubmitOutcome::Status::needs_confirmation:
      f.confirm = &o;
      return reading_form(p, f, 409);
    case SubmitOutcome::Status::rejected: {
      const auto& rej = *o.rejection;
      auto params = rej.params;
      if (rej.zone) params["zone"] = std::string(domain::zone_name(*rej.zone));
      std::string msg = i18n::message(p.lang, rej.code, params);
      if (rej.suggestion)
        msg +=
            " " + i18n::message(p.lang, "suggestion", {{"value", std::to_string(*rej.suggestion)}});
      // A zone's error stands beside its field; others above the form.
      if (rej.zone)
        f.zone_errors[std::string(domain::zone_name(*rej.zone))] = msg;
      else
        f.error = msg;
      f.tries += 1;
      f.other_channels = f.tries >= 3;
      return reading_form(p, f, 422);
    }
    case SubmitOutcome::Status::not_found:
      f.error = i18n::message(p.lang, "not_found");
      f.step2 = false;
      return reading_form(p, f, 422);
    case SubmitOutcome::Status::unavailable:
      break;
  }
  Response r = message(p, 503, "503", i18n::message(p.lang, "unavailable"), "alert");
  r.headers.emplace_back("Retry-After", "5");
  return r;
}

Response Site::zones_json(Page& p) {
  auto answer = [](int status, const json& body) {
    Response r;
    r.status = status;
    r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    r.route = "/submit/zones";
    return r;
  };
  if (p.req.method != "POST") return answer(405, {{"error", "use POST"}});
  std::string error;
  auto form = parse_form(p.req, error);
  if (!form) return answer(400, {{"error", error}});
  if (!csrf_ok(p, *form)) return answer(403, {{"error", "csrf"}});
  const auto now = ctx.clock.now();
  std::string account = trimmed(form->get("account")), serial = trimmed(form->get("serial"));
  auto too_many_attempts = [&](std::string_view limit) {
    ctx.metrics.limited(limit);
    return answer(429, {{"error", i18n::message(p.lang, "too_many_attempts")}});
  };
  if (auto r = service::address_refused(guesses, p.req.remote, now))
    return too_many_attempts(r->limit);
  if (!service::valid_account_number(account, ctx.config.account_digits))
    return answer(
        422, {{"error", i18n::message(p.lang, "account_format",
                                      {{"digits", std::to_string(ctx.config.account_digits)}})}});
  using S = service::Identification::Status;
  const auto who =
      service::identify_meter(ctx.store, {guesses, p.req.remote}, account, serial, now);
  if (who.status == S::refused) return too_many_attempts(who.limit);
  if (who.status == S::not_found)
    return answer(422, {{"error", i18n::message(p.lang, "not_found")}});
  const auto& meter = who.meter;
  json zones = json::array();
  std::string last_text;
  auto last = service::compared_reading(ctx.store, meter->meter_id, ctx.clock.now(),
                                        ctx.config.rules.window);
  auto names = domain::zones_of(meter->zones);
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::string name(domain::zone_name(names[i]));
    json zone{{"name", name}, {"label", i18n::zone_label(p.lang, name)}};
    if (last && i < last->values.size()) zone["last"] = last->values[i];
    zones.push_back(std::move(zone));
    if (last && i < last->values.size())
      last_text +=
          i18n::zone_label(p.lang, name) + " " + format_number(last->values[i], p.lang) + " ";
  }
  // With the script the reading is sent from the form: no review screen (its consumption is shown
  // live), so the button sends.
  json body{{"zones", zones}, {"submit_label", text(p.lang, "send")}};
  if (last)
    body["last"] =
        text(p.lang, "last_reading") + " (" + format_day(last->taken_on) + "): " + last_text;
  return answer(200, body);
}

// The receipt page's address: the short id people read out, and a key of 128 bits that only this
// installation can make (a MAC of the id), so the public page cannot be found by guessing ids.
std::string Site::receipt_link(std::string_view id) const {
  return "/receipt/" + std::string(id) + "/" +
         service::keyed_digest_hex(secret, "receipt:" + std::string(id), 16);
}

namespace {

// The meter's serial is the public form's credential: the receipt shows only its last four.
std::string masked_serial(std::string_view serial) {
  if (serial.size() <= 4) return std::string(serial.size(), '*');
  return std::string(serial.size() - 4, '*') + std::string(serial.substr(serial.size() - 4));
}

}  // namespace

Response Site::receipt_page(Page& p, std::string_view rest) {
  const auto now = ctx.clock.now();
  if (auto until = receipt_misses->known_refused(service::address_key(p.req.remote), now)) {
    ctx.metrics.limited("receipt_per_address");
    Response r = message(p, 429, "429", i18n::message(p.lang, "too_many_attempts"), "alert");
    r.headers.emplace_back(
        "Retry-After",
        std::to_string(std::max<std::int64_t>(
            1, std::chrono::duration_cast<std::chrono::seconds>(*until - now).count())));
    return r;
  }
  const auto slash = rest.find('/');
  const std::string_view id = rest.substr(0, slash);
  std::optional<std::string> stored;
  if (slash != std::string_view::npos && id.size() <= 32 &&
      same_token(receipt_link(id), "/receipt/" + std::string(rest)))
    stored = service::stored_receipt(ctx.store, id);
  if (!stored) {
    receipt_misses->allow(service::address_key(p.req.remote), now);
    return message(p, 404, "404", text(p.lang, "no_such_receipt"), "alert");
  }
  json r = json::parse(*stored, nullptr, false);
  Data d;
  d.set("receipt", r.value("receipt", ""));
  d.set("serial", masked_serial(r.value("meter_serial", "")));
  Data values(Data::type::list);
  if (r.contains("readings") && r["readings"].is_object())
    for (const auto& [zone, v] : r["readings"].items()) {
      Data item;
      item.set("label", i18n::zone_label(p.lang, zone));
      item.set("value",
               v.is_number_integer() ? format_number(v.get<std::int64_t>(), p.lang) : v.dump());
      values.push_back(item);
    }
  d.set("values", values);
  d.set("account", r.value("account", ""));
  Data consumption(Data::type::list);
  if (r.contains("consumption") && r["consumption"].is_object())
    for (const auto& [zone, v] : r["consumption"].items()) {
      if (!v.is_number_integer()) continue;
      Data item;
      item.set("label", i18n::zone_label(p.lang, zone));
      item.set("kwh", format_number(v.get<std::int64_t>(), p.lang));
      consumption.push_back(item);
    }
  d.set("consumption", consumption);
  if (auto day = domain::parse_date(r.value("correction_deadline", "")))
    d.set("deadline", format_day(*day));
  if (auto day = domain::parse_date(r.value("taken_on", ""))) d.set("taken_on", format_day(*day));
  const auto& counts = r["counts_as"];
  if (counts.contains("period")) {
    if (auto m = domain::YearMonth::parse(counts["period"].get<std::string>()))
      d.set("counts_for", i18n::month_name(p.lang, *m));
  } else if (auto day = domain::parse_date(counts.value("date", ""))) {
    d.set("counts_for", format_day(*day));
  }
  if (auto at = domain::parse_instant(r.value("received_at", "")))
    d.set("received", format_time(*at));
  d.set("channel", i18n::label(p.lang, "channel", r.value("channel", "")));
  std::vector<std::string> flags;
  if (r.contains("flags") && r["flags"].is_array())
    for (const auto& fl : r["flags"])
      if (fl.is_string()) flags.push_back(fl.get<std::string>());
  if (!flags.empty()) d.set("flags", flag_labels(p.lang, flags));
  d.set("again_href", p.req.header("referer").find("/account") != std::string_view::npos
                          ? "/account/submit"
                          : "/submit");
  // The page's heading says what it is; the box, the part worth printing, says it was accepted.
  return html(p, text(p.lang, "receipt"), "receipt", d, 200, "/receipt/{id}/{key}");
}

}  // namespace md::http::web
