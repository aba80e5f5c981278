// Binding of document validation, and the conversion every document-taking binding uses.
#include "python/document.h"

#include "python/bindings.h"

namespace spelangy {

SpeechDocArrays::SpeechDocArrays(const py::handle& doc)
    : turn_start(attr_array<double>(doc, "turn_start")),
      turn_end(attr_array<double>(doc, "turn_end")),
      turn_speaker(attr_array<int32_t>(doc, "turn_speaker")),
      turn_word_offsets(attr_array<int64_t>(doc, "turn_word_offsets")),
      turn_aligned(attr_array<uint8_t>(doc, "turn_aligned")),
      word_start(attr_array<double>(doc, "word_start")),
      word_sentence_end(attr_array<uint8_t>(doc, "word_sentence_end")),
      word_token_offsets(attr_array<int64_t>(doc, "word_token_offsets")),
      text_tokens(attr_array<int32_t>(doc, "text_tokens")),
      speech_tokens(attr_array<int32_t>(doc, "speech_tokens")),
      frame_shift(doc.attr("frame_shift").cast<double>()) {}

SpeechDocView SpeechDocArrays::view() const {
  const py::ssize_t turns = turn_start.size();
  const py::ssize_t words = word_start.size();
  require_size("turn_end", turn_end.size(), turns);
  require_size("turn_speaker", turn_speaker.size(), turns);
  require_size("turn_aligned", turn_aligned.size(), turns);
  require_size("turn_word_offsets", turn_word_offsets.size(), turns + 1);
  require_size("word_sentence_end", word_sentence_end.size(), words);
  require_size("word_token_offsets", word_token_offsets.size(), words + 1);
  SpeechDocView v;
  v.turn_start = turn_start.data();
  v.turn_end = turn_end.data();
  v.turn_speaker = turn_speaker.data();
  v.turn_word_offsets = turn_word_offsets.data();
  v.turn_aligned = turn_aligned.data();
  v.num_turns = turns;
  v.word_start = word_start.data();
  v.word_sentence_end = word_sentence_end.data();
  v.word_token_offsets = word_token_offsets.data();
  v.num_words = words;
  v.text_tokens = text_tokens.data();
  v.num_text_tokens = text_tokens.size();
  v.speech_tokens = speech_tokens.data();
  v.num_frames = speech_tokens.size();
  v.frame_shift = frame_shift;
  return v;
}

VocabIds vocab_ids_from_tuple(const py::tuple& t) {
  if (t.size() != 5) {
    throw py::value_error("vocab must be (speech_offset, bos, eos, audio_marker, text_marker)");
  }
  return VocabIds{t[0].cast<int32_t>(), t[1].cast<int32_t>(), t[2].cast<int32_t>(),
                  t[3].cast<int32_t>(), t[4].cast<int32_t>()};
}

void PybindDocument(py::module& m) {
  m.def(
      "check_speech_document",
      [](const py::object& doc) {
        SpeechDocArrays arrays(doc);
        const SpeechDocView v = arrays.view();
        py::gil_scoped_release release;
        return check_speech_document(v);
      },
      py::arg("doc"),
      "'' when the document's offsets are consistent, otherwise what is wrong.");
}

}  // namespace spelangy
