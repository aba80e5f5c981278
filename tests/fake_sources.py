# In-memory sources of array documents: dataset tests without manifests or SentencePiece.
from dataclasses import dataclass

import numpy as np

from spelangy.documents import SpeechDocument, TextDocument


@dataclass
class FakeTokenizer:
    vocab_size: int = 500


class ListSource:
    """A source over ready-made documents, with the interface of SpeechTextSource."""

    def __init__(self, name, documents, weight=1.0, speech_vocab_size=64):
        self.name, self.weight = name, weight
        self.docs = documents
        self._speech_vocab_size = speech_vocab_size

    def iter_raw(self):
        return enumerate(self.docs)

    def to_document(self, index, raw, text_tokenizer):
        return raw

    def speech_vocab_size(self):
        return self._speech_vocab_size


def speech_document(rng, cut_id, num_turns=None, text_vocab=500, speech_vocab=64):
    """A random document: several speakers, aligned turns with sentence ends."""
    num_turns = num_turns or int(rng.integers(1, 8))
    starts, ends, speakers, offsets, aligned = [], [], [], [0], []
    w_start, w_end, sent_end, tok_offsets, tokens = [], [], [], [0], []
    t = 0.0
    for _ in range(num_turns):
        t += float(rng.uniform(0.0, 1.0))
        n_words = int(rng.integers(1, 30))
        is_aligned = bool(rng.random() < 0.8)
        turn_start = t
        for _ in range(n_words):
            duration = float(rng.uniform(0.1, 0.6))
            w_start.append(t if is_aligned else 0.0)
            w_end.append(t + duration if is_aligned else 0.0)
            t += duration
            sent_end.append(int(rng.random() < 0.25))
            tokens.extend(rng.integers(0, text_vocab, int(rng.integers(1, 4))).tolist())
            tok_offsets.append(len(tokens))
        starts.append(turn_start)
        ends.append(t)
        speakers.append(int(rng.integers(0, 3)))
        offsets.append(len(w_start))
        aligned.append(int(is_aligned))
    num_frames = int(t / 0.08) - int(rng.integers(0, 3))
    return SpeechDocument(
        cut_id=cut_id,
        turn_start=np.array(starts), turn_end=np.array(ends),
        turn_speaker=np.array(speakers, np.int32), turn_word_offsets=np.array(offsets, np.int64),
        turn_aligned=np.array(aligned, np.uint8), word_start=np.array(w_start),
        word_end=np.array(w_end), word_sentence_end=np.array(sent_end, np.uint8),
        word_token_offsets=np.array(tok_offsets, np.int64),
        text_tokens=np.array(tokens, np.int32),
        speech_tokens=rng.integers(0, speech_vocab, max(num_frames, 0)).astype(np.int32),
        duration=t,
    )


def text_document(rng, doc_id, text_vocab=500):
    return TextDocument(doc_id, rng.integers(0, text_vocab, int(rng.integers(1, 200))).astype(np.int32))


def speech_source(rng, name="speech", n=12, weight=1.0, **kwargs):
    return ListSource(name, [speech_document(rng, f"{name}-{i}", **kwargs) for i in range(n)], weight)


def text_source(rng, name="text", n=12, weight=1.0):
    return ListSource(name, [text_document(rng, f"{name}-{i}") for i in range(n)], weight)
