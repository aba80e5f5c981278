// A seeded fuzz campaign over every entry point of spelangy_core that takes untrusted input:
// the manifest line reader (mutated Lhotse lines and random bytes), document arrays through
// build_speech_document and the interleaving entry, packing plans through the plan check and
// both CPU builders, and the word token cache. Built with ASan and UBSan (SPELANGY_SANITIZE)
// it turns any out-of-bounds access, overflow or bad cast into a failure; every run also
// checks what the outputs promise (sizes, offsets, bounds).
//
//   spelangy_fuzz_test [iterations per target] [seed]      (defaults: 2000, 1)
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "core/batch_builder.h"
#include "core/interleave.h"
#include "core/manifest_reader.h"
#include "core/sampling.h"
#include "core/speech_document.h"
#include "core/word_token_cache.h"

namespace {

using namespace spelangy;

int failures = 0;

#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: %s fails (seed %llu, iteration %lld)\n", __FILE__,  \
                   __LINE__, #cond, static_cast<unsigned long long>(g_seed),          \
                   static_cast<long long>(g_iteration));                             \
      ++failures;                                                                     \
    }                                                                                 \
  } while (0)

uint64_t g_seed = 1;
int64_t g_iteration = 0;

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() { return state_ = splitmix64(state_); }
  int64_t below(int64_t n) { return n <= 0 ? 0 : static_cast<int64_t>(next() % n); }
  bool chance(double p) { return (next() >> 11) * 0x1.0p-53 < p; }
  double uniform(double lo, double hi) { return lo + (next() >> 11) * 0x1.0p-53 * (hi - lo); }

 private:
  uint64_t state_;
};

// --- manifest lines ---------------------------------------------------------------------

const char* const kSeedLines[] = {
    R"({"id": "c1", "start": 0.0, "duration": 6.0, "channel": 0, "supervisions": [{"id": "s0", )"
    R"("recording_id": "r", "start": 0.5, "duration": 2.0, "channel": 0, "text": "Hello there, )"
    R"(friend.", "speaker": "alice", "custom": {"x": 1}, "alignment": {"word": [["hello", 0.5, )"
    R"(0.4], ["there", 1.0, 0.5], ["friend", 1.6, 0.8, 0.9]]}}, {"id": "s1", "recording_id": )"
    R"("r", "start": 3.0, "duration": 2.5, "channel": 0, "text": "caf\u00e9 \u2026 ok?", )"
    R"("speaker": null}], "recording": {"id": "r", "sources": [{"type": "file", "channels": [0], )"
    R"("source": "a.wav"}], "sampling_rate": 16000, "num_samples": 96000, "duration": 6.0}, )"
    R"("custom": {"speech_vocab_size": 1024, "speech_tokens": {"array": {"storage_type": )"
    R"("numpy_files", "storage_path": "st", "storage_key": "c1.npy", "shape": [75]}, )"
    R"("temporal_dim": 0, "frame_shift": 0.08, "start": 0}}, "type": "MonoCut"})",
    R"({"id":"c2","start":1.25,"duration":3,"channel":0,"supervisions":[{"id":"s","recording_id":)"
    R"("r","start":-0.5,"duration":2,"channel":0,"text":"a b c","speaker":"x","alignment":{"word":)"
    R"([["a",1.0,0.2],[" ",1.2,0.1],["b",1.5,0.3],["c",2.0,0.5]],"phone":[["p",1,0.1]]}}],"custom":)"
    R"({"speech_tokens":{"array":{"storage_type":"lilcom_chunky","storage_path":"x","storage_key":)"
    R"("0,10","shape":[100,1]},"temporal_dim":0,"frame_shift":0.04,"start":1.0}},"type":"MonoCut"})",
};

const char* const kTokens[] = {
    "\"", "{", "}", "[", "]", ",", ":", "null", "true", "-", "0", "-0.0", "1e308", "1e-320",
    "9007199254740993", "\\u", "\\ud800", "\\udc00\\ud800", "\\\"", "\xff", "\xc3", "\xe2\x80",
    "\"speaker\"", "\"custom\"", "\"alignment\"", "\"word\"", "\"start\"", "\"duration\"",
    "\"text\"", "\"supervisions\"", "\"type\"", "\"MonoCut\"", "\"shape\"", "\"channels\"",
    "\"width\"", "\"sources\"", "[[]]", "{}", "[\"a\",1,2]", "1.7976931348623157e309",
    "\"\\u2028\"", " ", "\t", "\n"};

// Replaces the value after a random key by another JSON value: most such lines still parse,
// so the reader's checks past the scanner get exercised too.
std::string swap_value(std::string line, Rng& rng) {
  const char* values[] = {"null", "true", "0", "-1", "1e308", "-0.0", "\"x\"", "\"\"", "[]",
                          "{}", "[0, \"a\"]", "{\"width\": 1}", "5", "0.08", "1e-300",
                          "[[\"a\", 0, 1]]", "{\"word\": []}", "\"\\u2026 \\u00a0\""};
  const size_t colon = line.find(':', static_cast<size_t>(rng.below(
                                          static_cast<int64_t>(line.size()))));
  if (colon == std::string::npos) return line;
  size_t end = colon + 1, depth = 0;
  bool in_string = false;
  for (; end < line.size(); ++end) {  // the end of the value: a , or closer at depth 0
    const char c = line[end];
    if (in_string) {
      if (c == '\\') ++end;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}' || c == ',') {
      if (depth == 0) break;
      if (c != ',') --depth;
    }
  }
  line.replace(colon + 1, end - colon - 1, values[rng.below(sizeof(values) / sizeof(values[0]))]);
  return line;
}

std::string mutate(std::string line, Rng& rng) {
  if (rng.chance(0.5)) return swap_value(std::move(line), rng);
  const int edits = 1 + static_cast<int>(rng.below(4));
  for (int e = 0; e < edits && !line.empty(); ++e) {
    const size_t at = static_cast<size_t>(rng.below(static_cast<int64_t>(line.size())));
    switch (rng.below(6)) {
      case 0:  // flip a byte
        line[at] = static_cast<char>(rng.next());
        break;
      case 1:  // delete a range
        line.erase(at, static_cast<size_t>(rng.below(16)) + 1);
        break;
      case 2:  // insert a JSON token
        line.insert(at, kTokens[rng.below(sizeof(kTokens) / sizeof(kTokens[0]))]);
        break;
      case 3:  // duplicate a range
        line.insert(at, line.substr(at, static_cast<size_t>(rng.below(40))));
        break;
      case 4:  // truncate
        line.resize(at);
        break;
      default: {  // replace a digit run by an extreme number
        const char* numbers[] = {"1e400", "-1e400", "1e300", "-5", "0", "4294967296",
                                 "18446744073709551616", "-9223372036854775809", "0.5e-400"};
        size_t end = at;
        while (end < line.size() && (std::isdigit(static_cast<unsigned char>(line[end])) ||
                                     line[end] == '.')) {
          ++end;
        }
        line.replace(at, end - at, numbers[rng.below(9)]);
      }
    }
  }
  return line;
}

void check_line(const ManifestLine& m) {
  const size_t turns = m.turn_start.size();
  CHECK(m.turn_end.size() == turns && m.turn_speaker.size() == turns);
  CHECK(m.turn_aligned.size() == turns && m.turn_word_offsets.size() == turns + 1);
  CHECK(m.turn_word_offsets.front() == 0);
  CHECK(m.turn_word_offsets.back() == m.num_words);
  for (size_t t = 0; t < turns; ++t) CHECK(m.turn_word_offsets[t] <= m.turn_word_offsets[t + 1]);
  const size_t words = static_cast<size_t>(m.num_words);
  CHECK(m.word_start.size() == words && m.word_end.size() == words);
  CHECK(m.word_sentence_end.size() == words);
  size_t spaces = 0;
  for (char c : m.words) spaces += c == ' ';
  CHECK(words == 0 ? m.words.empty() : spaces + 1 == words);
  CHECK(m.duration > 0.0 && std::isfinite(m.duration) && m.words_outside_cut >= 0);
}

void fuzz_manifest_reader(int64_t iterations, Rng& rng) {
  ManifestReader reader;  // one reader, as one thread uses it: scratch reused across lines
  ManifestLine out;
  int64_t taken = 0;
  for (g_iteration = 0; g_iteration < iterations; ++g_iteration) {
    std::string line;
    if (rng.chance(0.05)) {
      line.resize(static_cast<size_t>(rng.below(200)));
      for (char& c : line) c = static_cast<char>(rng.next());
    } else {
      line = mutate(kSeedLines[rng.below(2)], rng);
    }
    // The reader gets exactly the line's bytes: a copy in its own allocation, so that ASan
    // sees any read past the end.
    std::vector<char> bytes(line.begin(), line.end());
    const std::string why = reader.read(bytes.data(), bytes.size(), &out);
    if (why.empty()) {
      ++taken;
      check_line(out);
    }
  }
  for (const char* seed : kSeedLines) {
    const std::string line(seed);
    CHECK(reader.read(line.data(), line.size(), &out).empty());
  }
  std::printf("manifest reader: %lld lines, %lld taken\n", static_cast<long long>(iterations),
              static_cast<long long>(taken));
}

// --- document arrays --------------------------------------------------------------------

double odd_time(Rng& rng) {
  const double odd[] = {std::numeric_limits<double>::quiet_NaN(),
                        std::numeric_limits<double>::infinity(),
                        -std::numeric_limits<double>::infinity(), 1e300, -1e300, 1e18, -0.0,
                        std::numeric_limits<double>::denorm_min()};
  return rng.chance(0.05) ? odd[rng.below(8)] : rng.uniform(-2.0, 60.0);
}

struct RandomDoc {
  std::vector<double> turn_start, turn_end, word_start;
  std::vector<int32_t> speaker, text, speech;
  std::vector<int64_t> turn_words, word_tokens;
  std::vector<uint8_t> aligned, sentence_end;
  SpeechDocView view;

  explicit RandomDoc(Rng& rng) {
    const int64_t turns = rng.below(8), words = rng.below(30), tokens = rng.below(60);
    const int64_t frames = rng.below(900);
    const bool valid = rng.chance(0.7);
    for (int64_t t = 0; t < turns; ++t) {
      turn_start.push_back(odd_time(rng));
      turn_end.push_back(rng.chance(0.8) ? turn_start.back() + rng.uniform(0, 20) : odd_time(rng));
      speaker.push_back(static_cast<int32_t>(rng.below(4)));
      aligned.push_back(static_cast<uint8_t>(rng.below(2)));
    }
    for (int64_t t = 0; t <= turns; ++t) {
      turn_words.push_back(valid ? (t == turns ? words : std::min(words, t * words / (turns + 1)))
                                 : static_cast<int64_t>(rng.next() % 64) - 16);
    }
    for (int64_t w = 0; w < words; ++w) {
      word_start.push_back(odd_time(rng));
      sentence_end.push_back(static_cast<uint8_t>(rng.below(2)));
    }
    for (int64_t w = 0; w <= words; ++w) {
      word_tokens.push_back(valid ? (w == words ? tokens : std::min(tokens, w * 2))
                                  : static_cast<int64_t>(rng.next() % 128) - 32);
    }
    for (int64_t k = 0; k < tokens; ++k) text.push_back(static_cast<int32_t>(rng.below(100)));
    for (int64_t f = 0; f < frames; ++f) {
      speech.push_back(rng.chance(0.2)     ? kNoAudio
                       : rng.chance(0.001) ? static_cast<int32_t>(rng.next())  // any int32
                                           : static_cast<int32_t>(rng.below(64)));
    }
    const double shifts[] = {0.08, 0.04, 0.0, -0.08, 1e-300,
                             std::numeric_limits<double>::quiet_NaN(), 1e300};
    view.turn_start = turn_start.data();
    view.turn_end = turn_end.data();
    view.turn_speaker = speaker.data();
    view.turn_word_offsets = turn_words.data();
    view.turn_aligned = aligned.data();
    view.num_turns = turns;
    view.word_start = word_start.data();
    view.word_sentence_end = sentence_end.data();
    view.word_token_offsets = word_tokens.data();
    view.num_words = words;
    view.text_tokens = text.data();
    view.num_text_tokens = tokens;
    view.speech_tokens = speech.data();
    view.num_frames = frames;
    view.frame_shift = rng.chance(0.9) ? 0.08 : shifts[rng.below(7)];
  }
};

void fuzz_documents(int64_t iterations, Rng& rng) {
  SpeechDocumentOutput out;
  const VocabIds vocab{100, 164, 165, 166, 167};
  int64_t built = 0;
  for (g_iteration = 0; g_iteration < iterations; ++g_iteration) {
    RandomDoc doc(rng);
    const ChunkingParams chunking{rng.chance(0.5) ? ChunkingMode::kCoarse : ChunkingMode::kFine,
                                  rng.chance(0.9) ? rng.uniform(0.1, 40.0) : odd_time(rng)};
    SamplingParams sampling;
    sampling.mode = rng.chance(0.5) ? SamplingMode::kDeterministic : SamplingMode::kStochastic;
    sampling.p_audio = rng.uniform(-0.5, 1.5);
    const uint64_t key = rng.next(), seed = rng.next(), epoch = rng.next();
    const std::string err = build_speech_document(doc.view, key, chunking, sampling, seed, epoch,
                                                  vocab, &out);
    SpeechDocumentOutput planned;
    int64_t length = -1;
    const std::string plan_err = plan_speech_document(doc.view, key, chunking, sampling, seed,
                                                      epoch, vocab, &planned, &length);
    CHECK(plan_err == err);  // sizing (counting batches) accepts exactly what building does
    if (!err.empty()) continue;
    ++built;
    CHECK(length == static_cast<int64_t>(out.tokens.size()));
    CHECK(out.tokens.size() == out.modality.size() && out.tokens.size() >= 2);
    for (size_t k = 0; k < out.tokens.size(); ++k) {
      const bool speech = out.modality[k] == kAudio;
      CHECK(!speech || (out.tokens[k] >= vocab.speech_offset && out.tokens[k] < vocab.bos));
    }
    // The interleaving entry on its own, with random chunk spans (checked first, as the
    // binding does).
    const int64_t n = rng.below(6);
    std::vector<int64_t> wb(n), we(n), fb(n), fe(n), counts(n);
    std::vector<int8_t> modality(n);
    for (int64_t i = 0; i < n; ++i) {
      wb[i] = rng.below(doc.view.num_words + 3) - 1;
      we[i] = rng.below(doc.view.num_words + 3) - 1;
      fb[i] = rng.below(doc.view.num_frames + 3) - 1;
      fe[i] = rng.below(doc.view.num_frames + 3) - 1;
      modality[i] = static_cast<int8_t>(rng.below(3));
    }
    const ChunkSpans spans{wb.data(), we.data(), fb.data(), fe.data(), n};
    if (check_chunk_spans(doc.view, spans).empty()) {
      const int64_t len = interleaved_length(doc.view, spans, modality.data(), vocab,
                                             counts.data());
      if (len < 0) continue;  // a code outside the vocabulary
      std::vector<int32_t> tokens(len);
      std::vector<int8_t> token_modality(len);
      interleave_speech(doc.view, spans, modality.data(), counts.data(), vocab, tokens.data(),
                        token_modality.data());
      CHECK(tokens.back() == vocab.eos);
    }
  }
  std::printf("documents: %lld, %lld built\n", static_cast<long long>(iterations),
              static_cast<long long>(built));
}

// --- packing plans ----------------------------------------------------------------------

void fuzz_batch_plans(int64_t iterations, Rng& rng) {
  int64_t valid_plans = 0;
  for (g_iteration = 0; g_iteration < iterations; ++g_iteration) {
    const int64_t batch = rng.below(5), seq_len = rng.below(40);
    const int64_t num_tokens = rng.below(120);
    std::vector<int32_t> row, col, length;
    std::vector<int64_t> src, next_label;
    // A plan that tiles the batch, then (often) one field damaged.
    int64_t cursor = 0, used = 0;
    while (seq_len > 0 && cursor < batch * seq_len) {
      const int64_t r = cursor / seq_len, c = cursor % seq_len;
      const int64_t n = std::min<int64_t>(seq_len - c, rng.below(seq_len) + 1);
      row.push_back(static_cast<int32_t>(r));
      col.push_back(static_cast<int32_t>(c));
      length.push_back(static_cast<int32_t>(n));
      const bool pad = rng.chance(0.2) || used + n > num_tokens;
      src.push_back(pad ? -1 : used);
      if (!pad) used += n;
      next_label.push_back(-100);
      cursor += n;
    }
    const int64_t pieces = static_cast<int64_t>(row.size());
    if (pieces > 0 && rng.chance(0.5)) {
      const int64_t i = rng.below(pieces);
      const int64_t extremes[] = {-1, -2, 1, std::numeric_limits<int32_t>::max(),
                                  std::numeric_limits<int32_t>::min(),
                                  std::numeric_limits<int64_t>::max(),
                                  std::numeric_limits<int64_t>::min(), num_tokens};
      const int64_t v = extremes[rng.below(8)];
      switch (rng.below(4)) {
        case 0: row[i] = static_cast<int32_t>(v); break;
        case 1: col[i] = static_cast<int32_t>(v); break;
        case 2: length[i] = static_cast<int32_t>(v); break;
        default: src[i] = v;
      }
    }
    const int64_t claimed_batch = rng.chance(0.05) ? (int64_t{1} << 62) + 1 : batch;
    std::vector<int32_t> tokens(num_tokens, 7);
    std::vector<int8_t> modality(num_tokens, kText);
    if (!check_batch_plan(row.data(), col.data(), length.data(), src.data(), pieces, num_tokens,
                          claimed_batch, seq_len)
             .empty()) {
      continue;
    }
    ++valid_plans;
    const size_t total = static_cast<size_t>(claimed_batch * seq_len);
    std::vector<int64_t> a_tok(total), a_lab(total), a_pos(total), b_tok(total), b_lab(total),
        b_pos(total);
    std::vector<int8_t> a_mod(total), b_mod(total);
    std::vector<int32_t> a_cu(pieces + 1), b_cu(pieces + 1);
    build_batch_cpu(tokens.data(), modality.data(), row.data(), col.data(), length.data(),
                    src.data(), next_label.data(), pieces, claimed_batch, seq_len, 0, 7,
                    a_tok.data(), a_lab.data(), a_pos.data(), a_mod.data(), a_cu.data());
    build_batch_emulated(tokens.data(), modality.data(), row.data(), col.data(), length.data(),
                         src.data(), next_label.data(), pieces, claimed_batch, seq_len, 0, 7,
                         b_tok.data(), b_lab.data(), b_pos.data(), b_mod.data(), b_cu.data());
    CHECK(a_tok == b_tok && a_lab == b_lab && a_pos == b_pos && a_mod == b_mod && a_cu == b_cu);
  }
  std::printf("packing plans: %lld, %lld valid\n", static_cast<long long>(iterations),
              static_cast<long long>(valid_plans));
}

// --- the word token cache ---------------------------------------------------------------

void fuzz_word_cache(int64_t iterations, Rng& rng) {
  WordTokenCache cache(static_cast<size_t>(rng.below(50)) + 1);
  const char* alphabet[] = {"a", "b", "\xc3\xa9", "\xe2\x80\xa6", "ab", "\xf0\x9f\x98\x80", "."};
  for (g_iteration = 0; g_iteration < iterations; ++g_iteration) {
    std::string joined;
    const int64_t words = rng.below(12) + 1;
    for (int64_t w = 0; w < words; ++w) {
      if (w) joined += ' ';
      for (int64_t k = rng.below(4) + 1; k > 0; --k) joined += alphabet[rng.below(7)];
    }
    WordTokenCache::Lookup lookup;
    cache.lookup(joined, &lookup);
    std::vector<int32_t> new_ids;
    std::vector<int64_t> new_offsets{0};
    for (const auto& word : lookup.missing) {
      for (size_t k = 0; k < word.size() % 5; ++k) new_ids.push_back(static_cast<int32_t>(word[k]));
      new_offsets.push_back(static_cast<int64_t>(new_ids.size()));
    }
    std::vector<int32_t> tokens;
    std::vector<int64_t> offsets;
    cache.finish(lookup, new_ids.data(), new_offsets.data(), &tokens, &offsets);
    CHECK(offsets.size() == static_cast<size_t>(words) + 1);
    CHECK(offsets.front() == 0 && offsets.back() == static_cast<int64_t>(tokens.size()));
    CHECK(cache.size() <= cache.max_entries());
  }
  std::printf("word cache: %lld documents\n", static_cast<long long>(iterations));
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t iterations = argc > 1 ? std::atoll(argv[1]) : 2000;
  g_seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
  std::printf("spelangy_fuzz_test: seed %llu, %lld iterations per target\n",
              static_cast<unsigned long long>(g_seed), static_cast<long long>(iterations));
  Rng rng(g_seed);
  fuzz_manifest_reader(iterations, rng);
  fuzz_documents(iterations, rng);
  fuzz_batch_plans(iterations, rng);
  fuzz_word_cache(iterations, rng);
  if (failures) std::fprintf(stderr, "%d failure(s)\n", failures);
  return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
