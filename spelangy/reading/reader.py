# One manifest document (a JSON line or list item, or a Lhotse cut) -> one SpeechDocument.
from __future__ import annotations

from ..documents import SpeechDocument
from ..errors import Where
from .lhotse_reader import cut_from_line, cut_to_document
from .native import native_line_to_document

READERS = ("fast", "lhotse")


def line_to_document(line: bytes, text_tokenizer, where: Where, speech_tokenizer=None,
                     reader: str = "fast") -> SpeechDocument:
    """The document of one manifest line: the C++ reader where it takes the line (`fast`),
    else Lhotse's deserializer and `cut_to_document`, which define the rules; both give the
    same document, and the same error for bad input."""
    if reader == "fast":
        doc = native_line_to_document(line, text_tokenizer, where)
        if doc is not None:
            return doc
    return cut_to_document(cut_from_line(line, where), text_tokenizer, speech_tokenizer, where)
