// The CUDA batch builder: one thread per output position, piece found by binary search.
// Built by CMake when nvcc is found; by hand:
//   nvcc -O3 -std=c++17 -arch=sm_90 -I csrc -c csrc/core/batch_builder.cu
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "core/batch_builder.h"
#include "core/batch_position.h"

namespace spelangy {
namespace {

constexpr int kThreads = 256;

// Consecutive threads take consecutive positions, so each output array is written in
// coalesced runs; the piece arrays are small and stay in cache for the searches.
__global__ void build_batch_kernel(BatchPlan p, BatchOutputs o, int64_t total) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < total || i <= p.num_pieces; i += stride) {
    if (i < total) {
      const int64_t piece = find_piece(p, i);
      write_position(p, o, piece, i - piece_start(p, piece), i);
    }
    if (i <= p.num_pieces) o.cu_seqlens[i] = cu_seqlens_at(p, i);
  }
}

void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) {
    throw std::runtime_error(std::string("spelangy CUDA batch builder: ") + what + ": " +
                             cudaGetErrorString(err));
  }
}

// The device owning `ptr`; a host pointer is a caller error that would otherwise surface
// later as an illegal address in an unrelated kernel.
int device_of(const void* ptr, const char* name) {
  cudaPointerAttributes attr;
  check(cudaPointerGetAttributes(&attr, ptr), name);
  if (attr.type != cudaMemoryTypeDevice && attr.type != cudaMemoryTypeManaged) {
    throw std::invalid_argument(std::string("spelangy CUDA batch builder: ") + name +
                                " is not CUDA device memory");
  }
  return attr.device;
}

}  // namespace

void build_batch_cuda(const int32_t* tokens, const int8_t* modality, const int32_t* piece_row,
                      const int32_t* piece_col, const int32_t* piece_length,
                      const int64_t* piece_src, const int64_t* piece_next_label,
                      int64_t num_pieces, int64_t batch_size, int64_t seq_len, int64_t pad_id,
                      int32_t loss_mask_bits, int64_t* out_tokens, int64_t* out_labels,
                      int64_t* out_position_ids, int8_t* out_modality, int32_t* out_cu_seqlens,
                      uintptr_t stream) {
  const int64_t total = batch_size * seq_len;
  const int64_t work = total > num_pieces + 1 ? total : num_pieces + 1;
  // Launch on the device that holds the outputs: this runtime's current device is not the
  // caller's (torch keeps its own), and a stream only works on its own device.
  const int device = device_of(out_cu_seqlens, "cu_seqlens output");
  const void* others[] = {out_tokens, out_labels, out_position_ids, out_modality};
  for (const void* ptr : others) {
    if (total > 0 && device_of(ptr, "batch output") != device) {
      throw std::invalid_argument("spelangy CUDA batch builder: outputs on different devices");
    }
  }
  if (num_pieces > 0) {
    const void* plan[] = {piece_row, piece_col, piece_length, piece_src, piece_next_label};
    for (const void* ptr : plan) {
      if (device_of(ptr, "packing plan") != device) {
        throw std::invalid_argument(
            "spelangy CUDA batch builder: plan and outputs on different devices");
      }
    }
  }
  // An empty ragged stream (all padding) may come as a null address.
  const void* ragged[] = {tokens, modality};
  for (const void* ptr : ragged) {
    if (ptr != nullptr && device_of(ptr, "ragged tokens") != device) {
      throw std::invalid_argument(
          "spelangy CUDA batch builder: ragged tokens and outputs on different devices");
    }
  }
  check(cudaSetDevice(device), "cudaSetDevice");
  const BatchPlan p{tokens,    modality,  piece_row,  piece_col,  piece_length, piece_src,
                    piece_next_label, num_pieces, batch_size, seq_len, pad_id, loss_mask_bits};
  const BatchOutputs o{out_tokens, out_labels, out_position_ids, out_modality, out_cu_seqlens};
  int sms = 0;
  check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device), "device attribute");
  // Enough blocks to fill every SM several times over; larger batches loop (grid-stride).
  const int64_t wanted = (work + kThreads - 1) / kThreads;
  const int64_t cap = static_cast<int64_t>(sms) * 32;
  const int blocks = static_cast<int>(wanted < cap ? wanted : cap);
  build_batch_kernel<<<blocks, kThreads, 0, reinterpret_cast<cudaStream_t>(stream)>>>(p, o, total);
  check(cudaGetLastError(), "kernel launch");
}

}  // namespace spelangy
