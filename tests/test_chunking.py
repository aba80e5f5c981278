# Chunking invariants on fresh random documents: fine respects the maximum, coarse the speakers.
import numpy as np
import pytest

from fake_sources import speech_document
from spelangy import ChunkingConfig
from spelangy.reference import chunk_document
from spelangy.reference.chunking import _sentences


def random_docs(rng, n=40):
    return [speech_document(rng, f"d{i}", num_turns=int(rng.integers(1, 12))) for i in range(n)]


def turn_of_word(doc, w):
    return int(np.searchsorted(doc.turn_word_offsets, w, side="right") - 1)


@pytest.mark.parametrize("max_duration", [1.0, 2.5, 6.0])
def test_fine_chunks_respect_the_maximum_unless_one_sentence(max_duration, rng):
    for doc in random_docs(rng):
        chunks = chunk_document(doc, ChunkingConfig(mode="fine", max_chunk_duration=max_duration))
        unsplit = 0
        for c in range(chunks.num_chunks):
            w0, w1 = int(chunks.word_begin[c]), int(chunks.word_end[c])
            t = turn_of_word(doc, w0) if w1 > w0 else None
            if chunks.end[c] - chunks.start[c] <= max_duration + 1e-9:
                continue
            whole_turn = (w0, w1) == (doc.turn_word_offsets[t], doc.turn_word_offsets[t + 1])
            if whole_turn and not doc.turn_aligned[t]:
                unsplit += 1
                continue
            # Over the maximum: a single sentence, never a cut inside one.
            assert len(_sentences(doc, w0, w1)) == 1, (doc.cut_id, c)
        assert chunks.unsplit_turns == unsplit
        # Chunks tile the turns: every word once, in order.
        assert chunks.word_begin[0] == 0 and chunks.word_end[-1] == doc.num_words
        assert (chunks.word_begin[1:] == chunks.word_end[:-1]).all()


def test_fine_splits_only_at_sentence_ends(rng):
    for doc in random_docs(rng):
        chunks = chunk_document(doc, ChunkingConfig(mode="fine", max_chunk_duration=1.5))
        for c in range(chunks.num_chunks - 1):
            w = int(chunks.word_end[c])
            if w == doc.turn_word_offsets[turn_of_word(doc, w)]:
                continue  # a turn boundary
            assert doc.word_sentence_end[w - 1], "a fine chunk ended inside a sentence"


def test_coarse_chunks_never_mix_speakers_and_merge_runs(rng):
    for doc in random_docs(rng):
        chunks = chunk_document(doc, ChunkingConfig(mode="coarse", max_chunk_duration=8.0))
        for c in range(chunks.num_chunks):
            first = turn_of_word(doc, int(chunks.word_begin[c])) if chunks.word_end[c] > chunks.word_begin[c] else None
            turns = {turn_of_word(doc, w) for w in range(chunks.word_begin[c], chunks.word_end[c])}
            assert {int(doc.turn_speaker[t]) for t in turns} <= {int(chunks.speaker[c])}
            if len(turns) > 1:
                assert chunks.end[c] - chunks.start[c] <= 8.0 + 1e-9
            assert first is None or first == min(turns)
        # Consecutive chunks of one speaker exist only where the maximum forced a break.
        for c in range(chunks.num_chunks - 1):
            if chunks.speaker[c] == chunks.speaker[c + 1]:
                assert chunks.end[c + 1] - chunks.start[c] > 8.0


def test_coarse_chunks_are_longer_than_fine_ones(rng):
    docs = random_docs(rng, 60)
    coarse = np.concatenate([chunk_document(d, ChunkingConfig(mode="coarse")).duration for d in docs])
    fine = np.concatenate([chunk_document(d, ChunkingConfig(mode="fine", max_chunk_duration=3.0)).duration for d in docs])
    assert coarse.mean() > fine.mean()


def test_frame_ranges_follow_the_chunk_times(rng):
    for doc in random_docs(rng):
        chunks = chunk_document(doc, ChunkingConfig(mode="fine"))
        n = len(doc.speech_tokens)
        expected_begin = np.minimum(n, np.floor(chunks.start / doc.frame_shift + 0.5))
        assert (chunks.frame_begin == expected_begin).all()
        assert (chunks.frame_end >= chunks.frame_begin).all() and (chunks.frame_end <= n).all()
