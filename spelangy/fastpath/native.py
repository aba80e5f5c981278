# The C++ manifest reader (spelangy._C.read_manifest_line) as the first choice of the fast path.
"""`_C.read_manifest_line` scans one line in C++ (no Python object per word) and applies
the rules of `spelangy.convert`; it returns a reason string for any line outside its subset,
and the caller then takes the orjson reader, then the Lhotse path. Python keeps what needs
Python: SentencePiece over the words not cached yet (one call per document, see
`TextTokenizer.encode_joined_words`) and reading the speech-token storage.
"""
from __future__ import annotations

from typing import List, Optional

from ..documents import SpeechDocument
from .document import Tables, assemble, checked_speech_tokens
from .speech_arrays import read_temporal


def read_line(line: bytes):
    """The C++ reader's tuple for `line`, or None when the line is left to the other paths
    (also when the extension is not built)."""
    try:
        from .._C import read_manifest_line
    except ImportError:
        return None
    got = read_manifest_line(line)
    return None if isinstance(got, str) else got


def speech_tokens(got):
    """The speech tokens (int32) and frame shift of a `read_line` tuple."""
    start, duration, storage, vocab_size = got[1], got[2], got[13], got[14]
    storage_type, storage_path, storage_key, num_frames, frame_shift, array_start = storage
    array = {"storage_type": storage_type, "storage_path": storage_path,
             "storage_key": storage_key}
    tokens = read_temporal(array, num_frames, frame_shift, array_start, start, duration)
    return checked_speech_tokens(tokens, vocab_size, frame_shift)


def words(got) -> List[str]:
    """The words of a `read_line` tuple (the reader keeps whitespace out of words)."""
    return got[8].split(" ")


def encode(got, text_tokenizer):
    """(text tokens, word token offsets) of a `read_line` tuple: the joined words go straight
    to the tokenizer's word cache when it has one (no Python list of words)."""
    encode_joined = getattr(text_tokenizer, "encode_joined_words", None)
    if encode_joined is None:
        return text_tokenizer.encode_words(words(got))
    if got[9] == 0:
        return text_tokenizer.encode_words([])
    return encode_joined(got[8])


def document(got, text_tokens, word_token_offsets, speech, frame_shift) -> SpeechDocument:
    # The tuple's tables in `Tables` order; the words stay joined in got[8], and `assemble`
    # does not read them.
    tables = Tables(*got[:8], None, *got[10:13])
    return assemble(tables, text_tokens, word_token_offsets, speech, frame_shift)


def native_line_to_document(line: bytes, text_tokenizer) -> Optional[SpeechDocument]:
    """The document of one manifest line by the C++ reader, or None for the other paths.
    Raises `Unhandled` (or an I/O, key or type error) when the speech tokens are not taken."""
    got = read_line(line)
    if got is None:
        return None
    speech, frame_shift = speech_tokens(got)
    return document(got, *encode(got, text_tokenizer), speech, frame_shift)
