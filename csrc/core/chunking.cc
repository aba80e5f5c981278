// Coarse and fine chunking over a document's turn and word arrays.
#include "core/chunking.h"

#include <algorithm>
#include <cmath>

namespace spelangy {

void ChunkTable::clear() {
  start.clear();
  end.clear();
  speaker.clear();
  word_begin.clear();
  word_end.clear();
  frame_begin.clear();
  frame_end.clear();
  unsplit_turns = 0;
}

void ChunkTable::reserve(int64_t n) {
  start.reserve(n);
  end.reserve(n);
  speaker.reserve(n);
  word_begin.reserve(n);
  word_end.reserve(n);
  frame_begin.reserve(n);
  frame_end.reserve(n);
}

void ChunkTable::push(double s, double e, int32_t spk, int64_t wb, int64_t we) {
  start.push_back(s);
  end.push_back(e);
  speaker.push_back(spk);
  word_begin.push_back(wb);
  word_end.push_back(we);
}

namespace {

// The frame nearest to time t (half up), clamped to [0, num_frames] in floating point before
// the cast: a time far outside the cut (or NaN) must not overflow int64.
int64_t nearest_frame(double t, double frame_shift, int64_t num_frames) {
  const double x = t / frame_shift + 0.5;
  if (!(x > 0.0)) return 0;
  if (!(x < static_cast<double>(num_frames))) return num_frames;
  return static_cast<int64_t>(std::floor(x));
}

}  // namespace

void frame_range(double start, double end, double frame_shift, int64_t num_frames,
                 int64_t* frame_begin, int64_t* frame_end) {
  const int64_t fb = nearest_frame(start, frame_shift, num_frames);
  *frame_begin = fb;
  *frame_end = std::max<int64_t>(fb, nearest_frame(end, frame_shift, num_frames));
}

namespace {

void chunk_coarse(const SpeechDocView& doc, double max_dur, ChunkTable* out) {
  for (int64_t t = 0; t < doc.num_turns; ++t) {
    const int64_t n = out->size();
    if (n > 0 && out->speaker[n - 1] == doc.turn_speaker[t] &&
        doc.turn_end[t] - out->start[n - 1] <= max_dur) {
      out->end[n - 1] = std::max(out->end[n - 1], doc.turn_end[t]);
      out->word_end[n - 1] = doc.turn_word_offsets[t + 1];
    } else {
      out->push(doc.turn_start[t], doc.turn_end[t], doc.turn_speaker[t],
                doc.turn_word_offsets[t], doc.turn_word_offsets[t + 1]);
    }
  }
}

// Splits turn t at sentence ends and groups the sentences greedily into pieces of at most
// max_dur. Returns false (nothing pushed) when the turn has fewer than two sentences.
bool split_turn(const SpeechDocView& doc, int64_t t, double max_dur, ChunkTable* out) {
  const int64_t wb = doc.turn_word_offsets[t];
  const int64_t we = doc.turn_word_offsets[t + 1];
  int64_t first_end = -1;  // one past the last word of the first sentence
  for (int64_t w = wb; w < we - 1; ++w) {
    if (doc.word_sentence_end[w]) {
      first_end = w + 1;
      break;
    }
  }
  if (first_end < 0) return false;

  const int32_t spk = doc.turn_speaker[t];
  double piece_start = doc.turn_start[t];
  int64_t piece_word = wb;
  int64_t sent_begin = first_end;  // first word of the sentence being considered
  while (sent_begin < we) {
    int64_t sent_end = sent_begin + 1;
    while (sent_end < we && !doc.word_sentence_end[sent_end - 1]) ++sent_end;
    const double boundary_end = sent_end < we ? doc.word_start[sent_end] : doc.turn_end[t];
    // Negated <=, as the rule is written: a NaN time closes the piece, as in the reference.
    if (!(boundary_end - piece_start <= max_dur)) {
      const double cut = doc.word_start[sent_begin];
      out->push(piece_start, cut, spk, piece_word, sent_begin);
      piece_start = cut;
      piece_word = sent_begin;
    }
    sent_begin = sent_end;
  }
  out->push(piece_start, doc.turn_end[t], spk, piece_word, we);
  return true;
}

void chunk_fine(const SpeechDocView& doc, double max_dur, ChunkTable* out) {
  for (int64_t t = 0; t < doc.num_turns; ++t) {
    if (doc.turn_end[t] - doc.turn_start[t] > max_dur) {
      if (!doc.turn_aligned[t]) {
        ++out->unsplit_turns;
      } else if (split_turn(doc, t, max_dur, out)) {
        continue;
      }
    }
    out->push(doc.turn_start[t], doc.turn_end[t], doc.turn_speaker[t],
              doc.turn_word_offsets[t], doc.turn_word_offsets[t + 1]);
  }
}

}  // namespace

void chunk_document(const SpeechDocView& doc, ChunkingMode mode, double max_chunk_duration,
                    ChunkTable* out) {
  out->clear();
  out->reserve(doc.num_turns);
  if (mode == ChunkingMode::kCoarse) {
    chunk_coarse(doc, max_chunk_duration, out);
  } else {
    chunk_fine(doc, max_chunk_duration, out);
  }
  const int64_t n = out->size();
  out->frame_begin.resize(n);
  out->frame_end.resize(n);
  for (int64_t c = 0; c < n; ++c) {
    frame_range(out->start[c], out->end[c], doc.frame_shift, doc.num_frames,
                &out->frame_begin[c], &out->frame_end[c]);
  }
}

}  // namespace spelangy
