// Per-position batch logic shared by the CPU builder and the CUDA kernel, so that the CPU
// tests exercise the code the GPU runs (docs/semantics.md, "Building a batch from the plan").
#ifndef SPELANGY_CORE_BATCH_POSITION_H_
#define SPELANGY_CORE_BATCH_POSITION_H_

#include <cstdint>

#if defined(__CUDACC__)
#define SPELANGY_HD __host__ __device__ __forceinline__
#else
#define SPELANGY_HD inline
#endif

namespace spelangy {

constexpr int64_t kIgnoreIndex = -100;
constexpr int8_t kPadModality = 3;

// Inputs of one batch build, all pointers into the same memory space (host or device).
struct BatchPlan {
  const int32_t* tokens;
  const int8_t* modality;
  const int32_t* piece_row;
  const int32_t* piece_col;
  const int32_t* piece_length;
  const int64_t* piece_src;
  const int64_t* piece_next_label;
  int64_t num_pieces;
  int64_t batch_size;
  int64_t seq_len;
  int64_t pad_id;
  int32_t loss_mask_bits;
};

struct BatchOutputs {
  int64_t* tokens;
  int64_t* labels;
  int64_t* position_ids;
  int8_t* modality;
  int32_t* cu_seqlens;
};

SPELANGY_HD int64_t piece_start(const BatchPlan& p, int64_t i) {
  return static_cast<int64_t>(p.piece_row[i]) * p.seq_len + p.piece_col[i];
}

// The piece holding flat position `flat`: the last piece starting at or before it. Empty
// pieces share their start with the next piece, so taking the last one skips them.
SPELANGY_HD int64_t find_piece(const BatchPlan& p, int64_t flat) {
  int64_t lo = 0, hi = p.num_pieces;  // answer in [lo, hi)
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (piece_start(p, mid) <= flat) lo = mid; else hi = mid;
  }
  return lo;
}

// Entry i of cu_seqlens, i in [0, num_pieces].
SPELANGY_HD int32_t cu_seqlens_at(const BatchPlan& p, int64_t i) {
  return static_cast<int32_t>(i < p.num_pieces ? piece_start(p, i) : p.batch_size * p.seq_len);
}

// Writes every output at flat position `flat`, which is position j of piece `piece`.
SPELANGY_HD void write_position(const BatchPlan& p, const BatchOutputs& o, int64_t piece, int64_t j,
                                int64_t flat) {
  const int64_t src = p.piece_src[piece];
  if (src < 0) {
    o.tokens[flat] = p.pad_id;
    o.labels[flat] = kIgnoreIndex;
    o.position_ids[flat] = 0;
    o.modality[flat] = kPadModality;
    return;
  }
  const int64_t k = src + j;
  o.tokens[flat] = p.tokens[k];
  o.modality[flat] = p.modality[k];
  o.position_ids[flat] = j;
  if (j + 1 < p.piece_length[piece]) {
    const int32_t bit = (p.loss_mask_bits >> (p.modality[k + 1] & 7)) & 1;
    o.labels[flat] = bit ? static_cast<int64_t>(p.tokens[k + 1]) : kIgnoreIndex;
  } else {
    o.labels[flat] = p.piece_next_label[piece];
  }
}

}  // namespace spelangy

#endif  // SPELANGY_CORE_BATCH_POSITION_H_
