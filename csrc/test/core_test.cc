// C++ unit tests of spelangy_core, linked against the same library as the extension.
// Build and run: cmake -S . -B build/ctest -DSPELANGY_BUILD_TESTS=ON && cmake --build
// build/ctest && ctest --test-dir build/ctest
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/batch_builder.h"
#include "core/chunking.h"
#include "core/interleave.h"
#include "core/prepared_columns.h"
#include "core/sampling.h"
#include "core/speech_document.h"

namespace {

int failures = 0;

#define EXPECT(cond)                                                       \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                          \
    }                                                                      \
  } while (0)

using namespace spelangy;

// Three turns: A 0-4 s (2 words, one sentence each), A 4-9 s, B 9-25 s (4 words, 2 sentences).
struct Doc {
  std::vector<double> turn_start{0.0, 4.0, 9.0}, turn_end{4.0, 9.0, 25.0};
  std::vector<int32_t> speaker{0, 0, 1};
  std::vector<int64_t> turn_words{0, 2, 3, 7};
  std::vector<uint8_t> aligned{1, 1, 1};
  std::vector<double> word_start{0.5, 2.0, 5.0, 9.5, 12.0, 17.0, 20.0};
  std::vector<uint8_t> sentence_end{0, 1, 1, 0, 1, 0, 1};
  std::vector<int64_t> word_tokens{0, 1, 2, 3, 4, 5, 6, 7};
  std::vector<int32_t> text{10, 11, 12, 13, 14, 15, 16};
  std::vector<int32_t> speech = std::vector<int32_t>(300, 1);

  SpeechDocView view() const {
    SpeechDocView v;
    v.turn_start = turn_start.data();
    v.turn_end = turn_end.data();
    v.turn_speaker = speaker.data();
    v.turn_word_offsets = turn_words.data();
    v.turn_aligned = aligned.data();
    v.num_turns = 3;
    v.word_start = word_start.data();
    v.word_sentence_end = sentence_end.data();
    v.word_token_offsets = word_tokens.data();
    v.num_words = 7;
    v.text_tokens = text.data();
    v.num_text_tokens = 7;
    v.speech_tokens = speech.data();
    v.num_frames = 300;
    v.frame_shift = 0.08;
    return v;
  }
};

void test_chunking() {
  Doc d;
  ChunkTable t;
  chunk_document(d.view(), ChunkingMode::kCoarse, 30.0, &t);
  EXPECT(t.size() == 2);  // A+A merged, then B
  EXPECT(t.end[0] == 9.0 && t.word_end[0] == 3 && t.frame_end[0] == 113);
  chunk_document(d.view(), ChunkingMode::kFine, 10.0, &t);
  EXPECT(t.size() == 4);  // the 16 s turn of B splits at the sentence starting at 17 s
  EXPECT(t.start[3] == 17.0 && t.word_begin[3] == 5 && t.frame_begin[3] == 213);
  EXPECT(t.unsplit_turns == 0);
}

void test_sampling_and_interleaving() {
  EXPECT(splitmix64(0) == 0xE220A8397B1DCDAFULL);
  Doc d;
  SpeechDocumentOutput out;
  const VocabIds vocab{100, 200, 201, 202, 203};
  const std::string err = build_speech_document(
      d.view(), 42, ChunkingParams{ChunkingMode::kCoarse, 30.0},
      SamplingParams{SamplingMode::kDeterministic, 0.5, kText}, 1, 2, vocab, &out);
  EXPECT(err.empty());
  // BOS, text marker, 3 words of A, audio marker, frames of B (113..300), EOS.
  EXPECT(out.tokens.size() == 1 + 1 + 3 + 1 + (300 - 113) + 1);
  EXPECT(out.tokens[1] == 203 && out.tokens[2] == 10 && out.tokens[5] == 202);
  EXPECT(out.tokens[6] == 101 && out.modality[6] == kAudio && out.tokens.back() == 201);
  SpeechDocumentOutput planned;
  int64_t length = -1;
  EXPECT(plan_speech_document(d.view(), 42, ChunkingParams{ChunkingMode::kCoarse, 30.0},
                              SamplingParams{SamplingMode::kDeterministic, 0.5, kText}, 1, 2,
                              vocab, &planned, &length).empty());
  EXPECT(length == static_cast<int64_t>(out.tokens.size()) && planned.tokens.empty());
}

void test_batch_builders_agree() {
  // Row 0: piece [0, 3) + empty piece + padding 3..5; row 1: piece of 5.
  std::vector<int32_t> tokens{1, 2, 3, 4, 5, 6, 7, 8};
  std::vector<int8_t> modality{2, 0, 1, 2, 0, 0, 1, 2};
  std::vector<int32_t> row{0, 0, 0, 1}, col{0, 3, 3, 0}, len{3, 0, 2, 5};
  std::vector<int64_t> src{0, 3, -1, 3}, next{4, -100, -100, -100};
  EXPECT(check_batch_plan(row.data(), col.data(), len.data(), src.data(), 4, 8, 2, 5).empty());
  std::vector<int64_t> t1(10), l1(10), p1(10), t2(10), l2(10), p2(10);
  std::vector<int8_t> m1(10), m2(10);
  std::vector<int32_t> c1(5), c2(5);
  build_batch_cpu(tokens.data(), modality.data(), row.data(), col.data(), len.data(), src.data(),
                  next.data(), 4, 2, 5, 99, 0b101, t1.data(), l1.data(), p1.data(), m1.data(),
                  c1.data());
  build_batch_emulated(tokens.data(), modality.data(), row.data(), col.data(), len.data(),
                       src.data(), next.data(), 4, 2, 5, 99, 0b101, t2.data(), l2.data(),
                       p2.data(), m2.data(), c2.data());
  EXPECT(t1 == t2 && l1 == l2 && p1 == p2 && m1 == m2 && c1 == c2);
  EXPECT(l1[0] == 2 && l1[1] == -100 && l1[2] == 4 && t1[3] == 99 && m1[4] == 3);
  EXPECT(c1[1] == 3 && c1[2] == 3 && c1[4] == 10);
  len[3] = 4;
  EXPECT(!check_batch_plan(row.data(), col.data(), len.data(), src.data(), 4, 8, 2, 5).empty());
}

// Two copies of Doc stored as a prepared corpus's columns (row ends counted per document).
struct TwoDocColumns {
  Doc d;
  std::vector<int64_t> doc_turn_end{3, 6}, doc_word_end{7, 14}, doc_text_end{7, 14},
      doc_frame_end{300, 600};
  std::vector<double> doc_frame_shift{0.08, 0.08}, turn_start, turn_end, word_start;
  std::vector<int32_t> speaker, text, speech;
  std::vector<uint8_t> aligned, sentence_end;
  std::vector<int64_t> turn_word_end, word_text_end;

  TwoDocColumns() {
    for (int copy = 0; copy < 2; ++copy) {
      append(&turn_start, d.turn_start);
      append(&turn_end, d.turn_end);
      append(&speaker, d.speaker);
      append(&aligned, d.aligned);
      turn_word_end.insert(turn_word_end.end(), d.turn_words.begin() + 1, d.turn_words.end());
      append(&word_start, d.word_start);
      append(&sentence_end, d.sentence_end);
      word_text_end.insert(word_text_end.end(), d.word_tokens.begin() + 1, d.word_tokens.end());
      append(&text, d.text);
      append(&speech, d.speech);
    }
  }
  template <typename T>
  static void append(std::vector<T>* to, const std::vector<T>& from) {
    to->insert(to->end(), from.begin(), from.end());
  }
  template <typename T>
  static Column<T> column(const std::vector<T>& v) {
    return Column<T>{v.data(), static_cast<int64_t>(v.size())};
  }
  SpeechColumns columns() const {
    SpeechColumns c;
    c.doc_turn_end = column(doc_turn_end);
    c.doc_word_end = column(doc_word_end);
    c.doc_text_end = column(doc_text_end);
    c.doc_frame_end = column(doc_frame_end);
    c.doc_frame_shift = column(doc_frame_shift);
    c.turn_start = column(turn_start);
    c.turn_end = column(turn_end);
    c.turn_speaker = column(speaker);
    c.turn_aligned = column(aligned);
    c.turn_word_end = column(turn_word_end);
    c.word_start = column(word_start);
    c.word_sentence_end = column(sentence_end);
    c.word_text_end = column(word_text_end);
    c.text_tokens = column(text);
    c.speech_tokens = column(speech);
    return c;
  }
};

std::vector<int32_t> built_tokens(const SpeechDocView& v) {
  SpeechDocumentOutput out;
  build_speech_document(v, 42, ChunkingParams{ChunkingMode::kFine, 10.0},
                        SamplingParams{SamplingMode::kStochastic, 0.5, kText}, 1, 2,
                        VocabIds{100, 200, 201, 202, 203}, &out);
  return out.tokens;
}

void test_prepared_columns() {
  TwoDocColumns t;
  PreparedOffsets offsets;
  SpeechDocView v;
  EXPECT(prepared_speech_view(t.columns(), 1, &offsets, &v).empty());
  EXPECT(v.num_turns == 3 && v.num_words == 7 && v.num_frames == 300 && v.turn_start[2] == 9.0);
  EXPECT(v.turn_word_offsets[0] == 0 && v.turn_word_offsets[3] == 7);
  EXPECT(!built_tokens(v).empty() && built_tokens(v) == built_tokens(t.d.view()));
  EXPECT(!prepared_speech_view(t.columns(), 2, &offsets, &v).empty());
  EXPECT(!prepared_speech_view(t.columns(), -1, &offsets, &v).empty());
  SpeechColumns short_turns = t.columns();
  short_turns.turn_end.size = 5;  // document 1's turns are rows [3, 6)
  EXPECT(prepared_speech_view(short_turns, 0, &offsets, &v).empty());
  EXPECT(!prepared_speech_view(short_turns, 1, &offsets, &v).empty());
  t.doc_word_end[0] = 15;  // past the word columns
  EXPECT(!prepared_speech_view(t.columns(), 0, &offsets, &v).empty());
  t.doc_word_end = {7, 6};  // document 1 would end before it starts
  EXPECT(prepared_speech_view(t.columns(), 0, &offsets, &v).empty());
  EXPECT(!prepared_speech_view(t.columns(), 1, &offsets, &v).empty());
  t.doc_frame_end[0] = -1;
  EXPECT(!prepared_speech_view(t.columns(), 0, &offsets, &v).empty());
}

}  // namespace

int main() {
  test_chunking();
  test_sampling_and_interleaving();
  test_batch_builders_agree();
  test_prepared_columns();
  if (failures) std::fprintf(stderr, "%d failure(s)\n", failures);
  else std::printf("spelangy_core_test: all passed\n");
  return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
