// A SpeechDocument (any object with its array attributes) held as typed numpy arrays.
#ifndef SPELANGY_PYTHON_DOCUMENT_H_
#define SPELANGY_PYTHON_DOCUMENT_H_

#include <pybind11/pybind11.h>

#include "core/document.h"
#include "python/numpy_util.h"

namespace spelangy {

// Holds the converted arrays so that the view stays valid while the GIL is released.
struct SpeechDocArrays {
  explicit SpeechDocArrays(const py::handle& doc);
  // Throws ValueError when the arrays are inconsistent.
  SpeechDocView view() const;

  Array<double> turn_start, turn_end;
  Array<int32_t> turn_speaker;
  Array<int64_t> turn_word_offsets;
  Array<uint8_t> turn_aligned;
  Array<double> word_start;
  Array<uint8_t> word_sentence_end;
  Array<int64_t> word_token_offsets;
  Array<int32_t> text_tokens, speech_tokens;
  double frame_shift;
};

VocabIds vocab_ids_from_tuple(const py::tuple& t);


}  // namespace spelangy

#endif  // SPELANGY_PYTHON_DOCUMENT_H_
