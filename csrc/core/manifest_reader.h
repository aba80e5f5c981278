// A strict reader of one Lhotse MonoCut manifest line (JSON) straight into document tables.
#ifndef SPELANGY_CORE_MANIFEST_READER_H_
#define SPELANGY_CORE_MANIFEST_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace spelangy {

// The tables of one cut, by the rules of spelangy/reading/lhotse_reader.py, before tokenization. Words are
// joined by single spaces; no word holds a whitespace character (Python's `str.isspace`),
// so `words.split(" ")` gives them back.
struct ManifestLine {
  std::string cut_id;
  double start = 0.0;
  double duration = 0.0;
  std::vector<double> turn_start, turn_end;
  std::vector<int32_t> turn_speaker;
  std::vector<int64_t> turn_word_offsets;
  std::vector<uint8_t> turn_aligned;
  std::string words;
  int64_t num_words = 0;
  std::vector<double> word_start, word_end;
  std::vector<uint8_t> word_sentence_end;
  int64_t words_outside_cut = 0;  // words of supervisions outside the cut, left out
  // custom["speech_tokens"], a TemporalArray manifest
  std::string storage_type, storage_path, storage_key;
  int64_t num_frames = 0;  // array.shape[temporal_dim]
  double frame_shift = 0.0;
  double array_start = 0.0;
  bool has_vocab_size = false;  // custom["speech_vocab_size"] present and not null
  int64_t speech_vocab_size = 0;
};

// Reads one line. Returns "" when the line is a MonoCut inside the handled subset and fills
// `out`; otherwise says why not (other cut types, dict-style alignment items, missing or
// oddly typed fields, any bad JSON or bad input), and the caller takes the general path,
// which gives the same document or the error that names the cut. One reader per thread; it
// keeps its scratch buffers between lines.
class ManifestReader {
 public:
  std::string read(const char* data, size_t size, ManifestLine* out);

 private:
  struct Item {
    size_t symbol, symbol_len;
    double start, duration;
  };
  struct Sup {
    double start = 0.0, duration = 0.0;
    int has_start = 0, has_duration = 0;
    bool has_speaker = false;  // a string speaker (else None)
    size_t speaker = 0, speaker_len = 0, text = 0, text_len = 0;
    bool has_text = false;
    size_t items_begin = 0, items_end = 0;
  };
  void parse(const char* data, size_t size, ManifestLine* out);
  void build(ManifestLine* out);

  std::string arena_;  // decoded strings: texts, symbols, speakers
  std::vector<Sup> sups_;
  std::vector<Item> items_;
  std::vector<size_t> order_, item_order_;
  std::vector<std::pair<size_t, size_t>> words_;  // (arena offset, length) of one turn's words
  std::vector<double> turn_ws_, turn_we_;          // their start and end times
};

// `word.rstrip(CLOSERS).endswith((".", "!", "?", "\u2026"))` on UTF-8 bytes.
bool is_sentence_end_utf8(const char* word, size_t size);

}  // namespace spelangy

#endif  // SPELANGY_CORE_MANIFEST_READER_H_
