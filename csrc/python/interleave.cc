// Bindings of speech and text interleaving.
#include "core/interleave.h"
#include "core/speech_document.h"

#include <vector>

#include "python/bindings.h"
#include "python/document.h"
#include "python/numpy_util.h"

namespace spelangy {

void PybindInterleave(py::module& m) {
  m.def(
      "interleave_speech",
      [](const py::object& doc, const Array<int64_t>& word_begin, const Array<int64_t>& word_end,
         const Array<int64_t>& frame_begin, const Array<int64_t>& frame_end,
         const Array<int8_t>& chunk_modality, const py::tuple& vocab) {
        const VocabIds ids = vocab_ids_from_tuple(vocab);
        SpeechDocArrays arrays(doc);
        const SpeechDocView v = arrays.view();
        const py::ssize_t n = word_begin.size();
        require_size("word_end", word_end.size(), n);
        require_size("frame_begin", frame_begin.size(), n);
        require_size("frame_end", frame_end.size(), n);
        require_size("chunk modalities", chunk_modality.size(), n);
        const ChunkSpans spans{word_begin.data(), word_end.data(), frame_begin.data(),
                               frame_end.data(), n};
        std::vector<int32_t> tokens;
        std::vector<int8_t> modality;
        std::vector<int64_t> chunk_tokens(n);
        std::string err;
        {
          py::gil_scoped_release release;
          err = check_speech_document(v);
          if (err.empty()) err = check_chunk_spans(v, spans);
          if (err.empty()) {
            const int64_t len = interleaved_length(v, spans, chunk_modality.data(), ids,
                                                   chunk_tokens.data());
            if (len < 0) {
              err = kCodeOutsideVocab;
            } else {
              tokens.resize(len);
              modality.resize(len);
              interleave_speech(v, spans, chunk_modality.data(), chunk_tokens.data(), ids,
                                tokens.data(), modality.data());
            }
          }
        }
        if (!err.empty()) throw py::value_error(err);
        return py::make_tuple(to_numpy(std::move(tokens)), to_numpy(std::move(modality)));
      },
      py::arg("doc"), py::arg("word_begin"), py::arg("word_end"), py::arg("frame_begin"),
      py::arg("frame_end"), py::arg("chunk_modality"), py::arg("vocab"),
      "(tokens int32, modality int8) of a speech document; vocab is (speech_offset, bos, eos, "
      "audio_marker, text_marker).");
  m.def(
      "interleave_text",
      [](const Array<int32_t>& text_tokens, const py::tuple& vocab) {
        const VocabIds ids = vocab_ids_from_tuple(vocab);
        const int64_t n = text_tokens.size();
        std::vector<int32_t> tokens(n + 2);
        std::vector<int8_t> modality(n + 2);
        {
          py::gil_scoped_release release;
          interleave_text(text_tokens.data(), n, ids, tokens.data(), modality.data());
        }
        return py::make_tuple(to_numpy(std::move(tokens)), to_numpy(std::move(modality)));
      },
      py::arg("text_tokens"), py::arg("vocab"),
      "(tokens int32, modality int8) of a text document: BOS, its tokens, EOS.");
}

}  // namespace spelangy
