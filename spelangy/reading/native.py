# The C++ reader (spelangy._C.read_manifest_line): the fast path from a manifest line to a document.
"""`_C.read_manifest_line` scans one MonoCut line in C++ (no Python object per word) and
applies the rules of `lhotse_reader`; it returns a reason string for any line outside its
subset, and `reader.line_to_document` then takes the Lhotse reader. Python keeps what needs
Python: SentencePiece over the words not cached yet (each word on its own, see
`TextTokenizer.encode_joined_words`) and reading the speech-token storage.
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

from ..documents import SpeechDocument
from ..errors import Where
from .speech_tokens import stored_codes
from .storage import read_temporal


def read_tables(line: bytes):
    """The C++ reader's `ManifestTables` for `line`, or None when the line is left to the
    Lhotse reader (also when the extension is not built)."""
    try:
        from .._C import read_manifest_line
    except ImportError:
        return None
    got = read_manifest_line(line)
    return None if isinstance(got, str) else got


def _encode(tables, text_tokenizer):
    """(text tokens, word token offsets): the joined words go straight to the tokenizer's
    word cache when it has one (no Python list of words)."""
    encode_joined = getattr(text_tokenizer, "encode_joined_words", None)
    if tables.num_words == 0:
        return text_tokenizer.encode_words([])
    if encode_joined is None:
        return text_tokenizer.encode_words(tables.words.split(" "))
    return encode_joined(tables.words)


def tables_speech_tokens(t, where: Where) -> Optional[Tuple[np.ndarray, float]]:
    """The checked stored codes of the line read into `t`, or None when reading the storage
    fails: the Lhotse reader then reports the failure, the same way for both readers."""
    array = {"storage_type": t.storage_type, "storage_path": t.storage_path,
             "storage_key": t.storage_key}
    try:
        codes = read_temporal(array, t.num_frames, t.frame_shift, t.array_start, t.start,
                              t.duration)
    except Exception:  # Lhotse's slicing and storage readers say what is wrong, and how
        return None
    return stored_codes(codes, t.speech_vocab_size, t.frame_shift, t.duration, where, t.cut_id)


def tables_to_document(t, text_tokenizer, speech_tokens: np.ndarray,
                       frame_shift: float) -> SpeechDocument:
    text_tokens, word_token_offsets = _encode(t, text_tokenizer)
    return SpeechDocument(
        cut_id=t.cut_id,
        turn_start=t.turn_start,
        turn_end=t.turn_end,
        turn_speaker=t.turn_speaker,
        turn_word_offsets=t.turn_word_offsets,
        turn_aligned=t.turn_aligned,
        word_start=t.word_start,
        word_end=t.word_end,
        word_sentence_end=t.word_sentence_end,
        word_token_offsets=word_token_offsets,
        text_tokens=text_tokens,
        speech_tokens=speech_tokens,
        frame_shift=frame_shift,
        duration=float(t.duration),
        words_outside_cut=t.words_outside_cut,
    )


def native_line_to_document(line: bytes, text_tokenizer, where: Where) -> Optional[SpeechDocument]:
    """The document of one manifest line by the C++ reader, or None for the Lhotse reader."""
    t = read_tables(line)
    if t is None:
        return None
    speech = tables_speech_tokens(t, where)
    if speech is None:
        return None
    return tables_to_document(t, text_tokenizer, *speech)
