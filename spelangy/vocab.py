# The one definition of the token-id layout and of per-token modality codes.
from __future__ import annotations

import enum
from dataclasses import asdict, dataclass

NUM_SPECIAL_TOKENS = 5
IGNORE_INDEX = -100


class Modality(enum.IntEnum):
    """Per-token modality code, stored as int8 in `PackedBatch.modality`."""

    TEXT = 0
    AUDIO = 1
    SPECIAL = 2  # BOS, EOS and the modality markers
    PAD = 3


@dataclass(frozen=True)
class VocabLayout:
    """Where text, speech and special ids live in the model's vocabulary.

    ```
    [0, text_vocab_size)                      SentencePiece ids, unchanged
    [speech_offset, speech_offset + speech)   speech codes + speech_offset
    bos, eos, audio_marker, text_marker, pad  one id each, right after speech
    ```
    """

    text_vocab_size: int
    """Size of the SentencePiece vocabulary."""
    speech_vocab_size: int
    """Number of discrete speech codes (the speech tokenizer's codebook size)."""

    def __post_init__(self):
        if self.text_vocab_size <= 0:
            raise ValueError(f"text_vocab_size must be positive, got {self.text_vocab_size}")
        if self.speech_vocab_size <= 0:
            raise ValueError(f"speech_vocab_size must be positive, got {self.speech_vocab_size}")

    @property
    def speech_offset(self) -> int:
        return self.text_vocab_size

    @property
    def bos(self) -> int:
        return self.text_vocab_size + self.speech_vocab_size

    @property
    def eos(self) -> int:
        return self.bos + 1

    @property
    def audio_marker(self) -> int:
        return self.bos + 2

    @property
    def text_marker(self) -> int:
        return self.bos + 3

    @property
    def pad(self) -> int:
        return self.bos + 4

    @property
    def vocab_size(self) -> int:
        return self.bos + NUM_SPECIAL_TOKENS

    def modality_of(self, token_id: int) -> Modality:
        if token_id < 0 or token_id >= self.vocab_size:
            raise ValueError(f"token id {token_id} is outside the vocabulary [0, {self.vocab_size})")
        if token_id < self.speech_offset:
            return Modality.TEXT
        if token_id < self.bos:
            return Modality.AUDIO
        return Modality.PAD if token_id == self.pad else Modality.SPECIAL

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "VocabLayout":
        return cls(**d)
