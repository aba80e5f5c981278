// The CPU batch builder and the plan check shared by both builders.
#include "core/batch_builder.h"

#include <limits>

#include "core/batch_position.h"

namespace spelangy {
namespace {

BatchPlan make_plan(const int32_t* tokens, const int8_t* modality, const int32_t* piece_row,
                    const int32_t* piece_col, const int32_t* piece_length,
                    const int64_t* piece_src, const int64_t* piece_next_label,
                    int64_t num_pieces, int64_t batch_size, int64_t seq_len, int64_t pad_id,
                    int32_t loss_mask_bits) {
  return BatchPlan{tokens,     modality,   piece_row, piece_col, piece_length,
                   piece_src,  piece_next_label, num_pieces, batch_size, seq_len,
                   pad_id,     loss_mask_bits};
}

std::string at_piece(int64_t i, const std::string& what) {
  return "piece " + std::to_string(i) + ": " + what;
}

}  // namespace

std::string check_batch_plan(const int32_t* piece_row, const int32_t* piece_col,
                             const int32_t* piece_length, const int64_t* piece_src,
                             int64_t num_pieces, int64_t num_tokens, int64_t batch_size,
                             int64_t seq_len) {
  if (batch_size < 0 || seq_len < 0) return "batch_size and seq_len must be non-negative";
  if (num_pieces < 0 || num_tokens < 0) return "num_pieces and num_tokens must be non-negative";
  constexpr int64_t kMaxPositions = std::numeric_limits<int32_t>::max();
  // Divided, not multiplied: the product of two int64 may overflow.
  if (seq_len > 0 && batch_size > kMaxPositions / seq_len) {
    return "batch_size * seq_len = " + std::to_string(batch_size) + " * " +
           std::to_string(seq_len) + " does not fit the int32 cu_seqlens";
  }
  const int64_t total = batch_size * seq_len;
  // Pieces must tile the flattened batch in order. In flat terms an empty piece at the end
  // of a full row (col == seq_len) and one at the start of the next row are the same place.
  int64_t cursor = 0;
  for (int64_t i = 0; i < num_pieces; ++i) {
    const int64_t r = piece_row[i], c = piece_col[i], n = piece_length[i];
    if (r < 0 || r >= batch_size || c < 0 || c > seq_len) {
      return at_piece(i, "(row " + std::to_string(r) + ", col " + std::to_string(c) +
                             ") is outside the batch of " + std::to_string(batch_size) +
                             " rows of " + std::to_string(seq_len));
    }
    if (n < 0 || c + n > seq_len) {
      return at_piece(i, "length " + std::to_string(n) + " at col " + std::to_string(c) +
                             " does not fit a row of " + std::to_string(seq_len));
    }
    if (r * seq_len + c != cursor) {
      return at_piece(i, "starts at (row " + std::to_string(r) + ", col " + std::to_string(c) +
                             ") but the pieces before it end at (row " +
                             std::to_string(cursor / (seq_len > 0 ? seq_len : 1)) + ", col " +
                             std::to_string(seq_len > 0 ? cursor % seq_len : 0) + ")");
    }
    const int64_t src = piece_src[i];
    // src > num_tokens - n, not src + n > num_tokens: src may be near INT64_MAX.
    if (src < -1 || (src >= 0 && src > num_tokens - n)) {
      return at_piece(i, "source offset " + std::to_string(src) + " with length " +
                             std::to_string(n) + " is outside the " +
                             std::to_string(num_tokens) + " ragged tokens");
    }
    cursor += n;
  }
  if (cursor != total) {
    return "the pieces cover " + std::to_string(cursor) + " of the batch's " +
           std::to_string(total) + " positions";
  }
  return "";
}

void build_batch_cpu(const int32_t* tokens, const int8_t* modality, const int32_t* piece_row,
                     const int32_t* piece_col, const int32_t* piece_length,
                     const int64_t* piece_src, const int64_t* piece_next_label,
                     int64_t num_pieces, int64_t batch_size, int64_t seq_len, int64_t pad_id,
                     int32_t loss_mask_bits, int64_t* out_tokens, int64_t* out_labels,
                     int64_t* out_position_ids, int8_t* out_modality, int32_t* out_cu_seqlens) {
  const BatchPlan p = make_plan(tokens, modality, piece_row, piece_col, piece_length, piece_src,
                                piece_next_label, num_pieces, batch_size, seq_len, pad_id,
                                loss_mask_bits);
  const BatchOutputs o{out_tokens, out_labels, out_position_ids, out_modality, out_cu_seqlens};
  // Walking pieces in order avoids the per-position search the GPU threads do.
  for (int64_t i = 0; i < num_pieces; ++i) {
    const int64_t start = piece_start(p, i);
    const int64_t n = piece_length[i];
    for (int64_t j = 0; j < n; ++j) write_position(p, o, i, j, start + j);
  }
  for (int64_t i = 0; i <= num_pieces; ++i) out_cu_seqlens[i] = cu_seqlens_at(p, i);
}

void build_batch_emulated(const int32_t* tokens, const int8_t* modality,
                          const int32_t* piece_row, const int32_t* piece_col,
                          const int32_t* piece_length, const int64_t* piece_src,
                          const int64_t* piece_next_label, int64_t num_pieces,
                          int64_t batch_size, int64_t seq_len, int64_t pad_id,
                          int32_t loss_mask_bits, int64_t* out_tokens, int64_t* out_labels,
                          int64_t* out_position_ids, int8_t* out_modality,
                          int32_t* out_cu_seqlens) {
  const BatchPlan p = make_plan(tokens, modality, piece_row, piece_col, piece_length, piece_src,
                                piece_next_label, num_pieces, batch_size, seq_len, pad_id,
                                loss_mask_bits);
  const BatchOutputs o{out_tokens, out_labels, out_position_ids, out_modality, out_cu_seqlens};
  const int64_t total = batch_size * seq_len;
  for (int64_t flat = 0; flat < total; ++flat) {
    const int64_t piece = find_piece(p, flat);
    write_position(p, o, piece, flat - piece_start(p, piece), flat);
  }
  for (int64_t i = 0; i <= num_pieces; ++i) out_cu_seqlens[i] = cu_seqlens_at(p, i);
}

}  // namespace spelangy
