// A browser without JavaScript, for tests of the web pages: a cookie jar, the page's CSRF token,
// URL-encoded and multipart form posts over the real HTTP client.
#pragma once

#include <cctype>
#include <cstdio>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "support/support.hpp"

namespace md::test {

// A cookie jar and form posting, as a browser without JavaScript does it.
class Browser {
 public:
  explicit Browser(std::uint16_t port, std::string lang = "uk")
      : port_(port), lang_(std::move(lang)) {}

  HttpResponse get(const std::string& target) { return send("GET", target, "", ""); }
  // The next requests go to another server, with the same cookies: a load balancer's move.
  void use_port(std::uint16_t port) { port_ = port; }
  HttpResponse post(const std::string& target,
                    const std::vector<std::pair<std::string, std::string>>& fields,
                    bool with_csrf = true) {
    std::string body;
    auto add = [&](const std::string& k, const std::string& v) {
      body += (body.empty() ? "" : "&") + encode(k) + "=" + encode(v);
    };
    if (with_csrf) add("csrf", csrf_);
    for (const auto& [k, v] : fields) add(k, v);
    return send("POST", target, body, "application/x-www-form-urlencoded");
  }
  struct File {
    std::string name, filename, type, bytes;
  };
  HttpResponse post_multipart(const std::string& target,
                              const std::vector<std::pair<std::string, std::string>>& fields,
                              const std::vector<File>& files = {}) {
    const std::string b = "----meterdeskTestBoundary7MA4YWxk";
    std::string body;
    auto all = fields;
    all.insert(all.begin(), {"csrf", csrf_});
    for (const auto& [k, v] : all)
      body +=
          "--" + b + "\r\nContent-Disposition: form-data; name=\"" + k + "\"\r\n\r\n" + v + "\r\n";
    for (const auto& f : files)
      body += "--" + b + "\r\nContent-Disposition: form-data; name=\"" + f.name +
              "\"; filename=\"" + f.filename + "\"\r\nContent-Type: " + f.type + "\r\n\r\n" +
              f.bytes + "\r\n";
    body += "--" + b + "--\r\n";
    return send("POST", target, body, "multipart/form-data; boundary=" + b);
  }
  [[nodiscard]] std::string cookie(const std::string& name) const {
    auto it = jar_.find(name);
    return it == jar_.end() ? "" : it->second;
  }
  void set_cookie(const std::string& name, const std::string& value) { jar_[name] = value; }
  [[nodiscard]] const std::string& csrf() const { return csrf_; }
  std::string last_set_cookie;

 private:
  static std::string encode(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        out += static_cast<char>(c);
      } else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", c);
        out += buf;
      }
    }
    return out;
  }
  HttpResponse send(const std::string& method, const std::string& target, const std::string& body,
                    const std::string& type) {
    std::map<std::string, std::string> h{{"Accept", "text/html"}, {"Accept-Language", lang_}};
    if (!type.empty()) h["Content-Type"] = type;
    std::string cookies;
    for (const auto& [k, v] : jar_) cookies += (cookies.empty() ? "" : "; ") + k + "=" + v;
    if (!cookies.empty()) h["Cookie"] = cookies;
    auto r = http(port_, method, target, body, h);
    last_set_cookie.clear();
    if (auto it = r.headers.find("set-cookie"); it != r.headers.end()) {
      last_set_cookie = it->second;
      std::istringstream lines(it->second);
      for (std::string line; std::getline(lines, line);) {
        auto eq = line.find('='), semi = line.find(';');
        std::string name = line.substr(0, eq), value = line.substr(eq + 1, semi - eq - 1);
        if (value.empty() || line.find("Max-Age=0") != std::string::npos)
          jar_.erase(name);
        else
          jar_[name] = value;
      }
    }
    std::smatch m;
    static const std::regex csrf_field(R"re(name="csrf" value="([0-9a-f]{64})")re");
    if (std::regex_search(r.body, m, csrf_field)) csrf_ = m[1];
    return r;
  }
  std::uint16_t port_;
  std::string lang_;
  std::map<std::string, std::string> jar_;
  std::string csrf_;
};

}  // namespace md::test
