// Decoding of HTML form posts: URL-encoded fields and multipart/form-data with files.
#include <algorithm>
#include <cctype>

#include "channels/http/web/web_internal.hpp"

namespace md::http::web {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of `param` in a header value like `form-data; name="x"; filename="y"`.
std::optional<std::string> header_param(std::string_view value, std::string_view param) {
  std::size_t pos = 0;
  while ((pos = value.find(';', pos)) != std::string_view::npos) {
    ++pos;
    std::string_view rest = trim(value.substr(pos));
    auto eq = rest.find('=');
    if (eq == std::string_view::npos) continue;
    if (lower(trim(rest.substr(0, eq))) != param) continue;
    std::string_view v = rest.substr(eq + 1);
    if (!v.empty() && v.front() == '"') {
      auto close = v.find('"', 1);
      if (close == std::string_view::npos) return std::nullopt;
      return std::string(v.substr(1, close - 1));
    }
    return std::string(trim(v.substr(0, v.find(';'))));
  }
  return std::nullopt;
}

constexpr std::size_t kMaxFields = 64;

}  // namespace

std::string Form::get(std::string_view key) const {
  auto it = fields.find(key);
  return it == fields.end() ? std::string() : it->second;
}

const Form::File* Form::file(std::string_view name) const {
  for (const auto& f : files)
    if (f.name == name) return &f;
  return nullptr;
}

Form parse_urlencoded(std::string_view body) {
  Form form;
  while (!body.empty() && form.fields.size() < kMaxFields) {
    auto amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string key = percent_decode(pair.substr(0, eq), true);
    std::string value =
        eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), true);
    form.fields.emplace(std::move(key), std::move(value));  // the first of repeated keys wins
  }
  return form;
}

std::optional<Form> parse_multipart(std::string_view body, std::string_view boundary,
                                    std::string& error) {
  if (boundary.empty() || boundary.size() > 70) {
    error = "bad multipart boundary";
    return std::nullopt;
  }
  const std::string delimiter = "--" + std::string(boundary);
  Form form;
  std::size_t pos = body.find(delimiter);
  if (pos == std::string_view::npos) {
    error = "no multipart parts";
    return std::nullopt;
  }
  pos += delimiter.size();
  while (true) {
    if (body.substr(pos, 2) == "--") return form;  // the closing delimiter
    if (body.substr(pos, 2) != "\r\n") break;
    pos += 2;
    auto headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos) break;
    std::string_view headers = body.substr(pos, headers_end - pos);
    const std::size_t content = headers_end + 4;
    auto next = body.find("\r\n" + delimiter, content);
    if (next == std::string_view::npos) break;
    std::optional<std::string> name, filename;
    std::string content_type;
    while (!headers.empty()) {
      auto eol = headers.find("\r\n");
      std::string_view line = headers.substr(0, eol);
      headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
      auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string key = lower(trim(line.substr(0, colon)));
      std::string_view value = trim(line.substr(colon + 1));
      if (key == "content-disposition") {
        name = header_param(value, "name");
        filename = header_param(value, "filename");
      } else if (key == "content-type") {
        content_type = lower(trim(value.substr(0, value.find(';'))));
      }
    }
    if (!name) {
      error = "a multipart part without a name";
      return std::nullopt;
    }
    if (form.fields.size() + form.files.size() >= kMaxFields) {
      error = "too many form fields";
      return std::nullopt;
    }
    std::string_view data = body.substr(content, next - content);
    if (filename) {
      if (!filename->empty() || !data.empty())
        form.files.push_back({*name, *filename, content_type, std::string(data)});
    } else {
      form.fields.emplace(*name, std::string(data));
    }
    pos = next + 2 + delimiter.size();
  }
  error = "the multipart body is cut short or malformed";
  return std::nullopt;
}

std::optional<Form> parse_form(const Request& req, std::string& error) {
  std::string_view ct = req.header("content-type");
  std::string type = lower(trim(ct.substr(0, ct.find(';'))));
  if (type == "application/x-www-form-urlencoded" || (type.empty() && req.body.empty()))
    return parse_urlencoded(req.body);
  if (type == "multipart/form-data") {
    auto boundary = header_param(ct, "boundary");
    if (!boundary) {
      error = "multipart without a boundary";
      return std::nullopt;
    }
    return parse_multipart(req.body, *boundary, error);
  }
  error = "send the form as application/x-www-form-urlencoded or multipart/form-data";
  return std::nullopt;
}

std::string cookie(const Request& req, std::string_view name) {
  for (const auto& [k, v] : req.headers) {
    if (k != "cookie") continue;
    std::string_view rest = v;
    while (!rest.empty()) {
      auto semi = rest.find(';');
      std::string_view pair = trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      auto eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name)
        return std::string(pair.substr(eq + 1));
    }
  }
  return {};
}

bool same_token(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.empty()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace md::http::web
