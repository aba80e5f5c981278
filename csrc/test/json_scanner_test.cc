// Unit tests of the JSON scanner: numbers are parsed exactly as std::from_chars parses them
// (correctly rounded), on fresh random inputs each run; keys with escapes decode.
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include "core/json_scanner.h"

namespace {

int failures = 0;

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// The scanner's value of `text` against from_chars', bit for bit.
void check_number(const std::string& text) {
  double expected = 0.0;
  const auto res = std::from_chars(text.data(), text.data() + text.size(), expected);
  if (res.ec != std::errc() || res.ptr != text.data() + text.size()) return;  // not a number
  spelangy::json::Scanner s(text.data(), text.size());
  bool is_int = false;
  double got = 0.0;
  try {
    got = s.number(&is_int);
  } catch (const spelangy::json::Unhandled&) {
    return;  // left to the general path (long integers): allowed
  }
  if (is_int && expected == 0.0) expected = 0.0;  // the integer -0 is 0
  if (!same_bits(got, expected)) {
    std::fprintf(stderr, "number %s: got %.17g, expected %.17g\n", text.c_str(), got, expected);
    ++failures;
  }
}

std::string digits(std::mt19937_64& rng, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out.push_back(static_cast<char>('0' + rng() % 10));
  return out;
}

void test_numbers(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> seconds(0.0, 20000.0);
  char buf[64];
  for (int i = 0; i < 200000; ++i) {
    // Times as Lhotse writes them (rounded to milliseconds), and Python's repr of doubles.
    std::snprintf(buf, sizeof buf, "%.3f", seconds(rng));
    check_number(buf);
    std::snprintf(buf, sizeof buf, "%.17g", seconds(rng) * std::pow(10.0, int(rng() % 40) - 20));
    check_number(buf);
    // Arbitrary decimals: leading zeros, long mantissas, signs and exponents.
    std::string text = rng() % 4 == 0 ? "-" : "";
    text += rng() % 3 == 0 ? "0" : std::to_string(1 + rng() % 9) + digits(rng, rng() % 22);
    if (rng() % 2) text += "." + std::string(rng() % 4, '0') + digits(rng, 1 + rng() % 24);
    if (rng() % 3 == 0) text += (rng() % 2 ? "e-" : "e") + std::to_string(rng() % 330);
    check_number(text);
  }
}

void test_keys() {
  const std::string line = R"({"st\u0061rt": 1.5, "plain": -0})";
  spelangy::json::Scanner s(line.data(), line.size());
  bool first = true;
  s.expect('{');
  if (!s.next('}', &first) || s.key() != "start" || s.number() != 1.5) ++failures;
  bool is_int = false;
  if (!s.next('}', &first) || s.key() != "plain") ++failures;
  const double zero = s.number(&is_int);
  if (!is_int || std::signbit(zero)) ++failures;  // the integer -0 is 0, not -0.0
  if (s.next('}', &first) || !s.at_end()) ++failures;
}

}  // namespace

int main() {
  const uint64_t seed = std::random_device{}();
  std::printf("json_scanner_test seed %" PRIu64 "\n", seed);
  test_numbers(seed);
  test_keys();
  if (failures) std::fprintf(stderr, "%d failures\n", failures);
  return failures == 0 ? 0 : 1;
}
