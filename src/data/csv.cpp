// The CSV reader for small numeric tables (iris): features, then an integer label, per row.
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "simdml/data.hpp"

namespace simdml {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, std::size_t line,
                       const std::string& what) {
  throw DataError(path.string() + ":" + std::to_string(line) + ": " + what);
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    std::string_view field = line.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!field.empty() && (field.front() == ' ' || field.front() == '\t'))
      field.remove_prefix(1);
    while (!field.empty() && (field.back() == ' ' || field.back() == '\t' || field.back() == '\r'))
      field.remove_suffix(1);
    fields.push_back(field);
    if (comma == std::string_view::npos) return fields;
    start = comma + 1;
  }
}

std::optional<double> parse_number(std::string_view field) {
  double value = 0.0;
  const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (field.empty() || error != std::errc() || end != field.data() + field.size())
    return std::nullopt;
  return value;
}

bool is_numeric_row(const std::vector<std::string_view>& fields) {
  for (std::string_view f : fields)
    if (!parse_number(f)) return false;
  return true;
}

}  // namespace

Dataset load_csv_dataset(const std::filesystem::path& path, std::string name) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw DataError(path.string() + ": no such file");
  if (std::filesystem::is_directory(path, ec))
    throw DataError(path.string() + ": is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path.string() + ": cannot open");

  Dataset data;
  data.name = std::move(name);
  std::string line;
  std::size_t line_number = 0;
  std::size_t columns = 0;
  int max_label = -1;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank lines
    const auto fields = split_fields(line);
    if (columns == 0 && !is_numeric_row(fields)) {  // the first row names the columns
      columns = fields.size();
      continue;
    }
    if (columns == 0) columns = fields.size();
    if (columns < 2)
      fail(path, line_number, "needs at least one feature column and a label column");
    if (fields.size() != columns)
      fail(path, line_number,
           "has " + std::to_string(fields.size()) + " fields, expected " + std::to_string(columns));
    for (std::size_t c = 0; c + 1 < columns; ++c) {
      const auto value = parse_number(fields[c]);
      if (!value || !std::isfinite(*value))
        fail(path, line_number,
             "field " + std::to_string(c + 1) + " '" + std::string(fields[c]) +
                 "' is not a finite number");
      data.x.push_back(static_cast<float>(*value));
    }
    int label = -1;
    const std::string_view label_field = fields.back();
    const auto [end, error] =
        std::from_chars(label_field.data(), label_field.data() + label_field.size(), label);
    if (error != std::errc() || end != label_field.data() + label_field.size() || label < 0 ||
        label > 65535)
      fail(path, line_number,
           "label '" + std::string(label_field) + "' is not an integer from 0 to 65535");
    data.labels.push_back(label);
    max_label = std::max(max_label, label);
    ++data.samples;
  }
  if (in.bad()) throw DataError(path.string() + ": read error");
  if (data.samples == 0) throw DataError(path.string() + ": no data rows");
  data.features = static_cast<std::int64_t>(columns) - 1;
  data.classes = max_label + 1;
  return data;
}

}  // namespace simdml
