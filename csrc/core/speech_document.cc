// Fused chunking, sampling and interleaving of one speech document.
#include "core/speech_document.h"

#include "core/interleave.h"

namespace spelangy {

const char* const kCodeOutsideVocab =
    "a speech code of an audio chunk is outside [0, speech_vocab_size)";

static ChunkSpans spans_of(const ChunkTable& c) {
  return ChunkSpans{c.word_begin.data(), c.word_end.data(), c.frame_begin.data(),
                    c.frame_end.data(), c.size()};
}

std::string plan_speech_document(const SpeechDocView& doc, uint64_t doc_key,
                                 const ChunkingParams& chunking, const SamplingParams& sampling,
                                 uint64_t seed, uint64_t epoch, const VocabIds& vocab,
                                 SpeechDocumentOutput* out, int64_t* length) {
  std::string err = check_speech_document(doc);
  if (!err.empty()) return err;

  chunk_document(doc, chunking.mode, chunking.max_chunk_duration, &out->chunks);
  const ChunkSpans spans = spans_of(out->chunks);
  // Spans come from the turn times, which the offsets check does not cover.
  err = check_chunk_spans(doc, spans);
  if (!err.empty()) return err;

  const int64_t num_chunks = spans.num_chunks;
  out->chunk_modality.resize(num_chunks);
  sample_modalities(num_chunks, doc_key, sampling, seed, epoch, out->chunk_modality.data());
  out->audio_chunks_as_text = audio_chunks_to_text(doc, spans, out->chunk_modality.data());

  out->chunk_tokens.resize(num_chunks);
  *length = interleaved_length(doc, spans, out->chunk_modality.data(), vocab,
                               out->chunk_tokens.data());
  return *length < 0 ? kCodeOutsideVocab : "";
}

std::string build_speech_document(const SpeechDocView& doc, uint64_t doc_key,
                                  const ChunkingParams& chunking, const SamplingParams& sampling,
                                  uint64_t seed, uint64_t epoch, const VocabIds& vocab,
                                  SpeechDocumentOutput* out) {
  out->tokens.clear();
  out->modality.clear();
  int64_t n = 0;
  std::string err = plan_speech_document(doc, doc_key, chunking, sampling, seed, epoch, vocab,
                                         out, &n);
  if (!err.empty()) return err;
  const ChunkSpans spans = spans_of(out->chunks);
  out->tokens.resize(n);
  out->modality.resize(n);
  interleave_speech(doc, spans, out->chunk_modality.data(), out->chunk_tokens.data(), vocab,
                    out->tokens.data(), out->modality.data());
  return "";
}

}  // namespace spelangy
