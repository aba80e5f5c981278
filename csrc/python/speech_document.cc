// Binding of the fused per-document hot path.
#include "core/speech_document.h"

#include "python/bindings.h"
#include "python/chunking.h"
#include "python/document.h"
#include "python/numpy_util.h"
#include "python/sampling.h"

namespace spelangy {

// Chunks, samples and sizes one document, and with `write_tokens` interleaves it too;
// returns the core's output and sets `*length`. Throws ValueError with what is wrong.
static SpeechDocumentOutput run_document(const py::object& doc, int chunking_mode,
                                         double max_chunk_duration, int sampling_mode,
                                         double p_audio, int first_modality, uint64_t seed,
                                         uint64_t epoch, const py::tuple& vocab,
                                         bool write_tokens, int64_t* length) {
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
    if (write_tokens) {
      err = build_speech_document(v, key, chunking, sampling, seed, epoch, ids, &out);
      *length = static_cast<int64_t>(out.tokens.size());
    } else {
      err = plan_speech_document(v, key, chunking, sampling, seed, epoch, ids, &out, length);
    }
  }
  if (!err.empty()) throw py::value_error(err);
  return out;
}

void PybindSpeechDocument(py::module& m) {
  m.def(
      "build_speech_document",
      [](const py::object& doc, int chunking_mode, double max_chunk_duration, int sampling_mode,
         double p_audio, int first_modality, uint64_t seed, uint64_t epoch,
         const py::tuple& vocab) {
        int64_t length = 0;
        SpeechDocumentOutput out =
            run_document(doc, chunking_mode, max_chunk_duration, sampling_mode, p_audio,
                         first_modality, seed, epoch, vocab, true, &length);
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
  m.def(
      "speech_document_length",
      [](const py::object& doc, int chunking_mode, double max_chunk_duration, int sampling_mode,
         double p_audio, int first_modality, uint64_t seed, uint64_t epoch,
         const py::tuple& vocab) {
        int64_t length = 0;
        run_document(doc, chunking_mode, max_chunk_duration, sampling_mode, p_audio,
                     first_modality, seed, epoch, vocab, false, &length);
        return length;
      },
      py::arg("doc"), py::arg("chunking_mode"), py::arg("max_chunk_duration"),
      py::arg("sampling_mode"), py::arg("p_audio"), py::arg("first_modality"), py::arg("seed"),
      py::arg("epoch"), py::arg("vocab"),
      "The number of tokens build_speech_document emits for the same arguments, without "
      "writing them.");
}

}  // namespace spelangy
