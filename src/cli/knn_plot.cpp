#include "knn_plot.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>

#include "simdml/atomic_file.hpp"

namespace simdml::cli {
namespace {

constexpr int kMesh = 200;  // cells a side
constexpr int kPlotSize = 480, kMargin = 60;
constexpr int kCvFolds = 5, kMaxCvK = 15;
// Light region fills and the matching darker point colours, one pair per class (cycled).
constexpr const char* kRegionColors[] = {"#fdd0a2", "#c7e9c0", "#c6dbef", "#dadaeb", "#fcbba1",
                                         "#d9d9d9", "#fde0ef", "#e5f5e0", "#deebf7", "#fee6ce"};
constexpr const char* kPointColors[] = {"#e6550d", "#31a354", "#3182bd", "#756bb1", "#de2d26",
                                        "#636363", "#c51b7d", "#41ab5d", "#2171b5", "#d94801"};
constexpr int kColors = 10;

struct Axis {
  std::int64_t feature;  // column, from 0
  double lo, hi;
  double at(double t) const { return lo + (hi - lo) * t; }
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
  return {feature, lo - pad, hi + pad};
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

std::string svg(const Dataset& d, const Axis& x, const Axis& y, int k,
                const std::vector<std::int32_t>& classes) {
  const double cell = static_cast<double>(kPlotSize) / kMesh;
  std::string out;
  char buf[256];
  const auto add = [&out, &buf](int n) { out.append(buf, static_cast<std::size_t>(n)); };
  add(std::snprintf(buf, sizeof buf,
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                    "font-family=\"sans-serif\" font-size=\"13\">\n<rect width=\"100%%\" "
                    "height=\"100%%\" fill=\"white\"/>\n",
                    kPlotSize + 2 * kMargin, kPlotSize + 2 * kMargin));
  // Regions: each mesh row as runs of one class, edges crisp so that no seams show between runs.
  out += "<g shape-rendering=\"crispEdges\">\n";
  for (int row = 0; row < kMesh; ++row)
    for (int col = 0; col < kMesh;) {
      const std::int32_t c = classes[static_cast<std::size_t>(row * kMesh + col)];
      int end = col;
      while (end < kMesh && classes[static_cast<std::size_t>(row * kMesh + end)] == c) ++end;
      add(std::snprintf(buf, sizeof buf,
                        "<rect class=\"region\" data-class=\"%d\" x=\"%.2f\" y=\"%.2f\" "
                        "width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>\n",
                        c, kMargin + col * cell, kMargin + row * cell, (end - col) * cell + 0.3,
                        cell + 0.3, kRegionColors[c % kColors]));
      col = end;
    }
  out += "</g>\n";
  for (std::int64_t r = 0; r < d.samples; ++r) {
    const double px = kMargin + (d.row(r)[0] - x.lo) / (x.hi - x.lo) * kPlotSize;
    const double py = kMargin + (y.hi - d.row(r)[1]) / (y.hi - y.lo) * kPlotSize;
    const std::int32_t c = d.labels[static_cast<std::size_t>(r)];
    add(std::snprintf(buf, sizeof buf,
                      "<circle class=\"point\" cx=\"%.2f\" cy=\"%.2f\" r=\"4\" fill=\"%s\" "
                      "stroke=\"black\" stroke-width=\"0.6\"/>\n",
                      px, py, kPointColors[c % kColors]));
  }
  add(std::snprintf(buf, sizeof buf,
                    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                    "stroke=\"black\"/>\n",
                    kMargin, kMargin, kPlotSize, kPlotSize));
  add(std::snprintf(buf, sizeof buf,
                    "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"15\">%s: k-NN "
                    "decision regions, k = %d</text>\n",
                    kMargin + kPlotSize / 2, kMargin - 20, d.name.c_str(), k));
  add(std::snprintf(buf, sizeof buf,
                    "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">feature %lld (%.2f to "
                    "%.2f)</text>\n",
                    kMargin + kPlotSize / 2, kPlotSize + kMargin + 35,
                    static_cast<long long>(x.feature + 1), x.lo, x.hi));
  add(std::snprintf(buf, sizeof buf,
                    "<text transform=\"translate(%d,%d) rotate(-90)\" text-anchor=\"middle\">"
                    "feature %lld (%.2f to %.2f)</text>\n</svg>\n",
                    kMargin - 25, kMargin + kPlotSize / 2, static_cast<long long>(y.feature + 1),
                    y.lo, y.hi));
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
