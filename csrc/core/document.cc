// Validation of document arrays before the unchecked hot loops read them.
#include "core/document.h"

#include <cmath>

namespace spelangy {
namespace {

// Only what memory safety needs: ordering rules of the data itself are the loader's job.
std::string check_offsets(const int64_t* off, int64_t n, int64_t limit, const char* name,
                          const char* target) {
  for (int64_t i = 0; i <= n; ++i) {
    if (off[i] < 0 || off[i] > limit) {
      return std::string(name) + "[" + std::to_string(i) + "] = " + std::to_string(off[i]) +
             " is outside [0, " + std::to_string(limit) + "] (the number of " + target + ")";
    }
    if (i > 0 && off[i] < off[i - 1]) {
      return std::string(name) + " must be non-decreasing (index " + std::to_string(i) + ")";
    }
  }
  return "";
}

}  // namespace

std::string check_speech_document(const SpeechDocView& doc) {
  if (!(doc.frame_shift > 0.0) || !std::isfinite(doc.frame_shift)) {
    return "frame_shift must be positive, got " + std::to_string(doc.frame_shift);
  }
  std::string err = check_offsets(doc.turn_word_offsets, doc.num_turns, doc.num_words,
                                  "turn_word_offsets", "words");
  if (!err.empty()) return err;
  return check_offsets(doc.word_token_offsets, doc.num_words, doc.num_text_tokens,
                       "word_token_offsets", "text tokens");
}

}  // namespace spelangy
