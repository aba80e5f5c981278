// Counter-based modality draws per chunk (docs/semantics.md, "Modality sampling").
#ifndef SPELANGY_CORE_SAMPLING_H_
#define SPELANGY_CORE_SAMPLING_H_

#include <cstdint>

#include "core/document.h"

namespace spelangy {

enum class SamplingMode : int { kDeterministic = 0, kStochastic = 1 };

struct SamplingParams {
  SamplingMode mode = SamplingMode::kDeterministic;
  double p_audio = 0.5;
  int8_t first_modality = kAudio;  // kAudio or kText
};

inline uint64_t splitmix64(uint64_t x) {
  uint64_t z = x + 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// The hash prefix shared by all chunks of one document in one epoch.
inline uint64_t document_hash(uint64_t seed, uint64_t epoch, uint64_t doc_key) {
  return splitmix64(splitmix64(splitmix64(seed) ^ epoch) ^ doc_key);
}

// Uniform in [0, 1) for one chunk: the top 53 bits of the chunk's hash.
inline double chunk_uniform(uint64_t doc_hash, uint64_t chunk_index) {
  return static_cast<double>(splitmix64(doc_hash ^ chunk_index) >> 11) * 0x1.0p-53;
}

// Writes the modality (kText or kAudio) of chunks [0, num_chunks) to out.
void sample_modalities(int64_t num_chunks, uint64_t doc_key, const SamplingParams& params,
                       uint64_t seed, uint64_t epoch, int8_t* out);

}  // namespace spelangy

#endif  // SPELANGY_CORE_SAMPLING_H_
