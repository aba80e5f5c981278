// Binding of the manifest line reader: one line in, the cut's tables as a named record out.
#include "core/manifest_reader.h"

#include "python/bindings.h"
#include "python/numpy_util.h"

namespace spelangy {
namespace {

// What read_manifest_line hands to Python: the tables as numpy arrays (moved, not copied)
// and the stored speech tokens' manifest, each under its own name.
struct ManifestTables {
  py::str cut_id;
  double start, duration;
  py::array turn_start, turn_end, turn_speaker, turn_word_offsets, turn_aligned;
  py::str words;
  int64_t num_words, words_outside_cut;
  py::array word_start, word_end, word_sentence_end;
  py::str storage_type, storage_path, storage_key;
  int64_t num_frames;
  double frame_shift, array_start;
  py::object speech_vocab_size;
};

ManifestTables to_python(ManifestLine&& line) {
  py::object vocab_size = py::none();
  if (line.has_vocab_size) vocab_size = py::int_(line.speech_vocab_size);
  return ManifestTables{
      py::str(line.cut_id), line.start, line.duration, to_numpy(std::move(line.turn_start)),
      to_numpy(std::move(line.turn_end)), to_numpy(std::move(line.turn_speaker)),
      to_numpy(std::move(line.turn_word_offsets)), to_numpy(std::move(line.turn_aligned)),
      py::str(line.words), line.num_words, line.words_outside_cut,
      to_numpy(std::move(line.word_start)), to_numpy(std::move(line.word_end)),
      to_numpy(std::move(line.word_sentence_end)), py::str(line.storage_type),
      py::str(line.storage_path), py::str(line.storage_key), line.num_frames, line.frame_shift,
      line.array_start, vocab_size};
}

}  // namespace

void PybindManifestReader(py::module& m) {
  py::class_<ManifestTables>(m, "ManifestTables",
                             "The tables of one MonoCut line, before tokenization.")
      .def_readonly("cut_id", &ManifestTables::cut_id)
      .def_readonly("start", &ManifestTables::start)
      .def_readonly("duration", &ManifestTables::duration)
      .def_readonly("turn_start", &ManifestTables::turn_start)
      .def_readonly("turn_end", &ManifestTables::turn_end)
      .def_readonly("turn_speaker", &ManifestTables::turn_speaker)
      .def_readonly("turn_word_offsets", &ManifestTables::turn_word_offsets)
      .def_readonly("turn_aligned", &ManifestTables::turn_aligned)
      .def_readonly("words", &ManifestTables::words, "the words joined by single spaces")
      .def_readonly("num_words", &ManifestTables::num_words)
      .def_readonly("words_outside_cut", &ManifestTables::words_outside_cut)
      .def_readonly("word_start", &ManifestTables::word_start)
      .def_readonly("word_end", &ManifestTables::word_end)
      .def_readonly("word_sentence_end", &ManifestTables::word_sentence_end)
      .def_readonly("storage_type", &ManifestTables::storage_type)
      .def_readonly("storage_path", &ManifestTables::storage_path)
      .def_readonly("storage_key", &ManifestTables::storage_key)
      .def_readonly("num_frames", &ManifestTables::num_frames,
                    "the stored array's length along its time axis")
      .def_readonly("frame_shift", &ManifestTables::frame_shift)
      .def_readonly("array_start", &ManifestTables::array_start)
      .def_readonly("speech_vocab_size", &ManifestTables::speech_vocab_size,
                    "custom['speech_vocab_size'], or None");
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
        return py::cast(to_python(std::move(out)));
      },
      py::arg("line"),
      "The ManifestTables of one Lhotse MonoCut manifest line, or a str saying why the line "
      "is left to the Lhotse reader.");
}

}  // namespace spelangy
