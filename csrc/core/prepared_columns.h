// A speech document of a prepared corpus (docs/prepared.md) read straight from its columns.
#ifndef SPELANGY_CORE_PREPARED_COLUMNS_H_
#define SPELANGY_CORE_PREPARED_COLUMNS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/document.h"

namespace spelangy {

template <typename T>
struct Column {
  const T* data = nullptr;
  int64_t size = 0;
};

// The columns the core reads, as they lie in the corpus's memory maps. The files are input:
// nothing here trusts their offsets.
struct SpeechColumns {
  Column<int64_t> doc_turn_end, doc_word_end, doc_text_end, doc_frame_end;
  Column<double> doc_frame_shift;
  Column<double> turn_start, turn_end;
  Column<int32_t> turn_speaker;
  Column<uint8_t> turn_aligned;
  Column<int64_t> turn_word_end;  // a turn's last word + 1, counted in its document
  Column<double> word_start;
  Column<uint8_t> word_sentence_end;
  Column<int64_t> word_text_end;  // a word's last text token + 1, counted in its document
  Column<int32_t> text_tokens, speech_tokens;
};

// The offsets a view points into: the columns store each document's row ends, the view
// wants them behind a leading 0. A caller that keeps one across documents reuses it.
struct PreparedOffsets {
  std::vector<int64_t> turn_word, word_token;
};

// Fills `*view` with document `number`, the same view its SpeechDocument's arrays give.
// Returns "" on success, otherwise why the columns do not hold the document (a damaged
// build); the view's own consistency is check_speech_document's to judge.
std::string prepared_speech_view(const SpeechColumns& columns, int64_t number,
                                 PreparedOffsets* offsets, SpeechDocView* view);

}  // namespace spelangy

#endif  // SPELANGY_CORE_PREPARED_COLUMNS_H_
