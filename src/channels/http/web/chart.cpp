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

std::string text_at(int x, int y, const char* anchor, std::string_view s, const char* cls = "") {
  return "<text x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y) + "\" text-anchor=\"" +
         anchor + "\"" + (*cls ? std::string(" class=\"") + cls + "\"" : std::string()) + ">" +
         escape(s) + "</text>";
}

// A round step that gives about four gridlines: 1, 2 or 5 times a power of ten.
std::int64_t tick_step(std::int64_t max) {
  for (std::int64_t power = 1;; power *= 10)
    for (std::int64_t m : {1, 2, 5})
      if (max / 4 <= power * m) return power * m;
}

}  // namespace

std::string bar_chart(const std::vector<Bar>& bars, std::string_view title,
                      const std::vector<std::string>& legend, ChartWidth size) {
  const int width = size == ChartWidth::narrow ? 400 : 640;
  constexpr int left = 44, top = 16;
  const bool sublabels =
      std::any_of(bars.begin(), bars.end(), [](const Bar& b) { return !b.sublabel.empty(); });
  const int bottom = sublabels ? 40 : 26;
  const int legend_h = legend.empty() ? 0 : 20;
  const int height = 220 + legend_h;
  std::int64_t max = 1;
  for (const auto& b : bars) max = std::max(max, b.value);
  max = std::min<std::int64_t>(max, 1'000'000'000'000'000);  // kWh; keeps the steps in range
  const std::int64_t step = tick_step(max);
  const std::int64_t scale = (max + step - 1) / step * step;
  std::string svg =
      std::string("<svg class=\"chart") + (size == ChartWidth::narrow ? " narrow" : "") +
      "\" viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) +
      "\" role=\"img\" aria-label=\"" + escape(title) + "\"><title>" + escape(title) + "</title>";
  const int plot_h = height - bottom - top - legend_h;
  const int axis = top + plot_h;
  auto scaled = [&](std::int64_t v) {
    return static_cast<int>(static_cast<double>(std::clamp<std::int64_t>(v, 0, scale)) * plot_h /
                            static_cast<double>(scale));
  };
  for (std::int64_t v = 0; v <= scale; v += step) {
    const int y = axis - scaled(v);
    svg += "<line x1=\"" + std::to_string(left) + "\" y1=\"" + std::to_string(y) + "\" x2=\"" +
           std::to_string(width) + "\" y2=\"" + std::to_string(y) + "\" stroke=\"" +
           (v == 0 ? "#8a929c" : "#e3e6ea") + "\"/>";
    svg += text_at(left - 6, y + 4, "end", std::to_string(v));
  }
  const double slot =
      bars.empty() ? 0 : static_cast<double>(width - left) / static_cast<double>(bars.size());
  // Each bar's number above it when there is room: the chart then reads without the table.
  const bool values = bars.size() <= 12 && slot >= 26;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const auto& b = bars[i];
    const int x = left + static_cast<int>(slot * static_cast<double>(i) + slot * 0.15);
    const int w = std::clamp(static_cast<int>(slot * 0.7), 2, 48);
    const int centre = x + w / 2;
    if (b.parts.empty()) {
      svg += rect(x, axis - scaled(b.value), w, scaled(b.value), colour(b, 0),
                  b.label + " " + b.sublabel + ": " + std::to_string(b.value));
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
    if (values && b.value > 0)
      svg +=
          text_at(centre, axis - scaled(b.value) - 4, "middle", std::to_string(b.value), "value");
    if (bars.size() <= 16 || i % ((bars.size() + 15) / 16) == 0)
      svg += text_at(centre, axis + 16, "middle", b.label);
    if (!b.sublabel.empty()) svg += text_at(centre, axis + 31, "middle", b.sublabel);
  }
  int lx = left;
  for (std::size_t k = 0; k < legend.size(); ++k) {
    svg += "<rect x=\"" + std::to_string(lx) + "\" y=\"" + std::to_string(height - 14) +
           "\" width=\"10\" height=\"10\" fill=\"" + kPalette[k % std::size(kPalette)] + "\"/>";
    svg += text_at(lx + 14, height - 5, "start", legend[k]);
    // Characters, not bytes: a Cyrillic letter is two bytes and about as wide as a Latin one.
    const auto chars = std::count_if(legend[k].begin(), legend[k].end(), [](char c) {
      return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    });
    lx += 24 + static_cast<int>(chars) * 7;
  }
  return svg + "</svg>";
}

}  // namespace md::http::web
