// The CSV reader for small numeric tables (iris): features, then an integer label, per row.
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
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

// A leading '+' is taken as C's strtod takes it (std::from_chars refuses it).
std::string_view without_plus(std::string_view field) {
  return field.size() > 1 && field.front() == '+' && field[1] != '-' && field[1] != '+'
             ? field.substr(1)
             : field;
}

std::optional<double> parse_number(std::string_view field) {
  field = without_plus(field);
  double value = 0.0;
  const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (field.empty() || error != std::errc() || end != field.data() + field.size())
    return std::nullopt;
  return value;
}

std::optional<int> parse_label(std::string_view field) {
  field = without_plus(field);
  int label = -1;
  const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), label);
  if (field.empty() || error != std::errc() || end != field.data() + field.size() || label < 0 ||
      label >= kMaxClasses)
    return std::nullopt;
  return label;
}

// The first row names the columns when none of its fields is a number; a row of numbers is data;
// a row that mixes both is neither, and an error (a header would silently eat a data row).
bool is_header(const std::vector<std::string_view>& fields, const std::filesystem::path& path,
               std::size_t line) {
  std::size_t numbers = 0;
  for (std::string_view f : fields) numbers += parse_number(f).has_value();
  if (numbers == 0) return true;
  if (numbers == fields.size()) return false;
  fail(path, line,
       "mixes numbers and names: neither a header (all names) nor a data row (all numbers)");
}

std::string_view without_byte_order_mark(std::string_view line) {
  return line.starts_with("\xEF\xBB\xBF") ? line.substr(3) : line;
}

}  // namespace

Dataset load_csv_dataset(const std::filesystem::path& path, std::string name) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) throw DataError(path.string() + ": no such file");
  if (std::filesystem::is_directory(status))
    throw DataError(path.string() + ": is a directory, not a file");
  if (!std::filesystem::is_regular_file(status))
    throw DataError(path.string() + ": is not a regular file (a FIFO, a device or a socket)");
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
    const auto fields =
        split_fields(line_number == 1 ? without_byte_order_mark(line) : std::string_view(line));
    if (columns == 0) {
      columns = fields.size();
      if (is_header(fields, path, line_number)) {
        data.feature_names.assign(fields.begin(), fields.end() - 1);
        continue;
      }
    }
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
      if (std::fabs(*value) > std::numeric_limits<float>::max())
        fail(path, line_number,
             "field " + std::to_string(c + 1) + " '" + std::string(fields[c]) +
                 "' is beyond float's range (3.4e38)");
      data.x.push_back(static_cast<float>(*value));
    }
    const auto label = parse_label(fields.back());
    if (!label)
      fail(path, line_number,
           "label '" + std::string(fields.back()) + "' is not an integer from 0 to " +
               std::to_string(kMaxClasses - 1) + " (classes are numbered from 0, at most " +
               std::to_string(kMaxClasses) + ")");
    data.labels.push_back(*label);
    max_label = std::max(max_label, *label);
    ++data.samples;
  }
  if (in.bad()) throw DataError(path.string() + ": read error");
  if (data.samples == 0) throw DataError(path.string() + ": no data rows");
  data.features = static_cast<std::int64_t>(columns) - 1;
  data.classes = max_label + 1;
  return data;
}

}  // namespace simdml
