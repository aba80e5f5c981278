// Chunks in their sampled modalities to one token stream (docs/semantics.md, "Interleaving").
#ifndef SPELANGY_CORE_INTERLEAVE_H_
#define SPELANGY_CORE_INTERLEAVE_H_

#include <cstdint>
#include <string>

#include "core/document.h"

namespace spelangy {

// The spans of each chunk that interleaving reads; the caller owns the memory.
struct ChunkSpans {
  const int64_t* word_begin = nullptr;
  const int64_t* word_end = nullptr;
  const int64_t* frame_begin = nullptr;
  const int64_t* frame_end = nullptr;
  int64_t num_chunks = 0;
};

// "" when every span lies inside the document's words and frames, else what is wrong.
std::string check_chunk_spans(const SpeechDocView& doc, const ChunkSpans& chunks);

// Turns every audio chunk that has words but no real speech frame into a text chunk, in
// place, so that its words are not lost; returns how many.
int64_t audio_chunks_to_text(const SpeechDocView& doc, const ChunkSpans& chunks,
                             int8_t* chunk_modality);

// Number of tokens interleave_speech writes: sized first so the output is allocated once.
// Fills chunk_tokens[i] with the tokens chunk i emits in its modality (frames without audio,
// kNoAudio, are not counted), which interleave_speech then reads. Returns -1 when an audio
// chunk holds a code outside [0, speech_vocab_size) (speech_vocab_size = bos - speech_offset).
int64_t interleaved_length(const SpeechDocView& doc, const ChunkSpans& chunks,
                           const int8_t* chunk_modality, const VocabIds& vocab,
                           int64_t* chunk_tokens);

// Writes exactly interleaved_length(...) tokens and their modalities; frames without audio
// are left out.
void interleave_speech(const SpeechDocView& doc, const ChunkSpans& chunks,
                       const int8_t* chunk_modality, const int64_t* chunk_tokens,
                       const VocabIds& vocab, int32_t* tokens, int8_t* modality);

// BOS, the text tokens, EOS: writes num_text_tokens + 2 tokens.
void interleave_text(const int32_t* text_tokens, int64_t num_text_tokens, const VocabIds& vocab,
                     int32_t* tokens, int8_t* modality);

}  // namespace spelangy

#endif  // SPELANGY_CORE_INTERLEAVE_H_
