// Sampling settings from their Python integer codes, shared by the sampling bindings.
#ifndef SPELANGY_PYTHON_SAMPLING_H_
#define SPELANGY_PYTHON_SAMPLING_H_

#include <pybind11/pybind11.h>

#include "core/sampling.h"

namespace spelangy {

// mode: 0 deterministic, 1 stochastic; first_modality: a Modality code (0 text, 1 audio).
SamplingParams sampling_params(int mode, double p_audio, int first_modality);

}  // namespace spelangy

#endif  // SPELANGY_PYTHON_SAMPLING_H_
