// Small server-drawn SVG bar charts: no script, readable by screen readers through the table
// each chart sits beside and its own title.
#include "channels/http/web/web_internal.hpp"

namespace md::http::web {
namespace {

std::string escape(std::string_view s) {
  return kainjow::mustache::html_escape(std::string(s));
}

}  // namespace

std::string bar_chart(const std::vector<Bar>& bars, std::string_view title) {
  constexpr int width = 640, height = 220, left = 44, bottom = 34, top = 12;
  std::int64_t max = 1;
  for (const auto& b : bars) max = std::max(max, b.value);
  std::string svg = "<svg class=\"chart\" viewBox=\"0 0 " + std::to_string(width) + " " +
                    std::to_string(height) + "\" role=\"img\" aria-label=\"" + escape(title) +
                    "\"><title>" + escape(title) + "</title>";
  const int plot_h = height - bottom - top;
  svg += "<line x1=\"" + std::to_string(left) + "\" y1=\"" + std::to_string(top + plot_h) +
         "\" x2=\"" + std::to_string(width) + "\" y2=\"" + std::to_string(top + plot_h) +
         "\" stroke=\"#8a929c\"/>";
  svg += "<text x=\"0\" y=\"" + std::to_string(top + 10) + "\">" + std::to_string(max) + "</text>";
  if (!bars.empty()) {
    const double slot = static_cast<double>(width - left) / static_cast<double>(bars.size());
    for (std::size_t i = 0; i < bars.size(); ++i) {
      const auto& b = bars[i];
      const int h =
          static_cast<int>(static_cast<double>(b.value) * plot_h / static_cast<double>(max));
      const int x = left + static_cast<int>(slot * static_cast<double>(i) + slot * 0.15);
      const int w = std::max(2, static_cast<int>(slot * 0.7));
      const char* fill = b.kind == "estimated" ? "#c77d00"
                         : b.kind == "derived" ? "#8a929c"
                                               : "#0b5cad";
      svg += "<rect x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(top + plot_h - h) +
             "\" width=\"" + std::to_string(w) + "\" height=\"" + std::to_string(h) + "\" fill=\"" +
             fill + "\"><title>" + escape(b.label) + ": " + std::to_string(b.value) +
             "</title></rect>";
      if (bars.size() <= 16 || i % ((bars.size() + 15) / 16) == 0)
        svg += "<text x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(height - 14) + "\">" +
               escape(b.label) + "</text>";
    }
  }
  return svg + "</svg>";
}

}  // namespace md::http::web
