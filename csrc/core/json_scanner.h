// A strict, allocation-light JSON scanner: what the manifest reader needs, nothing more.
#ifndef SPELANGY_CORE_JSON_SCANNER_H_
#define SPELANGY_CORE_JSON_SCANNER_H_

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/utf8.h"

namespace spelangy::json {

// Thrown for anything outside what the scanner (or its caller) takes; the caller turns it
// into a reason string and leaves the line to the general path.
struct Unhandled {
  const char* why;
};

[[noreturn]] inline void unhandled(const char* why) { throw Unhandled{why}; }

constexpr int kMaxDepth = 64;
constexpr int kMaxExactIntDigits = 15;  // beyond, int -> float rounding is not worth matching

class Scanner {
 public:
  Scanner(const char* data, size_t size) : p_(data), end_(data + size) {}

  void ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  char peek() {
    ws();
    return p_ < end_ ? *p_ : '\0';
  }
  void expect(char c) {
    if (peek() != c) unhandled("not the JSON expected");
    ++p_;
  }
  bool at_end() {
    ws();
    return p_ == end_;
  }
  bool null() {
    if (peek() != 'n') return false;
    literal("null");
    return true;
  }
  // Another element of the array or object being read? Consumes the separator or closer.
  bool next(char close, bool* first) {
    const char c = peek();
    if (*first) {
      *first = false;
      if (c == close) { ++p_; return false; }
      return true;
    }
    ++p_;
    if (c == ',') return true;
    if (c == close) return false;
    unhandled("bad JSON separator");
  }
  // An object key and its colon. Keys are plain ASCII in Lhotse's manifests: those are
  // returned as a view into the line; others are decoded into a buffer.
  std::string_view key() {
    expect('"');
    const char* begin = p_;
    while (p_ < end_ && is_plain(*p_)) ++p_;
    std::string_view k;
    if (p_ < end_ && *p_ == '"') {
      k = std::string_view(begin, static_cast<size_t>(p_ - begin));
      ++p_;
    } else {
      key_.assign(begin, p_);
      string_body(&key_);
      k = key_;
    }
    expect(':');
    return k;
  }
  // Appends the decoded string to `out` (validates and drops it when null).
  void string(std::string* out) {
    expect('"');
    string_body(out);
  }
  double number(bool* is_int = nullptr) {
    ws();
    const char* begin = p_;
    const bool negative = p_ < end_ && *p_ == '-';
    if (negative) ++p_;
    const char* digits = p_;
    // The decimal digits as an integer mantissa and a power of ten, for Clinger's fast path.
    // Leading zeros carry no digits; past 19 digits the rest only scale (integer part) or
    // are dropped (fraction), and the exact path below takes over.
    uint64_t mantissa = 0;
    int num_digits = 0, exponent = 0;
    if (p_ < end_ && *p_ == '0') {
      ++p_;
    } else if (p_ < end_ && is_digit(*p_)) {
      for (; p_ < end_ && is_digit(*p_); ++p_) {
        if (num_digits < 19) {
          mantissa = mantissa * 10 + static_cast<uint64_t>(*p_ - '0');
          ++num_digits;
        } else {
          ++exponent;
        }
      }
    } else {
      unhandled("not a number");
    }
    const bool integer = p_ == end_ || (*p_ != '.' && *p_ != 'e' && *p_ != 'E');
    if (integer && p_ - digits > kMaxExactIntDigits) unhandled("integer too long");
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      const char* fraction = p_;
      for (; p_ < end_ && is_digit(*p_); ++p_) {
        if (num_digits >= 19) continue;
        if (mantissa != 0 || *p_ != '0') {
          mantissa = mantissa * 10 + static_cast<uint64_t>(*p_ - '0');
          ++num_digits;
        }
        --exponent;
      }
      if (p_ == fraction) unhandled("bad number");
    }
    bool fast = num_digits <= 15;  // mantissa < 10^15 < 2^53: exact as a double
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      const bool minus = p_ < end_ && *p_ == '-';
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      const char* exp_digits = p_;
      while (p_ < end_ && is_digit(*p_)) ++p_;
      if (p_ == exp_digits) unhandled("bad number");
      if (p_ - exp_digits > 4) {
        fast = false;
      } else {
        int e = 0;
        for (const char* c = exp_digits; c < p_; ++c) e = e * 10 + (*c - '0');
        exponent += minus ? -e : e;
      }
    }
    double value = 0.0;
    if (fast && exponent >= -22 && exponent <= 22) {
      // Both operands are exact doubles, so one IEEE multiplication or division rounds the
      // decimal value correctly, as from_chars would (Clinger 1990).
      static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                          1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                          1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
      value = static_cast<double>(mantissa);
      value = exponent < 0 ? value / kPow10[-exponent] : value * kPow10[exponent];
      if (negative) value = -value;
    } else {
      const auto res = std::from_chars(begin, p_, value);
      if (res.ec != std::errc() || res.ptr != p_) unhandled("number out of range");
    }
    if (integer && value == 0.0) value = 0.0;  // the int -0 is 0, not the float -0.0
    if (is_int) *is_int = integer;
    return value;
  }
  int64_t integer() {
    bool is_int = false;
    const double v = number(&is_int);
    if (!is_int) unhandled("expected an integer");
    return static_cast<int64_t>(v);
  }
  void skip_value(int depth = 0) {
    if (depth > kMaxDepth) unhandled("JSON nested too deep");
    const char c = peek();
    bool first = true;
    if (c == '{') {
      ++p_;
      while (next('}', &first)) {
        string(nullptr);
        expect(':');
        skip_value(depth + 1);
      }
    } else if (c == '[') {
      ++p_;
      while (next(']', &first)) skip_value(depth + 1);
    } else if (c == '"') {
      string(nullptr);
    } else if (c == 't') {
      literal("true");
    } else if (c == 'f') {
      literal("false");
    } else if (c == 'n') {
      literal("null");
    } else {
      number();
    }
  }

 private:
  // Printable ASCII other than the quote and the backslash: copied as it is.
  static bool is_plain(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
  }
  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  // The rest of a string after its opening quote.
  void string_body(std::string* out) {
    for (;;) {
      const char* run = p_;
      while (p_ < end_ && is_plain(*p_)) ++p_;
      if (out) out->append(run, static_cast<size_t>(p_ - run));
      if (p_ == end_) unhandled("unterminated string");
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') { ++p_; return; }
      if (c < 0x20) unhandled("control character in a string");
      if (c == '\\') {
        escape(out);
        continue;
      }
      const size_t n = utf8::utf8_length(reinterpret_cast<const unsigned char*>(p_),
                                         reinterpret_cast<const unsigned char*>(end_));
      if (n == 0) unhandled("invalid UTF-8");
      if (out) out->append(p_, n);
      p_ += n;
    }
  }
  // Compared byte by byte: literals are four or five bytes, too short for a memcmp call.
  void literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size()) unhandled("bad JSON literal");
    for (size_t i = 0; i < word.size(); ++i) {
      if (p_[i] != word[i]) unhandled("bad JSON literal");
    }
    p_ += word.size();
  }
  uint32_t hex4() {
    if (end_ - p_ < 4) unhandled("bad \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const int d = utf8::hex_digit(p_[i]);
      if (d < 0) unhandled("bad \\u escape");
      v = v * 16 + static_cast<uint32_t>(d);
    }
    p_ += 4;
    return v;
  }
  void escape(std::string* out) {
    ++p_;  // the backslash
    if (p_ == end_) unhandled("unterminated string");
    const char e = *p_++;
    char plain = 0;
    switch (e) {
      case '"': plain = '"'; break;
      case '\\': plain = '\\'; break;
      case '/': plain = '/'; break;
      case 'b': plain = '\b'; break;
      case 'f': plain = '\f'; break;
      case 'n': plain = '\n'; break;
      case 'r': plain = '\r'; break;
      case 't': plain = '\t'; break;
      case 'u': {
        uint32_t cp = hex4();
        if (cp >= 0xDC00 && cp <= 0xDFFF) unhandled("lone low surrogate");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') unhandled("lone high surrogate");
          p_ += 2;
          const uint32_t low = hex4();
          if (low < 0xDC00 || low > 0xDFFF) unhandled("lone high surrogate");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        if (out) utf8::append_utf8(cp, out);
        return;
      }
      default:
        unhandled("bad escape");
    }
    if (out) out->push_back(plain);
  }

  const char* p_;
  const char* end_;
  std::string key_;  // a key with escapes or non-ASCII bytes, decoded
};

}  // namespace spelangy::json

#endif  // SPELANGY_CORE_JSON_SCANNER_H_
