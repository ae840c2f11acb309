// The review queue: flagged readings with what an operator weighs them against (the consumption
// since the previous reading, a day's rate beside the usual one, the photo), accepted as they are
// or rejected with a reason the customer is told in their messenger.
#include "channels/http/web/console/console.hpp"
#include "dialog/messenger.hpp"
#include "service/console_views.hpp"

namespace md::http::web::console {
namespace {

Data item_data(i18n::Lang lang, const service::ReviewItem& item) {
  const auto& r = item.row;
  const auto& f = item.figures;
  Data d;
  d.set("id", std::to_string(r.reading.id));
  d.set("account", r.account_number);
  d.set("serial", r.reading.meter_serial);
  d.set("received", format_time(r.reading.received_at));
  d.set("reason", i18n::label(lang, "flag", r.reason));
  // A rate a day, beside the usual one, is what tells a real jump from a long gap.
  if (f.previous_on)
    d.set("since", text(lang, "since_previous",
                        {{"date", format_day(*f.previous_on)}, {"days", std::to_string(f.days)}}));
  Data values(Data::type::list);
  auto zones = domain::zones_of(r.reading.zones);
  for (std::size_t i = 0; i < zones.size() && i < r.reading.values.size(); ++i) {
    Data v;
    v.set("label", i18n::zone_label(lang, domain::zone_name(zones[i])));
    v.set("value", format_number(r.reading.values[i], lang));
    if (i < f.kwh.size() && f.kwh[i]) {
      v.set("previous", format_number(r.earlier.front().values.at(i), lang));
      v.set("consumption", format_number(*f.kwh[i], lang));
      if (f.days > 0) v.set("per_day", format_tenths(*f.kwh[i] * 10 / f.days, lang));
    }
    if (i < f.usual_per_day.size())
      v.set("usual", format_tenths(std::llround(f.usual_per_day[i] * 10), lang));
    values.push_back(v);
  }
  d.set("values", values);
  if (r.reading.has_photo) d.set("photo", "/operator/photos/" + std::to_string(r.reading.id));
  return d;
}

}  // namespace

void review(Request& r) {
  auto& ctx = r.site.ctx;
  std::string error;
  if (r.post) {
    std::int64_t id = std::atoll(r.path().substr(17).c_str());
    const auto decision = r.form->get("decision") == "reject" ? service::ReviewDecision::reject
                                                              : service::ReviewDecision::accept;
    const auto now = r.now;
    auto result = service::decide_review(
        ctx.store, id, decision, r.actor, r.field("reason", 500), now, r.p.req.request_id,
        [&ctx, now](store::WriteTx& tx, std::int64_t account_id, std::string_view receipt,
                    bool accepted, const std::string& reason) {
          if (ctx.messenger)
            ctx.messenger->notify_account(
                tx, account_id, accepted ? "notice.review_accepted" : "notice.review_rejected",
                {{"receipt", std::string(receipt)}, {"reason", reason}}, now);
        });
    if (result == service::ReviewResult::decided)
      return r.respond(r.site.redirect(r.p, "/operator/review"));
    error = result == service::ReviewResult::reason_required
                ? text(r.p.lang, "reject_reason_required")
                : text(r.p.lang, "already_decided");
  }
  Data d;
  if (!error.empty()) d.set("error", error);
  Data items(Data::type::list);
  for (const auto& item : service::review_queue(ctx.store, ctx.config.rules, 100))
    items.push_back(item_data(r.p.lang, item));
  d.set("items", items);
  r.respond(r.site.html(r.p, text(r.p.lang, "review"), "op_review", d, error.empty() ? 200 : 422));
}

void photo(Request& r) {
  auto photo = service::reading_photo(r.site.ctx.store, std::atoll(r.path().substr(17).c_str()));
  if (!photo) return r.not_found("-");
  Response out;
  out.content_type = photo->content_type;
  out.body = std::move(photo->bytes);
  out.route = "/operator/photos";
  out.headers.emplace_back("Cache-Control", "private, no-store");
  r.respond(std::move(out));
}

}  // namespace md::http::web::console
