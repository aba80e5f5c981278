// Interleaving of speech and text documents into tokens plus per-token modality.
#include "core/interleave.h"

#include <algorithm>
#include <cstring>

namespace spelangy {
namespace {

// Real speech frames of chunk i: frames without audio (kNoAudio) are never emitted. -1 when
// a code is outside [0, speech_vocab_size) (and not kNoAudio): it would become another
// token's id, or overflow int32 once offset.
inline int64_t audio_frame_count(const SpeechDocView& doc, const ChunkSpans& c, int64_t i,
                                 int32_t speech_vocab_size) {
  const int32_t* codes = doc.speech_tokens + c.frame_begin[i];
  const int64_t span = c.frame_end[i] - c.frame_begin[i];
  int64_t missing = 0;
  int32_t lowest = 0, highest = 0;
  // One pass the compiler vectorizes (int32 counts and bounds, no early exit); blocks keep
  // the count from overflowing.
  for (int64_t block = 0; block < span; block += int64_t{1} << 30) {
    const int64_t end = std::min(span, block + (int64_t{1} << 30));
    int32_t n = 0;
    for (int64_t f = block; f < end; ++f) {
      n += codes[f] == kNoAudio;
      lowest = std::min(lowest, codes[f]);
      highest = std::max(highest, codes[f]);
    }
    missing += n;
  }
  if (lowest < kNoAudio || highest >= speech_vocab_size) return -1;
  return span - missing;
}

// Whether chunk i has a real speech frame (usually its first one is).
inline bool has_audio_frame(const SpeechDocView& doc, const ChunkSpans& c, int64_t i) {
  for (int64_t f = c.frame_begin[i]; f < c.frame_end[i]; ++f) {
    if (doc.speech_tokens[f] != kNoAudio) return true;
  }
  return false;
}

inline int64_t chunk_token_count(const SpeechDocView& doc, const ChunkSpans& c, int64_t i,
                                 int8_t m, int32_t speech_vocab_size) {
  // Like the reference, any code other than text reads speech.
  if (m == kText) {
    return doc.word_token_offsets[c.word_end[i]] - doc.word_token_offsets[c.word_begin[i]];
  }
  return audio_frame_count(doc, c, i, speech_vocab_size);
}

}  // namespace

std::string check_chunk_spans(const SpeechDocView& doc, const ChunkSpans& c) {
  for (int64_t i = 0; i < c.num_chunks; ++i) {
    if (c.word_begin[i] < 0 || c.word_begin[i] > c.word_end[i] || c.word_end[i] > doc.num_words) {
      return "chunk " + std::to_string(i) + ": words [" + std::to_string(c.word_begin[i]) + ", " +
             std::to_string(c.word_end[i]) + ") are outside the document's " +
             std::to_string(doc.num_words) + " words";
    }
    if (c.frame_begin[i] < 0 || c.frame_begin[i] > c.frame_end[i] ||
        c.frame_end[i] > doc.num_frames) {
      return "chunk " + std::to_string(i) + ": frames [" + std::to_string(c.frame_begin[i]) +
             ", " + std::to_string(c.frame_end[i]) + ") are outside the document's " +
             std::to_string(doc.num_frames) + " speech frames";
    }
  }
  return "";
}

int64_t audio_chunks_to_text(const SpeechDocView& doc, const ChunkSpans& chunks,
                             int8_t* chunk_modality) {
  int64_t count = 0;
  for (int64_t i = 0; i < chunks.num_chunks; ++i) {
    if (chunk_modality[i] != kText && chunks.word_end[i] > chunks.word_begin[i] &&
        !has_audio_frame(doc, chunks, i)) {
      chunk_modality[i] = kText;
      ++count;
    }
  }
  return count;
}

int64_t interleaved_length(const SpeechDocView& doc, const ChunkSpans& chunks,
                           const int8_t* chunk_modality, const VocabIds& vocab,
                           int64_t* chunk_tokens) {
  const int32_t speech_vocab_size = vocab.bos - vocab.speech_offset;
  int64_t n = 2;  // BOS, EOS
  int8_t previous = -1;
  for (int64_t i = 0; i < chunks.num_chunks; ++i) {
    const int8_t m = chunk_modality[i];
    const int64_t count = chunk_tokens[i] = chunk_token_count(doc, chunks, i, m,
                                                              speech_vocab_size);
    if (count < 0) return -1;
    if (count == 0) continue;
    n += count + (m != previous);
    previous = m;
  }
  return n;
}

void interleave_speech(const SpeechDocView& doc, const ChunkSpans& chunks,
                       const int8_t* chunk_modality, const int64_t* chunk_tokens,
                       const VocabIds& vocab, int32_t* tokens, int8_t* modality) {
  int64_t k = 0;
  tokens[k] = vocab.bos;
  modality[k++] = kSpecial;
  int8_t previous = -1;
  for (int64_t i = 0; i < chunks.num_chunks; ++i) {
    const int8_t m = chunk_modality[i];
    const int64_t count = chunk_tokens[i];
    if (count == 0) continue;
    if (m != previous) {
      tokens[k] = m == kText ? vocab.text_marker : vocab.audio_marker;
      modality[k++] = kSpecial;
      previous = m;
    }
    int32_t* dst = tokens + k;
    if (m == kText) {
      const int32_t* src = doc.text_tokens + doc.word_token_offsets[chunks.word_begin[i]];
      std::memcpy(dst, src, count * sizeof(int32_t));
    } else {
      const int32_t offset = vocab.speech_offset;
      const int32_t* src = doc.speech_tokens + chunks.frame_begin[i];
      const int64_t span = chunks.frame_end[i] - chunks.frame_begin[i];
      if (count == span) {  // the usual case: every frame has audio
        for (int64_t j = 0; j < span; ++j) dst[j] = src[j] + offset;
      } else {
        int64_t j = 0;
        for (int64_t f = 0; f < span; ++f) {
          if (src[f] != kNoAudio) dst[j++] = src[f] + offset;
        }
      }
    }
    std::memset(modality + k, m, count);
    k += count;
  }
  tokens[k] = vocab.eos;
  modality[k] = kSpecial;
}

void interleave_text(const int32_t* text_tokens, int64_t num_text_tokens, const VocabIds& vocab,
                     int32_t* tokens, int8_t* modality) {
  tokens[0] = vocab.bos;
  modality[0] = kSpecial;
  if (num_text_tokens > 0) std::memcpy(tokens + 1, text_tokens, num_text_tokens * sizeof(int32_t));
  std::memset(modality + 1, kText, num_text_tokens);
  tokens[num_text_tokens + 1] = vocab.eos;
  modality[num_text_tokens + 1] = kSpecial;
}

}  // namespace spelangy
