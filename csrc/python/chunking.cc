// Binding of document chunking.
#include "python/chunking.h"

#include "python/bindings.h"
#include "python/document.h"
#include "python/numpy_util.h"

namespace spelangy {

py::tuple chunk_table_to_tuple(ChunkTable&& t) {
  return py::make_tuple(to_numpy(std::move(t.start)), to_numpy(std::move(t.end)),
                        to_numpy(std::move(t.speaker)), to_numpy(std::move(t.word_begin)),
                        to_numpy(std::move(t.word_end)), to_numpy(std::move(t.frame_begin)),
                        to_numpy(std::move(t.frame_end)), t.unsplit_turns);
}

ChunkingMode chunking_mode_from_int(int mode) {
  if (mode != 0 && mode != 1) {
    throw py::value_error("chunking mode must be 0 (coarse) or 1 (fine), got " +
                          std::to_string(mode));
  }
  return static_cast<ChunkingMode>(mode);
}

void PybindChunking(py::module& m) {
  m.def(
      "chunk_document",
      [](const py::object& doc, int mode, double max_chunk_duration) {
        const ChunkingMode cm = chunking_mode_from_int(mode);
        SpeechDocArrays arrays(doc);
        const SpeechDocView v = arrays.view();
        ChunkTable table;
        std::string err;
        {
          py::gil_scoped_release release;
          err = check_speech_document(v);
          if (err.empty()) chunk_document(v, cm, max_chunk_duration, &table);
        }
        if (!err.empty()) throw py::value_error(err);
        return chunk_table_to_tuple(std::move(table));
      },
      py::arg("doc"), py::arg("mode"), py::arg("max_chunk_duration"),
      "Chunks of a speech document; mode 0 = coarse, 1 = fine. Returns the fields of "
      "spelangy.chunks.Chunks in order.");
}

}  // namespace spelangy
