// Read-only views of one document's arrays (docs/semantics.md, "Document arrays").
#ifndef SPELANGY_CORE_DOCUMENT_H_
#define SPELANGY_CORE_DOCUMENT_H_

#include <cstdint>
#include <string>

namespace spelangy {

// Per-token modality codes, as stored in int8 arrays.
enum Modality : int8_t { kText = 0, kAudio = 1, kSpecial = 2, kPad = 3 };

// A speech frame the cut has no audio for (padding of a mix): never emitted.
constexpr int32_t kNoAudio = -1;

// A speech-text document as plain arrays; the caller owns the memory.
struct SpeechDocView {
  const double* turn_start = nullptr;          // [num_turns]
  const double* turn_end = nullptr;            // [num_turns]
  const int32_t* turn_speaker = nullptr;       // [num_turns]
  const int64_t* turn_word_offsets = nullptr;  // [num_turns + 1]
  const uint8_t* turn_aligned = nullptr;       // [num_turns]
  int64_t num_turns = 0;
  const double* word_start = nullptr;          // [num_words]
  const uint8_t* word_sentence_end = nullptr;  // [num_words]
  const int64_t* word_token_offsets = nullptr; // [num_words + 1]
  int64_t num_words = 0;
  const int32_t* text_tokens = nullptr;        // [num_text_tokens]
  int64_t num_text_tokens = 0;
  const int32_t* speech_tokens = nullptr;      // [num_frames], kNoAudio where no audio
  int64_t num_frames = 0;
  double frame_shift = 0.08;
};

// The token ids that interleaving emits besides the document's own tokens.
struct VocabIds {
  int32_t speech_offset = 0;
  int32_t bos = 0;
  int32_t eos = 0;
  int32_t audio_marker = 0;
  int32_t text_marker = 0;
};

// Offsets must be non-decreasing and stay inside the arrays they index, since every later
// step reads through them without bounds checks. Returns "" when the document is usable,
// otherwise what is wrong.
std::string check_speech_document(const SpeechDocView& doc);

}  // namespace spelangy

#endif  // SPELANGY_CORE_DOCUMENT_H_
