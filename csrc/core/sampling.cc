// Deterministic alternation and stochastic draws of chunk modalities.
#include "core/sampling.h"

namespace spelangy {

void sample_modalities(int64_t num_chunks, uint64_t doc_key, const SamplingParams& params,
                       uint64_t seed, uint64_t epoch, int8_t* out) {
  const int8_t first = params.first_modality;
  const int8_t other = first == kAudio ? kText : kAudio;
  if (params.mode == SamplingMode::kDeterministic) {
    for (int64_t i = 0; i < num_chunks; ++i) out[i] = (i & 1) ? other : first;
    return;
  }
  if (num_chunks <= 0) return;
  out[0] = first;
  const uint64_t h = document_hash(seed, epoch, doc_key);
  for (int64_t i = 1; i < num_chunks; ++i) {
    out[i] = chunk_uniform(h, static_cast<uint64_t>(i)) < params.p_audio ? kAudio : kText;
  }
}

}  // namespace spelangy
