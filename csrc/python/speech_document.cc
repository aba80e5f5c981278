// Binding of the fused per-document hot path.
#include "core/speech_document.h"

#include "python/bindings.h"
#include "python/chunking.h"
#include "python/document.h"
#include "python/numpy_util.h"
#include "python/sampling.h"

namespace spelangy {

void PybindSpeechDocument(py::module& m) {
  m.def(
      "build_speech_document",
      [](const py::object& doc, int chunking_mode, double max_chunk_duration, int sampling_mode,
         double p_audio, int first_modality, uint64_t seed, uint64_t epoch,
         const py::tuple& vocab) {
        const ChunkingParams chunking{chunking_mode_from_int(chunking_mode), max_chunk_duration};
        const SamplingParams sampling = sampling_params(sampling_mode, p_audio, first_modality);
        const VocabIds ids = vocab_ids_from_tuple(vocab);
        const uint64_t key = doc.attr("key").cast<uint64_t>();
        SpeechDocArrays arrays(doc);
        const SpeechDocView v = arrays.view();
        SpeechDocumentOutput out;
        std::string err;
        {
          py::gil_scoped_release release;
          err = build_speech_document(v, key, chunking, sampling, seed, epoch, ids, &out);
        }
        if (!err.empty()) throw py::value_error(err);
        return py::make_tuple(to_numpy(std::move(out.tokens)), to_numpy(std::move(out.modality)),
                              chunk_table_to_tuple(std::move(out.chunks)),
                              to_numpy(std::move(out.chunk_modality)), out.audio_chunks_as_text);
      },
      py::arg("doc"), py::arg("chunking_mode"), py::arg("max_chunk_duration"),
      py::arg("sampling_mode"), py::arg("p_audio"), py::arg("first_modality"), py::arg("seed"),
      py::arg("epoch"), py::arg("vocab"),
      "Chunk, sample and interleave one speech document: (tokens int32, modality int8, "
      "chunk fields as chunk_document returns them, chunk modalities int8 as emitted, the number "
      "of audio chunks without a real speech frame emitted as text).");
}

}  // namespace spelangy
