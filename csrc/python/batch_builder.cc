// Bindings of the batch builders. They take raw addresses as integers (torch's data_ptr()
// or numpy's ctypes.data) so that _C never links libtorch; the caller keeps the memory
// alive and checks the plan with check_batch_plan first.
#include "core/batch_builder.h"

#include <stdexcept>

#include "python/bindings.h"
#include "python/numpy_util.h"

namespace spelangy {
namespace {

template <typename T>
T* ptr(uintptr_t address) {
  return reinterpret_cast<T*>(address);
}

using Builder = void (*)(const int32_t*, const int8_t*, const int32_t*, const int32_t*,
                         const int32_t*, const int64_t*, const int64_t*, int64_t, int64_t,
                         int64_t, int64_t, int32_t, int64_t*, int64_t*, int64_t*, int8_t*,
                         int32_t*);

template <Builder build>
void call_host_builder(uintptr_t tokens, uintptr_t modality, uintptr_t piece_row,
                       uintptr_t piece_col, uintptr_t piece_length, uintptr_t piece_src,
                       uintptr_t piece_next_label, int64_t num_pieces, int64_t batch_size,
                       int64_t seq_len, int64_t pad_id, int32_t loss_mask_bits,
                       uintptr_t out_tokens, uintptr_t out_labels, uintptr_t out_position_ids,
                       uintptr_t out_modality, uintptr_t out_cu_seqlens) {
  py::gil_scoped_release release;
  build(ptr<const int32_t>(tokens), ptr<const int8_t>(modality), ptr<const int32_t>(piece_row),
        ptr<const int32_t>(piece_col), ptr<const int32_t>(piece_length),
        ptr<const int64_t>(piece_src), ptr<const int64_t>(piece_next_label), num_pieces,
        batch_size, seq_len, pad_id, loss_mask_bits, ptr<int64_t>(out_tokens),
        ptr<int64_t>(out_labels), ptr<int64_t>(out_position_ids), ptr<int8_t>(out_modality),
        ptr<int32_t>(out_cu_seqlens));
}

#ifdef SPELANGY_WITH_CUDA
void call_cuda_builder(uintptr_t tokens, uintptr_t modality, uintptr_t piece_row,
                       uintptr_t piece_col, uintptr_t piece_length, uintptr_t piece_src,
                       uintptr_t piece_next_label, int64_t num_pieces, int64_t batch_size,
                       int64_t seq_len, int64_t pad_id, int32_t loss_mask_bits,
                       uintptr_t out_tokens, uintptr_t out_labels, uintptr_t out_position_ids,
                       uintptr_t out_modality, uintptr_t out_cu_seqlens, uintptr_t stream) {
  py::gil_scoped_release release;
  build_batch_cuda(ptr<const int32_t>(tokens), ptr<const int8_t>(modality),
                   ptr<const int32_t>(piece_row), ptr<const int32_t>(piece_col),
                   ptr<const int32_t>(piece_length), ptr<const int64_t>(piece_src),
                   ptr<const int64_t>(piece_next_label), num_pieces, batch_size, seq_len, pad_id,
                   loss_mask_bits, ptr<int64_t>(out_tokens), ptr<int64_t>(out_labels),
                   ptr<int64_t>(out_position_ids), ptr<int8_t>(out_modality),
                   ptr<int32_t>(out_cu_seqlens), stream);
}
#else
void call_cuda_builder(const py::args&) {
  throw std::runtime_error(
      "spelangy was built without the CUDA batch kernel (no nvcc at build time, or "
      "SPELANGY_CUDA=OFF); rebuild with nvcc on PATH and SPELANGY_CUDA=ON, or build batches "
      "on the CPU");
}
#endif

}  // namespace

void PybindBatchBuilder(py::module& m) {
  m.def("has_cuda", []() {
#ifdef SPELANGY_WITH_CUDA
    return true;
#else
    return false;
#endif
  }, "Whether this build contains the CUDA batch kernel.");

  m.def(
      "check_batch_plan",
      [](const Array<int32_t>& piece_row, const Array<int32_t>& piece_col,
         const Array<int32_t>& piece_length, const Array<int64_t>& piece_src, int64_t num_tokens,
         int64_t batch_size, int64_t seq_len) {
        require_1d("piece_row", piece_row);
        require_1d("piece_col", piece_col);
        require_1d("piece_length", piece_length);
        require_1d("piece_src", piece_src);
        const py::ssize_t n = piece_row.size();
        require_size("piece_col", piece_col.size(), n);
        require_size("piece_length", piece_length.size(), n);
        require_size("piece_src", piece_src.size(), n);
        py::gil_scoped_release release;
        return check_batch_plan(piece_row.data(), piece_col.data(), piece_length.data(),
                                piece_src.data(), n, num_tokens, batch_size, seq_len);
      },
      py::arg("piece_row"), py::arg("piece_col"), py::arg("piece_length"), py::arg("piece_src"),
      py::arg("num_tokens"), py::arg("batch_size"), py::arg("seq_len"),
      "'' when the packing plan tiles the batch and stays inside the ragged tokens, otherwise "
      "what is wrong.");

  // Literal so that each docstring below can embed it.
#define SPELANGY_BUILDER_ARGS \
  "Arguments: addresses of tokens, modality, piece_row, piece_col, piece_length, piece_src, " \
  "piece_next_label; num_pieces, batch_size, seq_len, pad_id, loss_mask_bits; addresses of " \
  "the outputs tokens, labels, position_ids, modality, cu_seqlens."
  m.def("build_batch_cpu", &call_host_builder<build_batch_cpu>,
        "The CPU batch builder. " SPELANGY_BUILDER_ARGS);
  m.def("build_batch_emulated", &call_host_builder<build_batch_emulated>,
        "The CUDA kernel's per-thread code run on the CPU, for tests. " SPELANGY_BUILDER_ARGS);
  m.def("build_batch_cuda", &call_cuda_builder,
        "The CUDA batch builder. " SPELANGY_BUILDER_ARGS
        " Then the cudaStream_t address. All addresses are device memory of one device.");
#undef SPELANGY_BUILDER_ARGS
}

}  // namespace spelangy
