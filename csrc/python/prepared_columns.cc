// Binding of a prepared corpus's speech columns: documents built straight from the maps.
#include "core/prepared_columns.h"

#include <string>

#include "python/bindings.h"
#include "python/numpy_util.h"
#include "python/speech_document.h"

namespace spelangy {
namespace {

// Holds the column arrays (and so their maps) and pointers into them.
class PreparedSpeechColumns {
 public:
  explicit PreparedSpeechColumns(const py::dict& columns) {
    take(columns, "doc_turn_end", &c_.doc_turn_end);
    take(columns, "doc_word_end", &c_.doc_word_end);
    take(columns, "doc_text_end", &c_.doc_text_end);
    take(columns, "doc_frame_end", &c_.doc_frame_end);
    take(columns, "doc_frame_shift", &c_.doc_frame_shift);
    take(columns, "turn_start", &c_.turn_start);
    take(columns, "turn_end", &c_.turn_end);
    take(columns, "turn_speaker", &c_.turn_speaker);
    take(columns, "turn_aligned", &c_.turn_aligned);
    take(columns, "turn_word_end", &c_.turn_word_end);
    take(columns, "word_start", &c_.word_start);
    take(columns, "word_sentence_end", &c_.word_sentence_end);
    take(columns, "word_text_end", &c_.word_text_end);
    take(columns, "text_tokens", &c_.text_tokens);
    take(columns, "speech_tokens", &c_.speech_tokens);
  }

  // The result of build_speech_document (or, without `write_tokens`, the length) of document
  // `number`, or None when the columns do not give it: a damaged build or a document the
  // core refuses. The caller then builds the document's arrays, which report why.
  py::object run(int64_t number, uint64_t key, const BuildSettings& settings,
                 bool write_tokens) {
    SpeechDocView view;
    PreparedOffsets offsets;  // per call: another thread may build while the GIL is released
    if (!prepared_speech_view(c_, number, &offsets, &view).empty()) return py::none();
    SpeechDocumentOutput out;
    int64_t length = 0;
    if (!run_view(view, key, settings, write_tokens, &out, &length).empty()) return py::none();
    if (!write_tokens) return py::int_(length);
    return build_result(std::move(out));
  }

 private:
  // Column `name` as it is, without a copy: it must have exactly the dtype the format names.
  template <typename T>
  void take(const py::dict& columns, const char* name, Column<T>* column) {
    const py::object value = columns[name];
    if (!py::isinstance<py::array_t<T, py::array::c_style>>(value)) {
      throw py::type_error(std::string("column ") + name + " must be a contiguous " +
                           std::string(py::str(py::dtype::of<T>())) + " array");
    }
    const auto a = py::reinterpret_borrow<py::array_t<T, py::array::c_style>>(value);
    if (a.ndim() != 1) throw py::value_error(std::string("column ") + name + " must be 1-D");
    kept_.append(a);
    column->data = a.data();
    column->size = a.size();
  }

  py::list kept_;  // the arrays the pointers point into, whatever becomes of the dict
  SpeechColumns c_;
};

// One method per document function: `write_tokens` picks build or length.
template <bool write_tokens>
py::object run_number(PreparedSpeechColumns& self, int64_t number, uint64_t key,
                      int chunking_mode, double max_chunk_duration, int sampling_mode,
                      double p_audio, int first_modality, uint64_t seed, uint64_t epoch,
                      const py::tuple& vocab) {
  return self.run(number, key,
                  BuildSettings(chunking_mode, max_chunk_duration, sampling_mode, p_audio,
                                first_modality, seed, epoch, vocab),
                  write_tokens);
}

template <typename Function>
void def_run(py::class_<PreparedSpeechColumns>* cls, const char* name, Function function,
             const char* doc) {
  cls->def(name, function, py::arg("number"), py::arg("key"), py::arg("chunking_mode"),
           py::arg("max_chunk_duration"), py::arg("sampling_mode"), py::arg("p_audio"),
           py::arg("first_modality"), py::arg("seed"), py::arg("epoch"), py::arg("vocab"), doc);
}

}  // namespace

void PybindPreparedColumns(py::module& m) {
  py::class_<PreparedSpeechColumns> cls(
      m, "PreparedSpeechColumns",
      "The speech columns of a prepared corpus (a dict of its arrays, kept alive here).");
  cls.def(py::init<const py::dict&>(), py::arg("columns"));
  def_run(&cls, "build_speech_document", &run_number<true>,
          "build_speech_document of document `number`, or None when the columns do not give "
          "it (then build its arrays, which say why).");
  def_run(&cls, "speech_document_length", &run_number<false>,
          "speech_document_length of document `number`, or None as build_speech_document "
          "gives it.");
}

}  // namespace spelangy
