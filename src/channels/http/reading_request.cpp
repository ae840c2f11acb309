// Decoding a reading submitted as JSON (POST /api/v1/readings). No I/O: the fuzz target
// fuzz/api_reading_request.cpp drives it with arbitrary bytes.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "channels/http/api.hpp"

namespace md::http {

using json = nlohmann::ordered_json;

bool json_depth_within(std::string_view body, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

namespace {

std::string value_text(const json& v) {
  if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  char buf[512];
  std::snprintf(buf, sizeof buf, "%.6f", v.get<double>());
  return buf;
}

// Decodes the body into a request, or says what is wrong with it.
std::optional<std::string> decode(const json& body, service::SubmitRequest& req) {
  if (!body.is_object()) return "the body must be a JSON object";
  for (const auto& [key, value] : body.items()) {
    if (key == "account") {
      if (!value.is_string()) return "account must be a string of digits";
      req.account = value.get<std::string>();
    } else if (key == "meter_serial") {
      if (!value.is_string()) return "meter_serial must be a string";
      req.meter_serial = value.get<std::string>();
    } else if (key == "readings") {
      if (!value.is_object()) return "readings must be an object of zone: value";
      for (const auto& [zone, v] : value.items()) {
        if (zone.size() > 32) return "unknown zone name";
        if (v.is_number())
          req.values.emplace_back(zone, value_text(v));
        else if (v.is_string() && v.get<std::string>().size() <= 64)
          req.values.emplace_back(zone, v.get<std::string>());
        else
          return "readings." + zone + " must be a number";
      }
    } else if (key == "confirm") {
      if (!value.is_boolean()) return "confirm must be true or false";
      req.confirmed = value.get<bool>();
    } else if (key == "taken_on") {
      if (!value.is_string()) return "taken_on must be a date YYYY-MM-DD";
      auto d = domain::parse_date(value.get<std::string>());
      if (!d) return "taken_on must be a date YYYY-MM-DD";
      req.taken_on = d;
    } else {
      return "unknown field " + json(key).dump(-1, ' ', false, json::error_handler_t::replace);
    }
  }
  if (!body.contains("account")) return "account is required";
  if (!body.contains("meter_serial")) return "meter_serial is required";
  if (!body.contains("readings")) return "readings is required";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> decode_reading_request(std::string_view body, int max_depth,
                                                  service::SubmitRequest& out) {
  if (!json_depth_within(body, max_depth)) return "the JSON nests too deeply";
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded()) return "the body is not valid JSON in UTF-8";
  return decode(parsed, out);
}

}  // namespace md::http
