// Ragged token stream + packing plan -> padded batch arrays, on the CPU or a CUDA device.
// Both builders share one signature (the CUDA one adds a stream) and the per-position
// logic of batch_position.h; they produce identical arrays.
#ifndef SPELANGY_CORE_BATCH_BUILDER_H_
#define SPELANGY_CORE_BATCH_BUILDER_H_

#include <cstdint>
#include <string>

namespace spelangy {

// Checks the plan on host arrays: rows in range, pieces of each row in column order and
// tiling the row exactly, source ranges inside the `num_tokens` ragged tokens. The builders
// trust the plan (the CUDA one cannot read host memory), so callers check first.
// Returns "" when valid, otherwise what is wrong.
std::string check_batch_plan(const int32_t* piece_row, const int32_t* piece_col,
                             const int32_t* piece_length, const int64_t* piece_src,
                             int64_t num_pieces, int64_t num_tokens, int64_t batch_size,
                             int64_t seq_len);

// Outputs: tokens, labels, position_ids [batch_size * seq_len] int64, modality int8,
// cu_seqlens [num_pieces + 1] int32.
void build_batch_cpu(const int32_t* tokens, const int8_t* modality, const int32_t* piece_row,
                     const int32_t* piece_col, const int32_t* piece_length,
                     const int64_t* piece_src, const int64_t* piece_next_label,
                     int64_t num_pieces, int64_t batch_size, int64_t seq_len, int64_t pad_id,
                     int32_t loss_mask_bits, int64_t* out_tokens, int64_t* out_labels,
                     int64_t* out_position_ids, int8_t* out_modality, int32_t* out_cu_seqlens);

// The CUDA kernel's thread body run on the CPU for every position: each position finds
// its piece by binary search exactly as a GPU thread does. Slower than build_batch_cpu;
// it exists so that tests on machines without a GPU cover the kernel's indexing.
void build_batch_emulated(const int32_t* tokens, const int8_t* modality,
                          const int32_t* piece_row, const int32_t* piece_col,
                          const int32_t* piece_length, const int64_t* piece_src,
                          const int64_t* piece_next_label, int64_t num_pieces,
                          int64_t batch_size, int64_t seq_len, int64_t pad_id,
                          int32_t loss_mask_bits, int64_t* out_tokens, int64_t* out_labels,
                          int64_t* out_position_ids, int8_t* out_modality,
                          int32_t* out_cu_seqlens);

// All pointers are device memory of one device; the work is queued on `stream` (a
// cudaStream_t as an integer; 0 is the legacy default stream). Throws std::runtime_error
// on a CUDA error. Defined only when the build has CUDA (SPELANGY_WITH_CUDA).
void build_batch_cuda(const int32_t* tokens, const int8_t* modality, const int32_t* piece_row,
                      const int32_t* piece_col, const int32_t* piece_length,
                      const int64_t* piece_src, const int64_t* piece_next_label,
                      int64_t num_pieces, int64_t batch_size, int64_t seq_len, int64_t pad_id,
                      int32_t loss_mask_bits, int64_t* out_tokens, int64_t* out_labels,
                      int64_t* out_position_ids, int8_t* out_modality, int32_t* out_cu_seqlens,
                      uintptr_t stream);

}  // namespace spelangy

#endif  // SPELANGY_CORE_BATCH_BUILDER_H_
