// Lhotse MonoCut lines read with the strict JSON scanner, and the Lhotse reader's rules on them.
#include "core/manifest_reader.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <string_view>

#include "core/json_scanner.h"
#include "core/utf8.h"

namespace spelangy {
namespace {

using json::Scanner;
using json::unhandled;
using json::Unhandled;
using utf8::has_space;
using utf8::is_blank;
using utf8::is_py_space;
using utf8::next_code_point;

constexpr double kAlignmentTolerance = 0.01;  // lhotse_reader.ALIGNMENT_TOLERANCE
constexpr double kMaxCutSeconds = 1e7;         // lhotse_reader.MAX_CUT_SECONDS

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
bool is_supervision_key(std::string_view k) {
  return k == "id" || k == "recording_id" || k == "channel" || k == "language" ||
         k == "gender";
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

// A custom value that Lhotse would turn into a Recording or an Image (and may fail on).
void skip_custom_value(Scanner& s) {
  if (s.peek() != '{') {
    s.skip_value();
    return;
  }
  s.expect('{');
  bool first = true;
  while (s.next('}', &first)) {
    const std::string_view k = s.key();
    if (k == "width" || k == "sources") unhandled("custom field that Lhotse deserializes");
    s.skip_value();
  }
}

// A supervision's `custom`: Lhotse calls `.items()` on it, so it must be an object (or null).
void skip_custom(Scanner& s) {
  if (s.null()) return;
  if (s.peek() != '{') unhandled("a custom field that is not an object");
  s.expect('{');
  bool first = true;
  while (s.next('}', &first)) {
    s.key();
    skip_custom_value(s);
  }
}

// A recording: Lhotse builds Recording and AudioSource objects from it (no transforms or
// video here). Without "channel_ids" (or with a null one) it sorts the sources' channels,
// which must then be lists of numbers.
void skip_recording(Scanner& s) {
  constexpr std::string_view kFields[] = {"id", "sources", "sampling_rate", "num_samples",
                                          "duration", "channel_ids"};
  uint32_t seen = 0;
  bool sortable_channels = true;
  bool first = true;
  s.expect('{');
  while (s.next('}', &first)) {
    const std::string_view k = s.key();
    const auto at = std::find(std::begin(kFields), std::end(kFields), k);
    if (at == std::end(kFields)) unhandled("a field Lhotse does not take");
    if (k == "channel_ids" && s.null()) continue;  // Lhotse reads a null as absent
    seen |= 1u << (at - std::begin(kFields));
    if (k != "sources") {
      s.skip_value();
      continue;
    }
    bool first_source = true;
    s.expect('[');
    while (s.next(']', &first_source)) {
      uint32_t source_seen = 0;
      bool first_field = true;
      s.expect('{');
      while (s.next('}', &first_field)) {
        const std::string_view f = s.key();
        if (f == "type") {
          source_seen |= 1;
          s.skip_value();
        } else if (f == "source") {
          source_seen |= 2;
          s.skip_value();
        } else if (f == "channels") {
          source_seen |= 4;
          if (s.peek() != '[') {
            sortable_channels = false;
            s.skip_value();
            continue;
          }
          bool first_channel = true;
          s.expect('[');
          while (s.next(']', &first_channel)) {
            const char c = s.peek();
            if (c != '-' && (c < '0' || c > '9')) sortable_channels = false;
            s.skip_value();
          }
        } else {
          unhandled("a field Lhotse does not take");
        }
      }
      if (source_seen != 7) unhandled("a field Lhotse needs is missing");
    }
  }
  if ((seen & 31u) != 31u) unhandled("a field Lhotse needs is missing");
  if (!(seen & 32u) && !sortable_channels) unhandled("channels Lhotse cannot sort");
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
  arena_.reserve(size);  // decoded strings are never longer than the line
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
    const std::string_view k = s.key();
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
          const std::string_view f = s.key();
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
          } else if (f == "custom") {
            skip_custom(s);
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
        const std::string_view c = s.key();
        if (c == "speech_vocab_size") {
          once(&seen, kVocab);
          out->has_vocab_size = !s.null();
          if (out->has_vocab_size) out->speech_vocab_size = s.integer();
        } else if (c == "speech_tokens") {
          once(&seen, kTokens);
          bool first_token_field = true;
          s.expect('{');
          while (s.next('}', &first_token_field)) {
            const std::string_view t = s.key();
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
                const std::string_view a = s.key();
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
      skip_recording(s);
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
  const size_t num_sups = sups_.size();
  if (num_sups == 0) unhandled("no supervisions");
  order_.resize(num_sups);
  for (size_t i = 0; i < num_sups; ++i) order_[i] = i;
  const auto by_start = [&](size_t a, size_t b) { return sups_[a].start < sups_[b].start; };
  if (!std::is_sorted(order_.begin(), order_.end(), by_start)) {
    std::stable_sort(order_.begin(), order_.end(), by_start);
  }
  const double offset = out->start;
  const double cut_duration = out->duration;
  // Times out of range get the Lhotse reader's error.
  if (!(offset >= 0.0 && offset <= kMaxCutSeconds)) unhandled("cut start out of range");
  if (!(cut_duration > 0.0 && cut_duration <= kMaxCutSeconds)) {
    unhandled("cut duration out of range");
  }
  // Speaker indices in order of first appearance among the turns kept (turns without a
  // speaker share one); a document has a handful of speakers, so a linear search beats
  // hashing.
  std::vector<std::pair<std::string_view, int32_t>> speakers;
  int32_t none_speaker = -1;
  int32_t num_speakers = 0;
  out->turn_start.clear();
  out->turn_end.clear();
  out->turn_speaker.clear();
  out->turn_aligned.clear();
  out->turn_word_offsets.assign(1, 0);
  out->words.clear();
  out->words.reserve(arena_.size());
  out->word_start.clear();
  out->word_end.clear();
  out->word_sentence_end.clear();
  out->words_outside_cut = 0;
  for (size_t t = 0; t < num_sups; ++t) {
    const Sup& sup = sups_[order_[t]];
    if (!std::isfinite(sup.start) || !(sup.duration >= 0.0) || !std::isfinite(sup.duration)) {
      unhandled("supervision time out of range");
    }
    double ts = sup.start, te = sup.start + sup.duration;
    // text.split()
    words_.clear();
    size_t word_begin = 0;
    bool in_word = false;
    for (size_t i = sup.text, end = sup.text + sup.text_len; i < end;) {
      const size_t at = i;
      const auto byte = static_cast<unsigned char>(arena_[i]);
      const bool space = byte < 0x80 ? is_py_space(arena_[i++])  // ASCII: no decoding
                                     : is_py_space(next_code_point(arena_, &i));
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
    const auto by_item_start = [&](size_t a, size_t b) {
      return items_[a].start < items_[b].start;
    };
    if (!std::is_sorted(item_order_.begin(), item_order_.end(), by_item_start)) {  // rarely
      std::stable_sort(item_order_.begin(), item_order_.end(), by_item_start);
    }
    const bool aligned = !item_order_.empty();
    turn_ws_.clear();
    turn_we_.clear();
    if (aligned) {
      for (size_t i : item_order_) {
        const double ws = items_[i].start - offset;
        const double we = ws + items_[i].duration;
        if (ws < ts - kAlignmentTolerance || we > te + kAlignmentTolerance) {
          unhandled("word alignment outside its turn");
        }
        turn_ws_.push_back(ws);
        turn_we_.push_back(we);
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
    } else {
      turn_ws_.assign(words_.size(), 0.0);
      turn_we_.assign(words_.size(), 0.0);
    }
    if (!(ts >= -kAlignmentTolerance && te <= cut_duration + kAlignmentTolerance)) {
      // Sticks out of the cut: keep the aligned words whose middle lies inside it.
      if (!aligned || te <= 0.0 || ts >= cut_duration) {
        out->words_outside_cut += static_cast<int64_t>(words_.size());
        continue;
      }
      size_t kept = 0;
      for (size_t w = 0; w < words_.size(); ++w) {
        const double middle = (turn_ws_[w] + turn_we_[w]) * 0.5;
        if (middle >= 0.0 && middle < cut_duration) {
          words_[kept] = words_[w];
          turn_ws_[kept] = turn_ws_[w];
          turn_we_[kept] = turn_we_[w];
          ++kept;
        }
      }
      out->words_outside_cut += static_cast<int64_t>(words_.size() - kept);
      if (kept == 0) continue;
      words_.resize(kept);
      turn_ws_.resize(kept);
      turn_we_.resize(kept);
      ts = std::max(ts, 0.0);
      te = std::min(te, cut_duration);
    }
    out->turn_start.push_back(ts);
    out->turn_end.push_back(te);
    out->turn_aligned.push_back(aligned ? 1 : 0);
    if (sup.has_speaker) {
      const auto name = std::string_view(arena_).substr(sup.speaker, sup.speaker_len);
      const auto found = std::find_if(speakers.begin(), speakers.end(),
                                      [&](const auto& known) { return known.first == name; });
      if (found == speakers.end()) {
        speakers.emplace_back(name, num_speakers);
        out->turn_speaker.push_back(num_speakers++);
      } else {
        out->turn_speaker.push_back(found->second);
      }
    } else {
      if (none_speaker < 0) none_speaker = num_speakers++;
      out->turn_speaker.push_back(none_speaker);
    }
    out->word_start.insert(out->word_start.end(), turn_ws_.begin(), turn_ws_.end());
    out->word_end.insert(out->word_end.end(), turn_we_.begin(), turn_we_.end());
    for (const auto& w : words_) {
      if (!out->words.empty()) out->words.push_back(' ');
      out->words.append(arena_, w.first, w.second);
      out->word_sentence_end.push_back(is_sentence_end_utf8(arena_.data() + w.first, w.second));
    }
    out->turn_word_offsets.push_back(static_cast<int64_t>(out->word_start.size()));
  }
  if (out->turn_start.empty()) unhandled("no supervision inside the cut");
  out->num_words = static_cast<int64_t>(out->word_start.size());
}

}  // namespace spelangy
