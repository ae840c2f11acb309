// Small server-drawn SVG bar charts: no script; each has a title and sits beside a table with the
// same numbers, for screen readers.
#include "channels/http/web/web_internal.hpp"

namespace md::http::web {
namespace {

std::string escape(std::string_view s) {
  return kainjow::mustache::html_escape(std::string(s));
}

constexpr const char* kPalette[] = {"#0b5cad", "#c77d00", "#1b6e3a", "#7b2cbf",
                                    "#a4161a", "#4d5560", "#0096c7", "#6a994e"};

const char* colour(const Bar& b, std::size_t part) {
  if (!b.parts.empty()) return kPalette[part % std::size(kPalette)];
  return b.kind == "estimated" ? "#c77d00" : b.kind == "derived" ? "#8a929c" : "#0b5cad";
}

std::string rect(int x, int y, int w, int h, const char* fill, const std::string& tip) {
  return "<rect x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y) + "\" width=\"" +
         std::to_string(w) + "\" height=\"" + std::to_string(h) + "\" fill=\"" + fill +
         "\"><title>" + escape(tip) + "</title></rect>";
}

}  // namespace

std::string bar_chart(const std::vector<Bar>& bars, std::string_view title,
                      const std::vector<std::string>& legend) {
  constexpr int width = 640, left = 44, bottom = 34, top = 12;
  const int legend_h = legend.empty() ? 0 : 20;
  const int height = 220 + legend_h;
  std::int64_t max = 1;
  for (const auto& b : bars) max = std::max(max, b.value);
  std::string svg = "<svg class=\"chart\" viewBox=\"0 0 " + std::to_string(width) + " " +
                    std::to_string(height) + "\" role=\"img\" aria-label=\"" + escape(title) +
                    "\"><title>" + escape(title) + "</title>";
  const int plot_h = height - bottom - top - legend_h;
  const int axis = top + plot_h;
  svg += "<line x1=\"" + std::to_string(left) + "\" y1=\"" + std::to_string(axis) + "\" x2=\"" +
         std::to_string(width) + "\" y2=\"" + std::to_string(axis) + "\" stroke=\"#8a929c\"/>";
  svg += "<text x=\"0\" y=\"" + std::to_string(top + 10) + "\">" + std::to_string(max) + "</text>";
  const double slot =
      bars.empty() ? 0 : static_cast<double>(width - left) / static_cast<double>(bars.size());
  auto scaled = [&](std::int64_t v) {
    return static_cast<int>(static_cast<double>(v) * plot_h / static_cast<double>(max));
  };
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const auto& b = bars[i];
    const int x = left + static_cast<int>(slot * static_cast<double>(i) + slot * 0.15);
    const int w = std::clamp(static_cast<int>(slot * 0.7), 2, 48);
    if (b.parts.empty()) {
      svg += rect(x, axis - scaled(b.value), w, scaled(b.value), colour(b, 0),
                  b.label + ": " + std::to_string(b.value));
    } else {
      std::int64_t below = 0;
      for (std::size_t k = 0; k < b.parts.size(); ++k) {
        if (b.parts[k] == 0) continue;
        const int y_top = axis - scaled(below + b.parts[k]), y_bottom = axis - scaled(below);
        svg += rect(x, y_top, w, y_bottom - y_top, colour(b, k),
                    b.label + " " + (k < legend.size() ? legend[k] : "") + ": " +
                        std::to_string(b.parts[k]));
        below += b.parts[k];
      }
    }
    if (bars.size() <= 16 || i % ((bars.size() + 15) / 16) == 0)
      svg += "<text x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(axis + 18) + "\">" +
             escape(b.label) + "</text>";
  }
  int lx = left;
  for (std::size_t k = 0; k < legend.size(); ++k) {
    svg += "<rect x=\"" + std::to_string(lx) + "\" y=\"" + std::to_string(height - 14) +
           "\" width=\"10\" height=\"10\" fill=\"" + kPalette[k % std::size(kPalette)] + "\"/>";
    svg += "<text x=\"" + std::to_string(lx + 14) + "\" y=\"" + std::to_string(height - 5) + "\">" +
           escape(legend[k]) + "</text>";
    lx += 24 + static_cast<int>(legend[k].size()) * 7;
  }
  return svg + "</svg>";
}

}  // namespace md::http::web
