#include <charconv>
#include <cmath>
#include <cstdio>

#include "cli/command.hpp"

namespace simdml::cli {
namespace {

std::string format_number(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", x);
  return buffer;
}

}  // namespace

std::vector<std::string_view> split_list(std::string_view text) {
  std::vector<std::string_view> items;
  for (std::size_t start = 0;;) {
    const std::size_t comma = text.find(',', start);
    items.push_back(text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) return items;
    start = comma + 1;
  }
}

Arguments::Arguments(std::vector<std::string_view> words, std::span<const Option> accepted)
    : words_(std::move(words)) {
  const auto find = [&](std::string_view name) -> const Option* {
    for (const Option& o : accepted)
      if (o.name == name) return &o;
    return nullptr;
  };
  for (std::size_t i = 0; i < words_.size(); ++i) {
    const std::string_view word = words_[i];
    if (!word.starts_with("--"))
      throw UsageError("unexpected argument '" + std::string(word) + "'");
    std::string name(word.substr(2));
    std::optional<std::string> inline_value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    const Option* option = find(name);
    if (option == nullptr) throw UsageError("unknown option --" + name);
    if (values_.contains(name)) throw UsageError("--" + name + " is given twice");
    if (option->value.empty()) {
      if (inline_value) throw UsageError("--" + name + " takes no value");
      values_[name] = "";
    } else {
      if (!inline_value && i + 1 >= words_.size())
        throw UsageError("option --" + name + " needs a value");
      values_[name] = inline_value ? *inline_value : std::string(words_[++i]);
    }
  }
}

// Built by appending: GCC 12 warns falsely on "literal" + string (its bug 105651).
std::string Command::usage() const {
  constexpr std::size_t kWidth = 100;
  constexpr std::string_view kIndent = "\n         ";
  std::string out = "simdml ";
  out.append(name);
  std::size_t line_start = 0;
  for (const Option& o : options) {
    std::string item = "[--";
    item.append(o.name);
    if (!o.value.empty()) item.append(" ").append(o.value);
    item.append("]");
    if (out.size() - line_start + 1 + item.size() > kWidth) {
      line_start = out.size() + 1;
      out.append(kIndent);
    } else {
      out.append(" ");
    }
    out.append(item);
  }
  if (!note.empty()) out.append(options.empty() ? " " : kIndent).append(note);
  return out;
}

std::optional<std::string> Arguments::get(std::string_view name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Arguments::get_or(std::string_view name, std::string fallback) const {
  return get(name).value_or(std::move(fallback));
}

long long Arguments::get_int(std::string_view name, long long fallback, long long min,
                             long long max) const {
  const auto text = get(name);
  if (!text) return fallback;
  long long value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size() || value < min || value > max)
    throw UsageError("--" + std::string(name) + " must be an integer from " + std::to_string(min) +
                     " to " + std::to_string(max) + ", got '" + *text + "'");
  return value;
}

double Arguments::get_double(std::string_view name, double fallback, double min, double max) const {
  const auto text = get(name);
  if (!text) return fallback;
  double value = 0.0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size() || !std::isfinite(value) ||
      value < min || value > max)
    throw UsageError("--" + std::string(name) + " must be a number from " + format_number(min) +
                     " to " + format_number(max) + ", got '" + *text + "'");
  return value;
}

bool Arguments::has(std::string_view name) const { return values_.contains(name); }

}  // namespace simdml::cli
