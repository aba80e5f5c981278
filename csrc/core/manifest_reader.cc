// A strict JSON scanner for the MonoCut lines Lhotse writes, and the convert.py rules on them.
#include "core/manifest_reader.h"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <string_view>
#include <unordered_map>

namespace spelangy {
namespace {

constexpr double kAlignmentTolerance = 0.01;  // convert.ALIGNMENT_TOLERANCE
constexpr int kMaxDepth = 64;
constexpr int kMaxExactIntDigits = 15;  // beyond, int -> float rounding is not worth matching

// Thrown inside the reader only; `read` turns it into the returned reason.
struct Unhandled {
  const char* why;
};

[[noreturn]] void unhandled(const char* why) { throw Unhandled{why}; }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Length of the well-formed UTF-8 sequence at p (as Python's strict decoder accepts it), or 0.
size_t utf8_length(const unsigned char* p, const unsigned char* end) {
  const unsigned char c = p[0];
  auto cont = [&](size_t i, unsigned char lo, unsigned char hi) {
    return p + i < end && p[i] >= lo && p[i] <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(1, 0x80, 0xBF) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    const unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

// Decodes one code point of valid UTF-8 and advances `i`.
uint32_t next_code_point(const std::string& s, size_t* i) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + *i;
  if (p[0] < 0x80) { *i += 1; return p[0]; }
  if (p[0] < 0xE0) { *i += 2; return ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu); }
  if (p[0] < 0xF0) {
    *i += 3;
    return ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
  }
  *i += 4;
  return ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
}

// Python's `str.isspace`, which `str.split()` and `str.strip()` use.
bool is_py_space(uint32_t c) {
  if (c < 0x80) return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool has_space(const std::string& arena, size_t begin, size_t len) {
  for (size_t i = begin; i < begin + len;) {
    if (is_py_space(next_code_point(arena, &i))) return true;
  }
  return false;
}

bool is_blank(const std::string& arena, size_t begin, size_t len) {
  for (size_t i = begin; i < begin + len;) {
    if (!is_py_space(next_code_point(arena, &i))) return false;
  }
  return true;
}

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
  const std::string& key() {
    key_.clear();
    string(&key_);
    expect(':');
    return key_;
  }
  // Appends the decoded string to `out` (validates and drops it when null).
  void string(std::string* out) {
    expect('"');
    for (;;) {
      const char* run = p_;
      while (p_ < end_ && static_cast<unsigned char>(*p_) >= 0x20 &&
             static_cast<unsigned char>(*p_) < 0x80 && *p_ != '"' && *p_ != '\\') {
        ++p_;
      }
      if (out) out->append(run, p_);
      if (p_ == end_) unhandled("unterminated string");
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') { ++p_; return; }
      if (c < 0x20) unhandled("control character in a string");
      if (c == '\\') {
        escape(out);
        continue;
      }
      const size_t n = utf8_length(reinterpret_cast<const unsigned char*>(p_),
                                   reinterpret_cast<const unsigned char*>(end_));
      if (n == 0) unhandled("invalid UTF-8");
      if (out) out->append(p_, n);
      p_ += n;
    }
  }
  double number(bool* is_int = nullptr) {
    ws();
    const char* begin = p_;
    const bool negative = p_ < end_ && *p_ == '-';
    if (negative) ++p_;
    const char* digits = p_;
    // The decimal digits as an integer mantissa and a power of ten, for Clinger's fast path.
    uint64_t mantissa = 0;
    int num_digits = 0, exponent = 0;
    auto take = [&](char c) {
      if (mantissa == 0 && c == '0') return;  // leading zeros carry no digits
      mantissa = mantissa * 10 + static_cast<uint64_t>(c - '0');
      ++num_digits;
    };
    if (p_ < end_ && *p_ == '0') {
      ++p_;
    } else if (p_ < end_ && *p_ >= '1' && *p_ <= '9') {
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
        if (num_digits < 19) take(*p_); else ++exponent;
        ++p_;
      }
    } else {
      unhandled("not a number");
    }
    const bool integer = p_ == end_ || (*p_ != '.' && *p_ != 'e' && *p_ != 'E');
    if (integer && p_ - digits > kMaxExactIntDigits) unhandled("integer too long");
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      const char* fraction = p_;
      if (!digits_follow()) unhandled("bad number");
      for (const char* c = fraction; c < p_ && num_digits < 19; ++c) {
        take(*c);
        --exponent;
      }
    }
    bool fast = num_digits <= 15;  // mantissa < 10^15 < 2^53: exact as a double
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      const bool minus = p_ < end_ && *p_ == '-';
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      const char* exp_digits = p_;
      if (!digits_follow()) unhandled("bad number");
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
  bool digits_follow() {
    const char* start = p_;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    return p_ > start;
  }
  void literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
      unhandled("bad JSON literal");
    }
    p_ += word.size();
  }
  uint32_t hex4() {
    if (end_ - p_ < 4) unhandled("bad \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const int d = hex_digit(p_[i]);
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
        if (out) append_utf8(cp, out);
        return;
      }
      default:
        unhandled("bad escape");
    }
    if (out) out->push_back(plain);
  }

  const char* p_;
  const char* end_;
  std::string key_;
};

// Marks key `bit` of one object as read; a key read twice is left to the general path
// (JSON parsers keep the last one).
void once(unsigned* seen, unsigned bit) {
  if (*seen & bit) unhandled("duplicate key");
  *seen |= bit;
}

void read_string(Scanner& s, std::string* out) {
  if (s.peek() != '"') unhandled("expected a string");
  s.string(out);
}

// Lhotse builds its objects with `Cls(**fields)`: a key outside these fails there, so it is
// left to the general path, which reports it. Cuts with "features" are left to it too.
bool is_supervision_key(const std::string& k) {
  return k == "id" || k == "recording_id" || k == "channel" || k == "language" ||
         k == "gender" || k == "custom";
}

// An item of an alignment tier other than "word": Lhotse reads it as AlignmentItem(*item),
// which needs 3 or 4 values.
void skip_alignment_item(Scanner& s) {
  const char c = s.peek();
  if (c != '[' && c != '{') unhandled("alignment item neither a list nor an object");
  s.expect(c);
  const char close = c == '[' ? ']' : '}';
  bool first = true;
  int n = 0;
  while (s.next(close, &first)) {
    if (close == '}') s.key();
    s.skip_value();
    ++n;
  }
  if (n < 3 || n > 4) unhandled("alignment item without 3 or 4 values");
}

// Skips an object whose keys Lhotse passes to `Cls(**fields)`: all must be in `fields`, and
// the first `required` of them must be there. A key in `nested` holds a list of objects
// checked the same way against `nested_fields` (its first `nested_required` required).
void skip_fields(Scanner& s, std::initializer_list<std::string_view> fields, size_t required,
                 std::string_view nested = {},
                 std::initializer_list<std::string_view> nested_fields = {},
                 size_t nested_required = 0) {
  uint32_t seen = 0;
  bool first = true;
  s.expect('{');
  while (s.next('}', &first)) {
    const std::string& k = s.key();
    const auto at = std::find(fields.begin(), fields.end(), std::string_view(k));
    if (at == fields.end()) unhandled("a field Lhotse does not take");
    seen |= 1u << (at - fields.begin());
    if (!nested.empty() && k == nested) {
      bool first_item = true;
      s.expect('[');
      while (s.next(']', &first_item)) skip_fields(s, nested_fields, nested_required);
    } else {
      s.skip_value();
    }
  }
  if ((seen & ((1u << required) - 1)) != (1u << required) - 1) {
    unhandled("a field Lhotse needs is missing");
  }
}

// A custom value that Lhotse would turn into a Recording or an Image (and may fail on).
void skip_custom_value(Scanner& s) {
  if (s.peek() != '{') {
    s.skip_value();
    return;
  }
  s.expect('{');
  bool first = true;
  while (s.next('}', &first)) {
    const std::string& k = s.key();
    if (k == "width" || k == "sources") unhandled("custom field that Lhotse deserializes");
    s.skip_value();
  }
}

}  // namespace

bool is_sentence_end_utf8(const char* word, size_t size) {
  const auto* w = reinterpret_cast<const unsigned char*>(word);
  size_t n = size;
  for (;;) {  // rstrip the closers "')]} and U+201D, U+2019
    if (n >= 1 && (w[n - 1] == '"' || w[n - 1] == '\'' || w[n - 1] == ')' || w[n - 1] == ']' ||
                   w[n - 1] == '}')) {
      n -= 1;
    } else if (n >= 3 && w[n - 3] == 0xE2 && w[n - 2] == 0x80 &&
               (w[n - 1] == 0x9D || w[n - 1] == 0x99)) {
      n -= 3;
    } else {
      break;
    }
  }
  if (n >= 1 && (w[n - 1] == '.' || w[n - 1] == '!' || w[n - 1] == '?')) return true;
  return n >= 3 && w[n - 3] == 0xE2 && w[n - 2] == 0x80 && w[n - 1] == 0xA6;  // U+2026
}

std::string ManifestReader::read(const char* data, size_t size, ManifestLine* out) {
  try {
    parse(data, size, out);
    build(out);
  } catch (const Unhandled& u) {
    return u.why;
  }
  return "";
}

void ManifestReader::parse(const char* data, size_t size, ManifestLine* out) {
  arena_.clear();
  sups_.clear();
  items_.clear();
  Scanner s(data, size);
  enum : unsigned { kType = 1, kId = 2, kStart = 4, kDuration = 8, kSups = 16, kCustom = 32 };
  enum : unsigned { kTokens = 64, kVocab = 128, kArray = 256, kShift = 512, kArrStart = 1024 };
  enum : unsigned { kDim = 2048, kStorType = 4096, kStorPath = 8192, kStorKey = 16384 };
  enum : unsigned { kShape = 32768, kChannel = 65536 };
  unsigned seen = 0;
  std::vector<int64_t> shape;
  int64_t temporal_dim = 0;
  std::string type;
  bool first = true;
  s.expect('{');
  while (s.next('}', &first)) {
    const std::string& k = s.key();
    if (k == "type") {
      once(&seen, kType);
      read_string(s, &type);
      if (type != "MonoCut") unhandled("not a MonoCut");
    } else if (k == "id") {
      once(&seen, kId);
      out->cut_id.clear();
      read_string(s, &out->cut_id);
    } else if (k == "start") {
      once(&seen, kStart);
      out->start = s.number();
    } else if (k == "duration") {
      once(&seen, kDuration);
      out->duration = s.number();
    } else if (k == "supervisions") {
      once(&seen, kSups);
      bool first_sup = true;
      s.expect('[');
      while (s.next(']', &first_sup)) {
        Sup sup;
        unsigned sup_seen = 0;
        bool first_field = true;
        s.expect('{');
        while (s.next('}', &first_field)) {
          const std::string& f = s.key();
          if (f == "start") {
            once(&sup_seen, 1);
            sup.start = s.number();
          } else if (f == "duration") {
            once(&sup_seen, 2);
            sup.duration = s.number();
          } else if (f == "speaker") {
            once(&sup_seen, 4);
            if (!s.null()) {
              sup.has_speaker = true;
              sup.speaker = arena_.size();
              read_string(s, &arena_);
              sup.speaker_len = arena_.size() - sup.speaker;
            }
          } else if (f == "text") {
            once(&sup_seen, 8);
            sup.has_text = true;
            sup.text = arena_.size();
            read_string(s, &arena_);
            sup.text_len = arena_.size() - sup.text;
          } else if (f == "alignment") {
            once(&sup_seen, 16);
            sup.items_begin = sup.items_end = items_.size();
            bool first_tier = true, word_seen = false;
            s.expect('{');
            while (s.next('}', &first_tier)) {
              if (s.key() != "word") {
                bool first_other = true;
                s.expect('[');
                while (s.next(']', &first_other)) skip_alignment_item(s);
                continue;
              }
              if (word_seen) unhandled("duplicate key");
              word_seen = true;
              bool first_item = true;
              s.expect('[');
              while (s.next(']', &first_item)) {
                // Lhotse reads a list item as AlignmentItem(symbol, start, duration[, score]).
                if (s.peek() != '[') unhandled("alignment item not in the list form");
                s.expect('[');
                Item item;
                item.symbol = arena_.size();
                read_string(s, &arena_);
                item.symbol_len = arena_.size() - item.symbol;
                s.expect(',');
                item.start = s.number();
                s.expect(',');
                item.duration = s.number();
                if (s.peek() == ',') {
                  s.expect(',');
                  s.skip_value();
                }
                s.expect(']');
                items_.push_back(item);
              }
            }
            sup.items_end = items_.size();
          } else if (is_supervision_key(f)) {
            if (f == "id" || f == "recording_id") sup_seen |= f == "id" ? 32 : 64;
            s.skip_value();
          } else {
            unhandled("unknown supervision field");
          }
        }
        if ((sup_seen & 99) != 99) unhandled("supervision without a field Lhotse needs");
        if (!sup.has_text) unhandled("supervision without text");
        sups_.push_back(sup);
      }
    } else if (k == "custom") {
      once(&seen, kCustom);
      bool first_custom = true;
      s.expect('{');
      while (s.next('}', &first_custom)) {
        const std::string& c = s.key();
        if (c == "speech_vocab_size") {
          once(&seen, kVocab);
          out->has_vocab_size = !s.null();
          if (out->has_vocab_size) out->speech_vocab_size = s.integer();
        } else if (c == "speech_tokens") {
          once(&seen, kTokens);
          bool first_token_field = true;
          s.expect('{');
          while (s.next('}', &first_token_field)) {
            const std::string& t = s.key();
            if (t == "frame_shift") {
              once(&seen, kShift);
              out->frame_shift = s.number();
            } else if (t == "start") {
              once(&seen, kArrStart);
              out->array_start = s.number();
            } else if (t == "temporal_dim") {
              once(&seen, kDim);
              temporal_dim = s.integer();
            } else if (t == "array") {
              once(&seen, kArray);
              bool first_array_field = true;
              s.expect('{');
              while (s.next('}', &first_array_field)) {
                const std::string& a = s.key();
                if (a == "storage_type") {
                  once(&seen, kStorType);
                  out->storage_type.clear();
                  read_string(s, &out->storage_type);
                } else if (a == "storage_path") {
                  once(&seen, kStorPath);
                  out->storage_path.clear();
                  read_string(s, &out->storage_path);
                } else if (a == "storage_key") {
                  once(&seen, kStorKey);
                  out->storage_key.clear();
                  read_string(s, &out->storage_key);
                } else if (a == "shape") {
                  once(&seen, kShape);
                  bool first_dim = true;
                  s.expect('[');
                  while (s.next(']', &first_dim)) shape.push_back(s.integer());
                } else {
                  unhandled("unknown field of a speech_tokens array");
                }
              }
            } else {
              unhandled("unknown field of speech_tokens");
            }
          }
        } else {
          skip_custom_value(s);
        }
      }
    } else if (k == "recording") {
      // Lhotse builds Recording and AudioSource objects from it (no transforms or video here).
      skip_fields(s, {"id", "sources", "sampling_rate", "num_samples", "duration", "channel_ids"},
                  5, "sources", {"type", "channels", "source"}, 3);
    } else if (k == "channel") {
      seen |= kChannel;
      s.skip_value();
    } else {
      unhandled("unknown cut field");
    }
  }
  if (!s.at_end()) unhandled("data after the JSON object");
  const unsigned needed = kType | kId | kStart | kDuration | kChannel | kSups | kCustom |
                          kTokens | kArray | kShift | kArrStart | kDim | kStorType | kStorPath |
                          kStorKey | kShape;
  if ((seen & needed) != needed) unhandled("a field the fast reader needs is missing");
  if (temporal_dim < 0 || temporal_dim >= static_cast<int64_t>(shape.size())) {
    unhandled("temporal_dim outside the array shape");
  }
  out->num_frames = shape[static_cast<size_t>(temporal_dim)];
}

void ManifestReader::build(ManifestLine* out) {
  const size_t num_turns = sups_.size();
  if (num_turns == 0) unhandled("no supervisions");
  order_.resize(num_turns);
  for (size_t i = 0; i < num_turns; ++i) order_[i] = i;
  std::stable_sort(order_.begin(), order_.end(),
                   [&](size_t a, size_t b) { return sups_[a].start < sups_[b].start; });
  const double offset = out->start;
  std::unordered_map<std::string_view, int32_t> speakers;
  int32_t none_speaker = -1;
  out->turn_start.resize(num_turns);
  out->turn_end.resize(num_turns);
  out->turn_speaker.resize(num_turns);
  out->turn_aligned.assign(num_turns, 0);
  out->turn_word_offsets.assign(num_turns + 1, 0);
  out->words.clear();
  out->word_start.clear();
  out->word_end.clear();
  out->word_sentence_end.clear();
  int32_t num_speakers = 0;
  for (size_t t = 0; t < num_turns; ++t) {
    const Sup& sup = sups_[order_[t]];
    const double ts = sup.start, te = sup.start + sup.duration;
    out->turn_start[t] = ts;
    out->turn_end[t] = te;
    if (sup.has_speaker) {
      const auto found = speakers.emplace(std::string_view(arena_).substr(sup.speaker,
                                                                          sup.speaker_len),
                                          num_speakers);
      if (found.second) ++num_speakers;
      out->turn_speaker[t] = found.first->second;
    } else {
      if (none_speaker < 0) none_speaker = num_speakers++;
      out->turn_speaker[t] = none_speaker;
    }
    // text.split()
    words_.clear();
    size_t word_begin = 0;
    bool in_word = false;
    for (size_t i = sup.text, end = sup.text + sup.text_len; i < end;) {
      const size_t at = i;
      const bool space = is_py_space(next_code_point(arena_, &i));
      if (space && in_word) words_.emplace_back(word_begin, at - word_begin);
      if (!space && !in_word) word_begin = at;
      in_word = !space;
    }
    if (in_word) words_.emplace_back(word_begin, sup.text + sup.text_len - word_begin);
    if (words_.empty()) unhandled("empty transcript");
    // The alignment items with a symbol that is not blank, stably sorted by start.
    item_order_.clear();
    for (size_t i = sup.items_begin; i < sup.items_end; ++i) {
      if (!is_blank(arena_, items_[i].symbol, items_[i].symbol_len)) item_order_.push_back(i);
    }
    std::stable_sort(item_order_.begin(), item_order_.end(),
                     [&](size_t a, size_t b) { return items_[a].start < items_[b].start; });
    if (!item_order_.empty()) {
      for (size_t i : item_order_) {
        const double ws = items_[i].start - offset;
        const double we = ws + items_[i].duration;
        if (ws < ts - kAlignmentTolerance || we > te + kAlignmentTolerance) {
          unhandled("word alignment outside its turn");
        }
        out->word_start.push_back(ws);
        out->word_end.push_back(we);
      }
      if (item_order_.size() != words_.size()) {
        words_.clear();
        for (size_t i : item_order_) {
          if (has_space(arena_, items_[i].symbol, items_[i].symbol_len)) {
            unhandled("alignment symbol with whitespace inside");
          }
          words_.emplace_back(items_[i].symbol, items_[i].symbol_len);
        }
      }
      out->turn_aligned[t] = 1;
    } else {
      out->word_start.insert(out->word_start.end(), words_.size(), 0.0);
      out->word_end.insert(out->word_end.end(), words_.size(), 0.0);
    }
    for (const auto& w : words_) {
      if (!out->words.empty()) out->words.push_back(' ');
      out->words.append(arena_, w.first, w.second);
      out->word_sentence_end.push_back(is_sentence_end_utf8(arena_.data() + w.first, w.second));
    }
    out->turn_word_offsets[t + 1] = static_cast<int64_t>(out->word_start.size());
  }
  out->num_words = static_cast<int64_t>(out->word_start.size());
}

}  // namespace spelangy
