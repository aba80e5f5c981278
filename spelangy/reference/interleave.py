# Reference interleaving: chunks in their sampled modality -> one document token stream.
from __future__ import annotations

import numpy as np

from ..chunks import Chunks
from ..documents import NO_AUDIO, SpeechDocument, TextDocument
from ..errors import BadInputError
from ..vocab import Modality, VocabLayout


def _audio_codes(doc: SpeechDocument, chunks: Chunks, c: int) -> np.ndarray:
    """The chunk's real speech codes: frames without audio (NO_AUDIO) are never emitted."""
    codes = doc.speech_tokens[chunks.frame_begin[c]:chunks.frame_end[c]]
    return codes[codes != NO_AUDIO]


def audio_chunks_to_text(doc: SpeechDocument, chunks: Chunks, modalities: np.ndarray) -> int:
    """Turns every audio chunk that has words but not one real speech frame into a text
    chunk, in place, so that its words are not lost; returns how many."""
    count = 0
    for c in range(chunks.num_chunks):
        if (modalities[c] != Modality.TEXT and chunks.word_end[c] > chunks.word_begin[c]
                and len(_audio_codes(doc, chunks, c)) == 0):
            modalities[c] = Modality.TEXT
            count += 1
    return count


def interleave_speech(
    doc: SpeechDocument, chunks: Chunks, modalities: np.ndarray, vocab: VocabLayout
) -> tuple:
    tokens, modality = [vocab.bos], [Modality.SPECIAL]
    previous = None
    for c in range(chunks.num_chunks):
        if modalities[c] == Modality.TEXT:
            lo = doc.word_token_offsets[chunks.word_begin[c]]
            hi = doc.word_token_offsets[chunks.word_end[c]]
            piece = [int(t) for t in doc.text_tokens[lo:hi]]
            marker = vocab.text_marker
        else:
            codes = _audio_codes(doc, chunks, c)
            if len(codes) and (codes.min() < 0 or codes.max() >= vocab.speech_vocab_size):
                raise BadInputError("inconsistent document arrays: a speech code of an audio "
                                    "chunk is outside [0, speech_vocab_size)",
                                    cut_id=doc.cut_id)
            piece = [int(t) + vocab.speech_offset for t in codes]
            marker = vocab.audio_marker
        if not piece:
            continue  # nothing to say in this modality: no marker, no switch
        if modalities[c] != previous:
            tokens.append(marker)
            modality.append(Modality.SPECIAL)
            previous = modalities[c]
        tokens.extend(piece)
        modality.extend([int(modalities[c])] * len(piece))
    tokens.append(vocab.eos)
    modality.append(Modality.SPECIAL)
    return np.array(tokens, dtype=np.int32), np.array(modality, dtype=np.int8)


def interleave_text(doc: TextDocument, vocab: VocabLayout) -> tuple:
    n = len(doc.text_tokens)
    tokens = np.empty(n + 2, dtype=np.int32)
    tokens[0], tokens[1:-1], tokens[-1] = vocab.bos, doc.text_tokens, vocab.eos
    modality = np.full(n + 2, Modality.TEXT, dtype=np.int8)
    modality[0] = modality[-1] = Modality.SPECIAL
    return tokens, modality
