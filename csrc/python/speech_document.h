// The per-document hot path as the bindings call it: on a document object or on a prepared
// corpus's columns.
#ifndef SPELANGY_PYTHON_SPEECH_DOCUMENT_H_
#define SPELANGY_PYTHON_SPEECH_DOCUMENT_H_

#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "core/speech_document.h"

namespace spelangy {
namespace py = pybind11;

// The settings of one build, from the Python arguments every document binding takes.
struct BuildSettings {
  BuildSettings(int chunking_mode, double max_chunk_duration, int sampling_mode, double p_audio,
                int first_modality, uint64_t seed, uint64_t epoch, const py::tuple& vocab);
  ChunkingParams chunking;
  SamplingParams sampling;
  uint64_t seed, epoch;
  VocabIds vocab;
};

// Chunks, samples and sizes one document, and with `write_tokens` interleaves it too, with
// the GIL released; sets `*length`. Returns "" or what is wrong with the document.
std::string run_view(const SpeechDocView& view, uint64_t key, const BuildSettings& settings,
                     bool write_tokens, SpeechDocumentOutput* out, int64_t* length);

// build_speech_document's Python result.
py::tuple build_result(SpeechDocumentOutput&& out);

}  // namespace spelangy

#endif  // SPELANGY_PYTHON_SPEECH_DOCUMENT_H_
