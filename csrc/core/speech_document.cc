// Fused chunking, sampling and interleaving of one speech document.
#include "core/speech_document.h"

#include "core/interleave.h"

namespace spelangy {

const char* const kCodeOutsideVocab =
    "a speech code of an audio chunk is outside [0, speech_vocab_size)";

std::string build_speech_document(const SpeechDocView& doc, uint64_t doc_key,
                                  const ChunkingParams& chunking, const SamplingParams& sampling,
                                  uint64_t seed, uint64_t epoch, const VocabIds& vocab,
                                  SpeechDocumentOutput* out) {
  out->tokens.clear();
  out->modality.clear();
  std::string err = check_speech_document(doc);
  if (!err.empty()) return err;

  chunk_document(doc, chunking.mode, chunking.max_chunk_duration, &out->chunks);
  const ChunkTable& c = out->chunks;
  const ChunkSpans spans{c.word_begin.data(), c.word_end.data(), c.frame_begin.data(),
                         c.frame_end.data(), c.size()};
  // Spans come from the turn times, which the offsets check does not cover.
  err = check_chunk_spans(doc, spans);
  if (!err.empty()) return err;

  out->chunk_modality.resize(c.size());
  sample_modalities(c.size(), doc_key, sampling, seed, epoch, out->chunk_modality.data());
  out->audio_chunks_as_text = audio_chunks_to_text(doc, spans, out->chunk_modality.data());

  out->chunk_tokens.resize(c.size());
  const int64_t n = interleaved_length(doc, spans, out->chunk_modality.data(), vocab,
                                       out->chunk_tokens.data());
  if (n < 0) return kCodeOutsideVocab;
  out->tokens.resize(n);
  out->modality.resize(n);
  interleave_speech(doc, spans, out->chunk_modality.data(), out->chunk_tokens.data(), vocab,
                    out->tokens.data(), out->modality.data());
  return "";
}

}  // namespace spelangy
