// Turns to chunks, coarse or fine (docs/semantics.md, "Chunking").
#ifndef SPELANGY_CORE_CHUNKING_H_
#define SPELANGY_CORE_CHUNKING_H_

#include <cstdint>
#include <vector>

#include "core/document.h"

namespace spelangy {

enum class ChunkingMode : int { kCoarse = 0, kFine = 1 };

// Chunks as parallel arrays. Kept as one object so that a caller chunking many documents
// reuses its capacity instead of allocating per document.
struct ChunkTable {
  std::vector<double> start;
  std::vector<double> end;
  std::vector<int32_t> speaker;
  std::vector<int64_t> word_begin;
  std::vector<int64_t> word_end;
  std::vector<int64_t> frame_begin;
  std::vector<int64_t> frame_end;
  int64_t unsplit_turns = 0;

  int64_t size() const { return static_cast<int64_t>(start.size()); }
  void clear();
  void reserve(int64_t n);
  void push(double s, double e, int32_t spk, int64_t wb, int64_t we);
};

// Replaces `out` with the chunks of `doc`. Frame ranges use doc.num_frames and
// doc.frame_shift. The document must have passed check_speech_document.
void chunk_document(const SpeechDocView& doc, ChunkingMode mode, double max_chunk_duration,
                    ChunkTable* out);

// frame_begin/frame_end of a [start, end) span, clamped to the available frames.
void frame_range(double start, double end, double frame_shift, int64_t num_frames,
                 int64_t* frame_begin, int64_t* frame_end);

}  // namespace spelangy

#endif  // SPELANGY_CORE_CHUNKING_H_
