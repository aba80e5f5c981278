# A SpeechTextSource whose JSONL lines take the fast manifest path.
from __future__ import annotations

from ..manifest import Where
from ..sources import SpeechTextSource
from .document import line_to_document


class FastSpeechTextSource(SpeechTextSource):
    """`SpeechTextSource` with the same documents and errors, read from JSONL manifests by
    `line_to_document` (no Lhotse objects per supervision and per word). Shar directories and
    in-memory cut sets are read as `SpeechTextSource` reads them."""

    def to_document(self, index: int, raw, text_tokenizer):
        if self.kind != "jsonl":
            return super().to_document(index, raw, text_tokenizer)
        return line_to_document(raw, text_tokenizer, Where(self.name, self.path, index + 1),
                                self.speech_tokenizer)
