// The hot path: chunk, sample and interleave one speech document in one call.
#ifndef SPELANGY_CORE_SPEECH_DOCUMENT_H_
#define SPELANGY_CORE_SPEECH_DOCUMENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/chunking.h"
#include "core/document.h"
#include "core/sampling.h"

namespace spelangy {

struct ChunkingParams {
  ChunkingMode mode = ChunkingMode::kFine;
  double max_chunk_duration = 10.0;
};

// Everything one document produces. A caller that keeps one of these across documents
// reuses its buffers: after warm-up the hot path allocates nothing.
struct SpeechDocumentOutput {
  ChunkTable chunks;
  std::vector<int8_t> chunk_modality;
  std::vector<int64_t> chunk_tokens;  // scratch: tokens each chunk emits
  std::vector<int32_t> tokens;
  std::vector<int8_t> modality;
  int64_t audio_chunks_as_text = 0;  // audio chunks without a real frame, emitted as text
};

// The error of a document whose emitted speech codes are outside the vocabulary.
extern const char* const kCodeOutsideVocab;

// Chunks, samples and sizes the document without writing its tokens: fills `out` but for
// `tokens` and `modality`, and `*length` with the number of tokens it emits (what counting
// batches needs). Returns "" on success, otherwise what is wrong with the document.
std::string plan_speech_document(const SpeechDocView& doc, uint64_t doc_key,
                                 const ChunkingParams& chunking, const SamplingParams& sampling,
                                 uint64_t seed, uint64_t epoch, const VocabIds& vocab,
                                 SpeechDocumentOutput* out, int64_t* length);

// Fills `out`; returns "" on success, otherwise what is wrong with the document (then
// `out` holds no tokens).
std::string build_speech_document(const SpeechDocView& doc, uint64_t doc_key,
                                  const ChunkingParams& chunking, const SamplingParams& sampling,
                                  uint64_t seed, uint64_t epoch, const VocabIds& vocab,
                                  SpeechDocumentOutput* out);

}  // namespace spelangy

#endif  // SPELANGY_CORE_SPEECH_DOCUMENT_H_
