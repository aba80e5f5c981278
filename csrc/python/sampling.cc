// Binding of the modality draws.
#include "python/sampling.h"

#include <vector>

#include "python/bindings.h"
#include "python/numpy_util.h"

namespace spelangy {

SamplingParams sampling_params(int mode, double p_audio, int first_modality) {
  if (mode != 0 && mode != 1) {
    throw py::value_error("sampling mode must be 0 (deterministic) or 1 (stochastic), got " +
                          std::to_string(mode));
  }
  if (first_modality != kText && first_modality != kAudio) {
    throw py::value_error("first_modality must be 0 (text) or 1 (audio), got " +
                          std::to_string(first_modality));
  }
  return SamplingParams{static_cast<SamplingMode>(mode), p_audio,
                        static_cast<int8_t>(first_modality)};
}

void PybindSampling(py::module& m) {
  m.def("splitmix64", &splitmix64, py::arg("x"), "One splitmix64 step (mod 2**64).");
  m.def(
      "sample_modalities",
      [](int64_t num_chunks, uint64_t key, int mode, double p_audio, int first_modality,
         uint64_t seed, uint64_t epoch) {
        if (num_chunks < 0) throw py::value_error("num_chunks must be non-negative");
        const SamplingParams params = sampling_params(mode, p_audio, first_modality);
        std::vector<int8_t> out(num_chunks);
        {
          py::gil_scoped_release release;
          sample_modalities(num_chunks, key, params, seed, epoch, out.data());
        }
        return to_numpy(std::move(out));
      },
      py::arg("num_chunks"), py::arg("key"), py::arg("mode"), py::arg("p_audio"),
      py::arg("first_modality"), py::arg("seed"), py::arg("epoch"),
      "int8 Modality codes of chunks 0..num_chunks-1; mode 0 = deterministic, 1 = stochastic.");
}

}  // namespace spelangy
