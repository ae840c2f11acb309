// Table rows shared by the personal account and the console: readings with their flags and
// review, closed months with how each end was known and, for an estimate, the words it was
// made by.
#include "channels/http/web/web_internal.hpp"
#include "service/stored_estimate.hpp"

namespace md::http::web {

using i18n::Lang;

Data reading_values(Lang lang, const store::ReadingRow& r) {
  Data values(Data::type::list);
  auto zones = domain::zones_of(r.zones);
  for (std::size_t i = 0; i < zones.size() && i < r.values.size(); ++i) {
    Data v;
    v.set("label", i18n::zone_label(lang, domain::zone_name(zones[i])));
    v.set("value", format_number(r.values[i], lang));
    values.push_back(v);
  }
  return values;
}

std::string flag_labels(Lang lang, const std::vector<std::string>& flags) {
  std::string out;
  for (const auto& f : flags) out += (out.empty() ? "" : ", ") + i18n::label(lang, "flag", f);
  return out;
}

// Reading rows for the history tables (cabinet and console).
Data history_rows(Lang lang, const std::vector<store::ReadingRow>& readings, bool staff) {
  Data rows(Data::type::list);
  for (const auto& r : readings) {
    Data row;
    row.set("received", format_time(r.received_at));
    row.set("receipt", r.receipt);
    row.set("serial", r.meter_serial);
    row.set("type", i18n::label(lang, "type", r.type));
    row.set("values", reading_values(lang, r));
    row.set("channel", i18n::label(lang, "channel", r.channel));
    row.set("status", i18n::label(lang, "status", r.status));
    if (!r.flags.empty()) row.set("flags", flag_labels(lang, r.flags));
    if (!r.review.empty()) {
      row.set("review", i18n::label(lang, "review", r.review));
      row.set("review_class", r.review);
    }
    if (!r.review_reason.empty()) row.set("review_reason", r.review_reason);
    if (staff && r.has_photo) row.set("photo", "/operator/photos/" + std::to_string(r.id));
    rows.push_back(row);
  }
  return rows;
}

Data volume_rows(Lang lang, const std::vector<store::VolumeRow>& volumes) {
  Data rows(Data::type::list);
  for (const auto& v : volumes) {
    Data row;
    row.set("period", i18n::month_name(lang, v.period));
    row.set("serial", v.serial);
    row.set("zone", i18n::zone_label(lang, v.zone));
    row.set("start", format_number(v.start_shown, lang));
    row.set("start_kind", v.start_kind);
    row.set("start_kind_label", i18n::label(lang, "kind", v.start_kind));
    row.set("end", format_number(v.end_shown, lang));
    row.set("end_kind", v.end_kind);
    row.set("end_kind_label", i18n::label(lang, "kind", v.end_kind));
    row.set("volume", format_number(v.volume, lang));
    row.set("correction", v.correction == 0 ? "" : format_number(v.correction, lang));
    row.set("method", v.method);
    row.set("method_label", i18n::label(lang, "kind", v.method));
    if (auto e = service::estimate_explanation(v.estimate, lang); !e.empty())
      row.set("explanation", e);
    rows.push_back(row);
  }
  return rows;
}

}  // namespace md::http::web
