#include "cli/knn_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>

#include "simdml/atomic_file.hpp"

namespace simdml::cli {
namespace {

constexpr int kMesh = 200;                                   // cells a side
constexpr int kPlotSize = 480, kMargin = 70, kLegend = 150;  // the legend's column, right
constexpr int kCvFolds = 5, kMaxCvK = 15;
// Light region fills and the matching darker point colours, one pair per class (cycled).
constexpr const char* kRegionColors[] = {"#fdd0a2", "#c7e9c0", "#c6dbef", "#dadaeb", "#fcbba1",
                                         "#d9d9d9", "#fde0ef", "#e5f5e0", "#deebf7", "#fee6ce"};
constexpr const char* kPointColors[] = {"#e6550d", "#31a354", "#3182bd", "#756bb1", "#de2d26",
                                        "#636363", "#c51b7d", "#41ab5d", "#2171b5", "#d94801"};
constexpr int kColors = 10;

struct Axis {
  std::int64_t feature;  // column, from 0
  std::string name;      // the CSV header's, or "feature N"
  double lo, hi;
  double at(double t) const { return lo + (hi - lo) * t; }
  double fraction(double v) const { return (v - lo) / (hi - lo); }
};

std::pair<std::int64_t, std::int64_t> feature_pair(const Arguments& args, const Dataset& train) {
  if (train.features < 2) throw UsageError("--plot needs at least two features");
  const std::string text = args.get_or(
      "plot-features", std::to_string(train.features - 1) + "," + std::to_string(train.features));
  const std::vector<std::string_view> items = split_list(text);
  std::int64_t column[2] = {0, 0};
  bool ok = items.size() == 2;
  for (std::size_t i = 0; ok && i < 2; ++i) {
    const std::string item(items[i]);
    char* end = nullptr;
    column[i] = std::strtoll(item.c_str(), &end, 10);
    ok = !item.empty() && *end == '\0' && column[i] >= 1 && column[i] <= train.features;
  }
  if (!ok || column[0] == column[1])
    throw UsageError("--plot-features must name two different columns from 1 to " +
                     std::to_string(train.features) + ", such as 3,4; got '" + text + "'");
  return {column[0] - 1, column[1] - 1};
}

Dataset two_features(const Dataset& train, std::int64_t a, std::int64_t b) {
  Dataset d;
  d.name = train.name + " (2 features)";
  d.samples = train.samples;
  d.features = 2;
  d.classes = train.classes;
  d.labels = train.labels;
  d.class_names = train.class_names;
  if (!train.feature_names.empty())
    d.feature_names = {train.feature_names[static_cast<std::size_t>(a)],
                       train.feature_names[static_cast<std::size_t>(b)]};
  for (std::int64_t r = 0; r < train.samples; ++r) {
    d.x.push_back(train.row(r)[a]);
    d.x.push_back(train.row(r)[b]);
  }
  return d;
}

Axis axis_of(const Dataset& d, int column, std::int64_t feature) {
  double lo = std::numeric_limits<double>::max(), hi = std::numeric_limits<double>::lowest();
  for (std::int64_t r = 0; r < d.samples; ++r) {
    lo = std::min<double>(lo, d.row(r)[column]);
    hi = std::max<double>(hi, d.row(r)[column]);
  }
  const double pad = std::max(0.05 * (hi - lo), 0.5);
  std::string name = d.feature_names.empty() ? "feature " + std::to_string(feature + 1)
                                             : d.feature_names[static_cast<std::size_t>(column)];
  std::replace(name.begin(), name.end(), '_', ' ');  // petal_length -> petal length
  return {feature, name, lo - pad, hi + pad};
}

int plot_k(const Arguments& args, const KnnKernel& kernel, const Dataset& d, int threads) {
  const std::int64_t fold_rows = (d.samples + kCvFolds - 1) / kCvFolds;
  const auto largest = static_cast<int>(std::min<std::int64_t>(kMaxCvK, d.samples - fold_rows));
  if (args.has("plot-k")) return static_cast<int>(args.get_int("plot-k", 1, 1, d.samples));
  if (largest < 1) throw UsageError("--plot: too few rows to cross-validate k; give --plot-k");
  std::vector<int> ks;
  for (int k = 1; k <= largest; ++k) ks.push_back(k);
  const auto seed =
      static_cast<std::uint64_t>(args.get_int("seed", 1, 0, std::numeric_limits<long long>::max()));
  return cross_validate(kernel, d, kCvFolds, ks, KnnVoting{}, seed, threads).best_k;
}

// The class of every mesh cell, row by row from the top (the highest y).
std::vector<std::int32_t> classify_mesh(const KnnKernel& kernel, const Dataset& d, const Axis& x,
                                        const Axis& y, int k, int threads) {
  Dataset mesh;
  mesh.name = "mesh";
  mesh.samples = std::int64_t{kMesh} * kMesh;
  mesh.features = 2;
  mesh.classes = d.classes;
  for (int row = 0; row < kMesh; ++row)
    for (int col = 0; col < kMesh; ++col) {
      mesh.x.push_back(static_cast<float>(x.at((col + 0.5) / kMesh)));
      mesh.x.push_back(static_cast<float>(y.at(1.0 - (row + 0.5) / kMesh)));
    }
  mesh.labels.assign(static_cast<std::size_t>(mesh.samples), 0);
  const Neighbors n = find_neighbors(kernel, d, mesh, KnnSearch{k, threads});
  std::vector<std::int32_t> classes(static_cast<std::size_t>(mesh.samples));
  for (std::int64_t q = 0; q < mesh.samples; ++q)
    classes[static_cast<std::size_t>(q)] = knn_vote(n, q, k, d.labels, d.classes, KnnVoting{});
  return classes;
}

// Tick values 1, 2 or 5 times a power of ten apart, about six across the axis (matplotlib's way).
std::vector<double> ticks(const Axis& axis) {
  const double raw = (axis.hi - axis.lo) / 6.0;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10.0 * magnitude;
  for (const double m : {1.0, 2.0, 5.0})
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  std::vector<double> out;
  for (double t = std::ceil(axis.lo / step) * step; t <= axis.hi; t += step)
    out.push_back(std::abs(t) < 1e-9 * step ? 0.0 : t);
  return out;
}

// Text from a data file (a CSV header) is escaped before it becomes SVG.
std::string xml_text(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// printf into the end of `out`, whatever the length: names from a data file can be long.
[[gnu::format(printf, 2, 3)]] void append_format(std::string& out, const char* format, ...) {
  std::va_list args, again;
  va_start(args, format);
  va_copy(again, args);
  const int n = std::vsnprintf(nullptr, 0, format, args);
  va_end(args);
  const std::size_t at = out.size();
  out.resize(at + static_cast<std::size_t>(n) + 1);
  std::vsnprintf(out.data() + at, static_cast<std::size_t>(n) + 1, format, again);
  va_end(again);
  out.resize(at + static_cast<std::size_t>(n));
}

std::string class_name(const Dataset& d, std::int32_t c) {
  return c < static_cast<std::int32_t>(d.class_names.size())
             ? d.class_names[static_cast<std::size_t>(c)]
             : "class " + std::to_string(c);
}

// Each mesh row as runs of one class, edges crisp so that no seams show between runs.
void draw_regions(std::string& out, const std::vector<std::int32_t>& classes) {
  const double cell = static_cast<double>(kPlotSize) / kMesh;
  out += "<g shape-rendering=\"crispEdges\">\n";
  for (int row = 0; row < kMesh; ++row)
    for (int col = 0; col < kMesh;) {
      const std::int32_t c = classes[static_cast<std::size_t>(row * kMesh + col)];
      int end = col;
      while (end < kMesh && classes[static_cast<std::size_t>(row * kMesh + end)] == c) ++end;
      append_format(out,
                    "<rect class=\"region\" data-class=\"%d\" x=\"%.2f\" y=\"%.2f\" "
                    "width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>\n",
                    c, kMargin + col * cell, kMargin + row * cell, (end - col) * cell + 0.3,
                    cell + 0.3, kRegionColors[c % kColors]);
      col = end;
    }
  out += "</g>\n";
}

// Tick marks and values on both axes, and each axis's name.
void draw_axes(std::string& out, const Axis& x, const Axis& y) {
  const int bottom = kMargin + kPlotSize;
  for (const double t : ticks(x)) {
    const double px = kMargin + x.fraction(t) * kPlotSize;
    append_format(out,
                  "<line class=\"tick\" x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%d\" "
                  "stroke=\"black\"/><text x=\"%.2f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n",
                  px, bottom, px, bottom + 5, px, bottom + 19, t);
  }
  for (const double t : ticks(y)) {
    const double py = kMargin + (1.0 - y.fraction(t)) * kPlotSize;
    append_format(out,
                  "<line class=\"tick\" x1=\"%d\" y1=\"%.2f\" x2=\"%d\" y2=\"%.2f\" "
                  "stroke=\"black\"/><text x=\"%d\" y=\"%.2f\" text-anchor=\"end\">%g</text>\n",
                  kMargin - 5, py, kMargin, py, kMargin - 8, py + 4.5, t);
  }
  append_format(out,
                "<text class=\"axis-name\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                kMargin + kPlotSize / 2, bottom + 42, xml_text(x.name).c_str());
  append_format(out,
                "<text class=\"axis-name\" transform=\"translate(%d,%d) rotate(-90)\" "
                "text-anchor=\"middle\">%s</text>\n",
                kMargin - 45, kMargin + kPlotSize / 2, xml_text(y.name).c_str());
}

// One swatch and name per class, beside the plot.
void draw_legend(std::string& out, const Dataset& d) {
  const int left = kMargin + kPlotSize + 20;
  for (std::int32_t c = 0; c < d.classes; ++c) {
    const int top = kMargin + 10 + 24 * c;
    append_format(
        out,
        "<g class=\"legend\" data-class=\"%d\"><rect x=\"%d\" y=\"%d\" width=\"16\" height=\"16\" "
        "fill=\"%s\" stroke=\"black\" stroke-width=\"0.6\"/><circle cx=\"%d\" cy=\"%d\" r=\"4\" "
        "fill=\"%s\" stroke=\"black\" stroke-width=\"0.6\"/><text x=\"%d\" "
        "y=\"%d\">%s</text></g>\n",
        c, left, top, kRegionColors[c % kColors], left + 8, top + 8, kPointColors[c % kColors],
        left + 24, top + 13, xml_text(class_name(d, c)).c_str());
  }
}

std::string svg(const Dataset& d, const Axis& x, const Axis& y, int k,
                const std::vector<std::int32_t>& classes) {
  std::string out;
  append_format(out,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                "font-family=\"sans-serif\" font-size=\"13\">\n<rect width=\"100%%\" "
                "height=\"100%%\" fill=\"white\"/>\n",
                kPlotSize + 2 * kMargin + kLegend, kPlotSize + 2 * kMargin);
  draw_regions(out, classes);
  for (std::int64_t r = 0; r < d.samples; ++r) {
    const double px = kMargin + x.fraction(d.row(r)[0]) * kPlotSize;
    const double py = kMargin + (1.0 - y.fraction(d.row(r)[1])) * kPlotSize;
    const std::int32_t c = d.labels[static_cast<std::size_t>(r)];
    append_format(out,
                  "<circle class=\"point\" cx=\"%.2f\" cy=\"%.2f\" r=\"4\" fill=\"%s\" "
                  "stroke=\"black\" stroke-width=\"0.6\"/>\n",
                  px, py, kPointColors[c % kColors]);
  }
  append_format(out,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                "stroke=\"black\"/>\n",
                kMargin, kMargin, kPlotSize, kPlotSize);
  draw_axes(out, x, y);
  draw_legend(out, d);
  const std::string title = xml_text(d.name.substr(0, d.name.find(" (")));
  append_format(out,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"15\">%s: %d-class "
                "k-NN decision regions, k = %d, uniform weights</text>\n</svg>\n",
                kMargin + kPlotSize / 2, kMargin - 20, title.c_str(), d.classes, k);
  return out;
}

}  // namespace

int draw_decision_regions(const Arguments& args, const Dataset& train, const KnnKernel& kernel,
                          int threads) {
  const auto [a, b] = feature_pair(args, train);
  const Dataset d = two_features(train, a, b);
  const int k = plot_k(args, kernel, d, threads);
  const Axis x = axis_of(d, 0, a), y = axis_of(d, 1, b);
  const std::vector<std::int32_t> classes = classify_mesh(kernel, d, x, y, k, threads);
  const std::string path = *args.get("plot");
  write_file_atomically(path, svg(d, x, y, k, classes));
  std::printf("plot     %s: decision regions of features %lld and %lld, k = %d%s\n", path.c_str(),
              static_cast<long long>(a + 1), static_cast<long long>(b + 1), k,
              args.has("plot-k") ? "" : " (best of a 5-fold cross-validation)");
  return 0;
}

}  // namespace simdml::cli
