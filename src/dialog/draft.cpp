#include "dialog/draft.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "domain/meter.hpp"

namespace md::dialog {

using Outcome = service::SubmitOutcome;

void Draft::begin(const MeterInfo& m) {
  account = m.account;
  serial = m.serial;
  zones = std::clamp(m.zones, 1, 3);
  restart();
}

void Draft::restart() {
  values.assign(static_cast<std::size_t>(zones), std::string());
  confirmed = false;
}

bool Draft::enter(std::string value) {
  values.resize(static_cast<std::size_t>(zones));
  if (auto i = zone_index(); i < values.size()) values[i] = std::move(value);
  return complete();
}

bool Draft::complete() const {
  return zone_index() >= static_cast<std::size_t>(zones);
}

bool Draft::empty() const {
  return std::all_of(values.begin(), values.end(), [](const auto& v) { return v.empty(); });
}

std::size_t Draft::zone_index() const {
  for (std::size_t i = 0; i < static_cast<std::size_t>(zones); ++i)
    if (i >= values.size() || values[i].empty()) return i;
  return static_cast<std::size_t>(zones);
}

std::string Draft::zone_name(std::size_t index) const {
  auto names = domain::zones_of(zones);
  return index < names.size() ? std::string(domain::zone_name(names[index])) : "total";
}

service::SubmitRequest Draft::request(std::string_view channel, i18n::Lang lang,
                                      nlohmann::json raw) const {
  service::SubmitRequest req;
  req.channel = std::string(channel);
  req.account = account;
  req.meter_serial = serial;
  req.lang = lang;
  req.confirmed = confirmed;
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!values[i].empty()) req.values.emplace_back(zone_name(i), values[i]);
  raw["values"] = values;
  req.raw_input = raw.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return req;
}

namespace {

// Where the person goes after `o`, for a dry run and a store alike.
Answer answer(Draft& d, Outcome o) {
  Answer a;
  switch (o.status) {
    case Outcome::Status::accepted:
    case Outcome::Status::replayed:
      a.kind = Answer::Kind::ready;
      break;
    case Outcome::Status::needs_confirmation:
      a.kind = Answer::Kind::unusual;
      d.confirmed = false;
      break;
    case Outcome::Status::rejected: {
      a.kind = Answer::Kind::rejected;
      // The zone it names is asked again; a rejection of the whole reading asks it all.
      auto names = domain::zones_of(d.zones);
      auto it = o.rejection && o.rejection->zone
                    ? std::find(names.begin(), names.end(), *o.rejection->zone)
                    : names.end();
      auto index = static_cast<std::size_t>(it - names.begin());
      if (it == names.end() || index >= d.values.size())
        d.restart();
      else
        d.values[index].clear();
      d.confirmed = false;
      break;
    }
    case Outcome::Status::not_found:
      a.kind = Answer::Kind::not_found;
      break;
    case Outcome::Status::unavailable:
      a.kind = Answer::Kind::unavailable;
      break;
  }
  a.outcome = std::move(o);
  return a;
}

}  // namespace

Answer check(Draft& d, const service::SubmitRequest& req, Backend& b) {
  if (!d.complete()) {
    Answer a;
    a.kind = Answer::Kind::incomplete;
    if (auto rejection = b.judge_given(req)) {
      Outcome o;
      o.status = Outcome::Status::rejected;
      o.rejection = std::move(rejection);
      a = answer(d, std::move(o));
    }
    return a;
  }
  return answer(d, b.submit(req, true));
}

Answer store(Draft& d, const service::SubmitRequest& req, Backend& b) {
  Answer a = answer(d, b.submit(req, false));
  if (a.kind != Answer::Kind::ready) return a;
  a.kind = Answer::Kind::stored;
  a.receipt = a.outcome.receipt_id;
  if (a.receipt.empty())  // a replay answers with the stored receipt only
    a.receipt = nlohmann::json::parse(a.outcome.receipt_json, nullptr, false).value("receipt", "");
  d.restart();
  return a;
}

}  // namespace md::dialog
