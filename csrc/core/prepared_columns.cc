#include "core/prepared_columns.h"

#include <algorithm>
#include <string>

namespace spelangy {
namespace {

// Rows [*begin, *end) of document `number` by its `ends` column; "" when they lie inside
// every column of the group (`rows`: the shortest one's length), otherwise what is wrong.
std::string document_rows(const Column<int64_t>& ends, int64_t number, int64_t rows,
                          const char* what, int64_t* begin, int64_t* end) {
  *begin = number ? ends.data[number - 1] : 0;
  *end = ends.data[number];
  if (0 <= *begin && *begin <= *end && *end <= rows) return "";
  return "document " + std::to_string(number) + " has " + what + " rows [" +
         std::to_string(*begin) + ", " + std::to_string(*end) + ") of " + std::to_string(rows);
}

void behind_zero(const int64_t* ends, int64_t n, std::vector<int64_t>* out) {
  out->resize(static_cast<size_t>(n) + 1);
  (*out)[0] = 0;
  std::copy(ends, ends + n, out->begin() + 1);
}

}  // namespace

std::string prepared_speech_view(const SpeechColumns& c, int64_t number,
                                 PreparedOffsets* offsets, SpeechDocView* v) {
  const int64_t documents = std::min({c.doc_turn_end.size, c.doc_word_end.size,
                                      c.doc_text_end.size, c.doc_frame_end.size,
                                      c.doc_frame_shift.size});
  if (number < 0 || number >= documents) {
    return "document " + std::to_string(number) + " is not in the columns (" +
           std::to_string(documents) + " documents)";
  }
  const int64_t turn_rows = std::min({c.turn_start.size, c.turn_end.size, c.turn_speaker.size,
                                      c.turn_aligned.size, c.turn_word_end.size});
  const int64_t word_rows =
      std::min({c.word_start.size, c.word_sentence_end.size, c.word_text_end.size});
  int64_t t0, t1, w0, w1, k0, k1, f0, f1;
  std::string err = document_rows(c.doc_turn_end, number, turn_rows, "turn", &t0, &t1);
  if (err.empty()) err = document_rows(c.doc_word_end, number, word_rows, "word", &w0, &w1);
  if (err.empty()) {
    err = document_rows(c.doc_text_end, number, c.text_tokens.size, "text token", &k0, &k1);
  }
  if (err.empty()) {
    err = document_rows(c.doc_frame_end, number, c.speech_tokens.size, "speech token", &f0,
                        &f1);
  }
  if (!err.empty()) return err;
  behind_zero(c.turn_word_end.data + t0, t1 - t0, &offsets->turn_word);
  behind_zero(c.word_text_end.data + w0, w1 - w0, &offsets->word_token);
  v->turn_start = c.turn_start.data + t0;
  v->turn_end = c.turn_end.data + t0;
  v->turn_speaker = c.turn_speaker.data + t0;
  v->turn_word_offsets = offsets->turn_word.data();
  v->turn_aligned = c.turn_aligned.data + t0;
  v->num_turns = t1 - t0;
  v->word_start = c.word_start.data + w0;
  v->word_sentence_end = c.word_sentence_end.data + w0;
  v->word_token_offsets = offsets->word_token.data();
  v->num_words = w1 - w0;
  v->text_tokens = c.text_tokens.data + k0;
  v->num_text_tokens = k1 - k0;
  v->speech_tokens = c.speech_tokens.data + f0;
  v->num_frames = f1 - f0;
  v->frame_shift = c.doc_frame_shift.data[number];
  return "";
}

}  // namespace spelangy
