// Binding of the fused per-document hot path.
#include "python/speech_document.h"

#include "python/bindings.h"
#include "python/chunking.h"
#include "python/document.h"
#include "python/numpy_util.h"
#include "python/sampling.h"

namespace spelangy {

BuildSettings::BuildSettings(int chunking_mode, double max_chunk_duration, int sampling_mode,
                             double p_audio, int first_modality, uint64_t seed, uint64_t epoch,
                             const py::tuple& vocab)
    : chunking{chunking_mode_from_int(chunking_mode), max_chunk_duration},
      sampling(sampling_params(sampling_mode, p_audio, first_modality)),
      seed(seed),
      epoch(epoch),
      vocab(vocab_ids_from_tuple(vocab)) {}

std::string run_view(const SpeechDocView& view, uint64_t key, const BuildSettings& s,
                     bool write_tokens, SpeechDocumentOutput* out, int64_t* length) {
  py::gil_scoped_release release;
  if (!write_tokens) {
    return plan_speech_document(view, key, s.chunking, s.sampling, s.seed, s.epoch, s.vocab, out,
                                length);
  }
  std::string err =
      build_speech_document(view, key, s.chunking, s.sampling, s.seed, s.epoch, s.vocab, out);
  *length = static_cast<int64_t>(out->tokens.size());
  return err;
}

py::tuple build_result(SpeechDocumentOutput&& out) {
  return py::make_tuple(to_numpy(std::move(out.tokens)), to_numpy(std::move(out.modality)),
                        chunk_table_to_tuple(std::move(out.chunks)),
                        to_numpy(std::move(out.chunk_modality)), out.audio_chunks_as_text);
}

// Runs one document object; throws ValueError with what is wrong.
static SpeechDocumentOutput run_document(const py::object& doc, const BuildSettings& settings,
                                         bool write_tokens, int64_t* length) {
  const uint64_t key = doc.attr("key").cast<uint64_t>();
  SpeechDocArrays arrays(doc);
  SpeechDocumentOutput out;
  const std::string err = run_view(arrays.view(), key, settings, write_tokens, &out, length);
  if (!err.empty()) throw py::value_error(err);
  return out;
}

void PybindSpeechDocument(py::module& m) {
  m.def(
      "build_speech_document",
      [](const py::object& doc, int chunking_mode, double max_chunk_duration, int sampling_mode,
         double p_audio, int first_modality, uint64_t seed, uint64_t epoch,
         const py::tuple& vocab) {
        const BuildSettings settings(chunking_mode, max_chunk_duration, sampling_mode, p_audio,
                                     first_modality, seed, epoch, vocab);
        int64_t length = 0;
        return build_result(run_document(doc, settings, true, &length));
      },
      py::arg("doc"), py::arg("chunking_mode"), py::arg("max_chunk_duration"),
      py::arg("sampling_mode"), py::arg("p_audio"), py::arg("first_modality"), py::arg("seed"),
      py::arg("epoch"), py::arg("vocab"),
      "Chunk, sample and interleave one speech document: (tokens int32, modality int8, "
      "chunk fields as chunk_document returns them, chunk modalities int8 as emitted, the number "
      "of audio chunks without a real speech frame emitted as text).");
  m.def(
      "speech_document_length",
      [](const py::object& doc, int chunking_mode, double max_chunk_duration, int sampling_mode,
         double p_audio, int first_modality, uint64_t seed, uint64_t epoch,
         const py::tuple& vocab) {
        const BuildSettings settings(chunking_mode, max_chunk_duration, sampling_mode, p_audio,
                                     first_modality, seed, epoch, vocab);
        int64_t length = 0;
        run_document(doc, settings, false, &length);
        return length;
      },
      py::arg("doc"), py::arg("chunking_mode"), py::arg("max_chunk_duration"),
      py::arg("sampling_mode"), py::arg("p_audio"), py::arg("first_modality"), py::arg("seed"),
      py::arg("epoch"), py::arg("vocab"),
      "The number of tokens build_speech_document emits for the same arguments, without "
      "writing them.");
}

}  // namespace spelangy
