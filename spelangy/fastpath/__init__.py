"""The fast manifest path: Lhotse `cuts.jsonl(.gz)` lines straight into `SpeechDocument` arrays
by the C++ reader (`native`), else orjson and numpy, faithful to Lhotse's schema and
identical to `spelangy.convert`."""

from .document import (Tables, assemble, cut_speech_tokens, dict_to_document, line_to_document,
                       parse_line, read_tables)
from . import native
from .speech_arrays import Unhandled, read_speech_tokens

__all__ = ["Tables", "Unhandled", "assemble", "cut_speech_tokens", "native", "dict_to_document",
           "line_to_document", "parse_line", "read_speech_tokens", "read_tables"]
