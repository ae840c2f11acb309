// The receipt (rules.md §11) as the messengers show it: its number, when, the meter, the values
// and consumption per zone, the month it counts for and the last day to correct it.
#include <nlohmann/json.hpp>

#include "dialog/conversation.hpp"
#include "i18n/explain.hpp"

namespace md::dialog {

using i18n::Lang;
using i18n::message;
using i18n::month_name;
using i18n::zone_label;
using json = nlohmann::json;

std::string receipt_text(Lang lang, std::string_view receipt_json) {
  json r = json::parse(receipt_json, nullptr, false);
  if (!r.is_object()) return message(lang, "accepted", {{"receipt", "?"}});
  auto zone_list = [&](const char* key) {
    std::string out;
    if (r.contains(key) && r[key].is_object())
      for (const auto& [zone, v] : r[key].items())
        if (v.is_number_integer())
          out += (out.empty() ? "" : ", ") + zone_label(lang, zone) + " " +
                 std::to_string(v.get<std::int64_t>());
    return out;
  };
  std::string text = message(lang, "accepted", {{"receipt", r.value("receipt", "")}});
  std::string received = r.value("received_at", "");
  if (auto at = domain::parse_instant(received)) {
    auto kyiv = domain::format_kyiv(*at);  // 2026-11-30T10:00:00+02:00
    auto day = domain::kyiv_date(*at);
    received = domain::format_date_dmy(day) + " " + kyiv.substr(11, 5);
  }
  text += "\n" + message(lang, "bot.receipt_meta",
                         {{"time", received},
                          {"account", r.value("account", "")},
                          {"serial", r.value("meter_serial", "")}});
  text += "\n" + message(lang, "bot.receipt_values", {{"values", zone_list("readings")}});
  if (auto c = zone_list("consumption"); !c.empty())
    text += "\n" + message(lang, "bot.receipt_consumption",
                           {{"values", c + (lang == Lang::en ? " kWh" : " кВт·год")}});
  if (r.contains("counts_as") && r["counts_as"].is_object()) {
    const auto& counts = r["counts_as"];
    if (counts.contains("period") && counts["period"].is_string()) {
      if (auto m = domain::YearMonth::parse(counts["period"].get<std::string>()))
        text += "\n" + message(lang, "bot.receipt_period", {{"month", month_name(lang, *m)}});
    } else if (auto d = domain::parse_date(counts.value("date", ""))) {
      text +=
          "\n" + message(lang, "bot.receipt_off_cycle", {{"date", domain::format_date_dmy(*d)}});
    }
  }
  if (auto d = domain::parse_date(r.value("correction_deadline", "")))
    text += "\n" + message(lang, "bot.receipt_deadline", {{"date", domain::format_date_dmy(*d)}});
  return text;
}

}  // namespace md::dialog
