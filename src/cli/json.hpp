// A small streaming JSON writer for the programs' --json reports (numbers in shortest round-trip
// form, non-finite numbers as null, strings escaped).
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace simdml::cli {

class Json {
 public:
  Json& begin_object() { return open('{'); }
  Json& end_object() { return close('}'); }
  Json& begin_array() { return open('['); }
  Json& end_array() { return close(']'); }

  Json& key(std::string_view name) {
    separate();
    quote(name);
    out_ += ": ";
    after_key_ = true;
    return *this;
  }
  Json& value(std::string_view s) {
    return scalar([&] { quote(s); });
  }
  Json& value(const char* s) { return value(std::string_view(s)); }
  Json& value(bool b) {
    return scalar([&] { out_ += b ? "true" : "false"; });
  }
  Json& value(std::int64_t n) {
    return scalar([&] { out_ += std::to_string(n); });
  }
  Json& value(int n) { return value(static_cast<std::int64_t>(n)); }
  Json& value(double x) {
    return scalar([&] {
      if (!std::isfinite(x)) {
        out_ += "null";
        return;
      }
      char buffer[32];
      const auto end = std::to_chars(buffer, buffer + sizeof buffer, x).ptr;
      out_.append(buffer, end);
    });
  }
  template <class T>
  Json& field(std::string_view name, const T& v) {
    return key(name).value(v);
  }
  template <class T>
  Json& array(std::string_view name, const std::vector<T>& values) {
    key(name).begin_array();
    for (const T& v : values) value(v);
    return end_array();
  }

  const std::string& str() const { return out_; }

 private:
  Json& open(char c) {
    separate();
    out_ += c;
    first_.push_back(true);
    return *this;
  }
  Json& close(char c) {
    const bool empty = first_.back();
    first_.pop_back();
    if (!empty) newline();
    out_ += c;
    if (first_.empty()) out_ += '\n';
    return *this;
  }
  template <class Write>
  Json& scalar(Write write) {
    separate();
    write();
    return *this;
  }
  void separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) out_ += ',';
    first_.back() = false;
    newline();
  }
  void newline() {
    out_ += '\n';
    out_.append(2 * first_.size(), ' ');
  }
  void quote(std::string_view s) {
    out_ += '"';
    for (char c : s) {
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        char buffer[8];
        std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
        out_ += buffer;
      } else {
        out_ += c;
      }
    }
    out_ += '"';
  }

  std::string out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace simdml::cli
