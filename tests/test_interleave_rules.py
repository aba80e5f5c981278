# The interleaving rules of docs/semantics.md, written out by hand (not reference == C++):
# markers only where the emitted modality changes, chunks with nothing to say skipped, frames
# without audio left out, audio chunks without a real frame emitted as text.
import numpy as np
import pytest

from spelangy import _core_cpp as cpp
from spelangy import reference as ref
from spelangy.chunks import Chunks
from spelangy.config import ChunkingConfig, SamplingConfig
from spelangy.documents import NO_AUDIO, SpeechDocument
from spelangy.vocab import Modality, VocabLayout

VOCAB = VocabLayout(text_vocab_size=20, speech_vocab_size=10)
T, A = Modality.TEXT, Modality.AUDIO


def document(words_tokens, speech, turns=((0.0, 0.8, 0, 0, 4),)):
    offsets = np.concatenate([[0], np.cumsum([len(t) for t in words_tokens])]).astype(np.int64)
    n = len(words_tokens)
    return SpeechDocument(
        cut_id="hand", turn_start=np.array([t[0] for t in turns]),
        turn_end=np.array([t[1] for t in turns]),
        turn_speaker=np.array([t[2] for t in turns], np.int32),
        turn_word_offsets=np.array([turns[0][3]] + [t[4] for t in turns], np.int64),
        turn_aligned=np.zeros(len(turns), np.uint8), word_start=np.zeros(n),
        word_end=np.zeros(n), word_sentence_end=np.zeros(n, np.uint8),
        word_token_offsets=offsets,
        text_tokens=np.array([x for t in words_tokens for x in t], np.int32),
        speech_tokens=np.array(speech, np.int32), frame_shift=0.08, duration=0.8)


@pytest.mark.parametrize("core", [ref, cpp], ids=["reference", "cpp"])
def test_markers_empty_chunks_and_frames_without_audio(core):
    doc = document([[5], [], [6, 7], [8]], [0, 1, 2, 3, 4, NO_AUDIO, 6, 7, 8, 9])
    # (word_begin, word_end, frame_begin, frame_end, modality)
    rows = [(0, 1, 0, 2, A),   # audio marker, S0 S1
            (1, 2, 2, 2, T),   # a text chunk whose word has no tokens: nothing, no marker
            (2, 3, 2, 4, A),   # still audio: no marker, S2 S3
            (3, 4, 4, 4, T),   # text marker, 8
            (3, 3, 4, 7, A)]   # audio marker, S4 S6 (frame 5 has no audio)
    chunks = Chunks(start=np.zeros(5), end=np.zeros(5), speaker=np.zeros(5, np.int32),
                    word_begin=np.array([r[0] for r in rows], np.int64),
                    word_end=np.array([r[1] for r in rows], np.int64),
                    frame_begin=np.array([r[2] for r in rows], np.int64),
                    frame_end=np.array([r[3] for r in rows], np.int64), unsplit_turns=0)
    modalities = np.array([r[4] for r in rows], np.int8)
    tokens, modality = core.interleave_speech(doc, chunks, modalities, VOCAB)
    S = VOCAB.speech_offset
    assert tokens.tolist() == [VOCAB.bos, VOCAB.audio_marker, S + 0, S + 1, S + 2, S + 3,
                               VOCAB.text_marker, 8, VOCAB.audio_marker, S + 4, S + 6,
                               VOCAB.eos]
    M = Modality
    assert modality.tolist() == [M.SPECIAL, M.SPECIAL, A, A, A, A, M.SPECIAL, T, M.SPECIAL,
                                 A, A, M.SPECIAL]


@pytest.mark.parametrize("core", [ref, cpp], ids=["reference", "cpp"])
def test_audio_chunk_without_a_real_frame_is_text(core):
    # Two turns of two speakers: chunk 0 audio (first_modality), chunk 1 text; chunk 0's
    # frames are all without audio, so it is emitted as text, after one text marker.
    turns = ((0.0, 0.4, 0, 0, 2), (0.4, 0.8, 1, 2, 3))
    doc = document([[1], [2, 3], [4]], [NO_AUDIO] * 5 + [5, 6, 7, 8, 9], turns)
    built = core.build_speech_document(doc, ChunkingConfig("coarse"),
                                       SamplingConfig("deterministic"), 0, 0, VOCAB)
    assert built.tokens.tolist() == [VOCAB.bos, VOCAB.text_marker, 1, 2, 3, 4, VOCAB.eos]
    assert built.chunk_modality.tolist() == [T, T] and built.audio_chunks_as_text == 1
