// Binding of the manifest line reader: one line in, the cut's tables as numpy arrays out.
#include "core/manifest_reader.h"

#include "python/bindings.h"
#include "python/numpy_util.h"

namespace spelangy {

void PybindManifestReader(py::module& m) {
  m.def(
      "read_manifest_line",
      [](const py::bytes& line) -> py::object {
        // One reader per thread keeps its scratch buffers from line to line.
        thread_local ManifestReader reader;
        char* data = nullptr;
        py::ssize_t size = 0;
        PyBytes_AsStringAndSize(line.ptr(), &data, &size);
        ManifestLine out;
        std::string why;
        {
          py::gil_scoped_release release;
          why = reader.read(data, static_cast<size_t>(size), &out);
        }
        if (!why.empty()) return py::str(why);
        py::object vocab_size = py::none();
        if (out.has_vocab_size) vocab_size = py::int_(out.speech_vocab_size);
        return py::make_tuple(
            py::str(out.cut_id), out.start, out.duration, to_numpy(std::move(out.turn_start)),
            to_numpy(std::move(out.turn_end)), to_numpy(std::move(out.turn_speaker)),
            to_numpy(std::move(out.turn_word_offsets)), to_numpy(std::move(out.turn_aligned)),
            py::str(out.words), out.num_words, to_numpy(std::move(out.word_start)),
            to_numpy(std::move(out.word_end)), to_numpy(std::move(out.word_sentence_end)),
            py::make_tuple(py::str(out.storage_type), py::str(out.storage_path),
                           py::str(out.storage_key), out.num_frames, out.frame_shift,
                           out.array_start),
            vocab_size);
      },
      py::arg("line"),
      "The tables of one Lhotse MonoCut manifest line, or a str saying why the line is left "
      "to the general path. The tuple is (cut_id, start, duration, turn_start, turn_end, "
      "turn_speaker, turn_word_offsets, turn_aligned, words joined by single spaces, "
      "num_words, word_start, word_end, word_sentence_end, (storage_type, storage_path, "
      "storage_key, num_frames, frame_shift, array_start), speech_vocab_size or None).");
}

}  // namespace spelangy
