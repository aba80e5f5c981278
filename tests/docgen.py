# Random documents and ragged batches for property tests of the core and the batch builders.
"""Generators driven by a `numpy.random.Generator`, so each test run can draw fresh inputs
and a failure can be replayed from its seed:

    random_speech_document(rng, *, num_turns=None, text_vocab_size=150,
                           speech_vocab_size=64, frame_shift=0.08) -> SpeechDocument
        Turns sorted by start (some overlapping, some sharing a start), 1-4 speakers with
        runs of the same speaker, aligned and unaligned turns, single-word turns, turns with
        no words, words with no text tokens, sentence ends, turns longer than the fine and
        the coarse maxima, times on a 10 ms grid or not, and speech tokens that may cover
        only part of the document (or none of it), some with runs of frames without audio
        (NO_AUDIO). The key may be >= 2**63.
    random_text_document(rng, *, text_vocab_size=150, max_tokens=300) -> TextDocument
    random_ragged_batch(rng, *, batch_size=None, seq_len=None, loss_mask_bits=None,
                        empty_pieces=True) -> RaggedBatch
        A valid plan over documents that may be longer than 2 * seq_len (split over rows
        and continuing into the next batch), padding at row ends, fully padded rows and,
        with `empty_pieces`, zero-length pieces. Labels of piece ends follow the planner's
        rule (next token of the document if its modality carries loss, else -100).
    pack_documents(rng, documents, batch_size, seq_len, loss_mask_bits, pad_id, *,
                   empty_pieces=True) -> RaggedBatch
        The same packing over given (cut_id, tokens, modality) documents, e.g. real
        interleaved documents; rows left when the documents run out are padding.
    TEST_VOCAB: the VocabLayout that random_ragged_batch's tokens live in.
    assert_same_documents(a, b): two lists of documents equal field by field (arrays with
        their dtypes).
"""
from __future__ import annotations

import dataclasses

from typing import Iterator, Optional, Tuple

import numpy as np

from spelangy.batch import RaggedBatch, Receipt
from spelangy.documents import NO_AUDIO, SpeechDocument, TextDocument
from spelangy.vocab import IGNORE_INDEX, Modality, VocabLayout

TEST_VOCAB = VocabLayout(text_vocab_size=100, speech_vocab_size=40)
LOSS_MASK_BITS = {"all": 0b111, "text": 0b101, "audio": 0b110}


def _key(rng: np.random.Generator) -> int:
    return int(rng.integers(1, 2**64, dtype=np.uint64))


def _turn_duration(rng: np.random.Generator) -> float:
    kind = rng.random()
    if kind < 0.5:
        return float(rng.uniform(0.05, 4.0))
    if kind < 0.8:
        return float(rng.uniform(4.0, 12.0))  # around the fine maximum (10 s)
    return float(rng.uniform(12.0, 45.0))  # over the fine and sometimes the coarse maximum


def _words(rng: np.random.Generator, start: float, end: float, aligned: bool):
    kind = rng.random()
    if kind < 0.1:
        n = 0
    elif kind < 0.25:
        n = 1
    else:
        n = int(rng.integers(2, max(3, min(80, int((end - start) * 3)))))
    if aligned and n:
        times = np.sort(rng.uniform(start, end, size=2 * n))
        w_start, w_end = times[0::2].copy(), times[1::2].copy()
    else:
        w_start, w_end = np.zeros(n), np.zeros(n)
    sentence_end = (rng.random(n) < 0.25).astype(np.uint8)
    if n and rng.random() < 0.7:
        sentence_end[-1] = 1
    return w_start, w_end, sentence_end


def random_speech_document(
    rng: np.random.Generator,
    *,
    num_turns: Optional[int] = None,
    text_vocab_size: int = 150,
    speech_vocab_size: int = 64,
    frame_shift: float = 0.08,
) -> SpeechDocument:
    """A random but valid speech document (see the module docstring for what it covers)."""
    if num_turns is None:
        num_turns = int(rng.integers(0, 14))
    num_speakers = int(rng.integers(1, 5))
    on_grid = rng.random() < 0.5
    starts, ends, speakers, aligned = [], [], [], []
    w_starts, w_ends, sent_ends, word_counts = [], [], [], []
    cursor, speaker = float(rng.uniform(0.0, 2.0)), int(rng.integers(num_speakers))
    for _ in range(num_turns):
        start = max(starts[-1] if starts else 0.0, cursor + float(rng.uniform(-1.0, 2.0)))
        end = start + _turn_duration(rng)
        if on_grid:
            start, end = round(start, 2), round(end, 2)
        if rng.random() > 0.6:
            speaker = int(rng.integers(num_speakers))
        turn_aligned = bool(rng.random() < 0.7)
        ws, we, se = _words(rng, start, end, turn_aligned)
        starts.append(start)
        ends.append(end)
        speakers.append(speaker)
        aligned.append(turn_aligned)
        w_starts.append(ws)
        w_ends.append(we)
        sent_ends.append(se)
        word_counts.append(len(ws))
        cursor = end
    num_words = int(sum(word_counts))
    tokens_per_word = rng.choice([0, 1, 1, 2, 2, 3], size=num_words)
    duration = (max(ends) if ends else 0.0) + float(rng.uniform(0.0, 1.0))
    full_frames = int(duration / frame_shift)
    coverage = rng.choice([1.0, 1.0, float(rng.uniform(0.0, 1.0)), 0.0])
    num_frames = int(full_frames * coverage)

    speech_tokens = rng.integers(0, speech_vocab_size, size=num_frames, dtype=np.int32)
    if rng.random() < 0.3:  # padding of a mix: runs of frames without audio
        for _ in range(int(rng.integers(1, 4))):
            a = int(rng.integers(0, num_frames + 1))
            speech_tokens[a:a + int(rng.integers(0, 60))] = NO_AUDIO

    def cat(parts, dtype):
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    return SpeechDocument(
        cut_id=f"doc-{int(rng.integers(10**9)):09d}",
        turn_start=np.array(starts, dtype=np.float64),
        turn_end=np.array(ends, dtype=np.float64),
        turn_speaker=np.array(speakers, dtype=np.int32),
        turn_word_offsets=np.concatenate([[0], np.cumsum(word_counts)]).astype(np.int64),
        turn_aligned=np.array(aligned, dtype=np.uint8),
        word_start=cat(w_starts, np.float64),
        word_end=cat(w_ends, np.float64),
        word_sentence_end=cat(sent_ends, np.uint8),
        word_token_offsets=np.concatenate([[0], np.cumsum(tokens_per_word)]).astype(np.int64),
        text_tokens=rng.integers(0, text_vocab_size, size=int(tokens_per_word.sum()),
                                 dtype=np.int32),
        speech_tokens=speech_tokens,
        frame_shift=frame_shift,
        duration=duration,
        key=_key(rng),
    )


def random_text_document(
    rng: np.random.Generator, *, text_vocab_size: int = 150, max_tokens: int = 300
) -> TextDocument:
    """A text-only document of 0 to max_tokens SentencePiece ids."""
    n = int(rng.integers(0, max_tokens + 1))
    return TextDocument(
        doc_id=f"text-{int(rng.integers(10**9)):09d}",
        text_tokens=rng.integers(0, text_vocab_size, size=n, dtype=np.int32),
    )


def _random_stream(rng: np.random.Generator, length: int, vocab: VocabLayout):
    """Tokens and modalities shaped like an interleaved document: BOS, runs, EOS."""
    modality = np.full(length, Modality.SPECIAL, dtype=np.int8)
    if length > 2:
        runs = rng.choice([Modality.TEXT, Modality.AUDIO], size=length - 2)
        runs[rng.random(length - 2) < 0.05] = Modality.SPECIAL  # modality markers
        modality[1:-1] = runs
    text = rng.integers(0, vocab.text_vocab_size, size=length)
    speech = rng.integers(vocab.speech_offset, vocab.bos, size=length)
    special = rng.integers(vocab.bos, vocab.pad, size=length)
    tokens = np.where(modality == Modality.TEXT, text,
                      np.where(modality == Modality.AUDIO, speech, special)).astype(np.int32)
    return tokens, modality


def _document_length(rng: np.random.Generator, seq_len: int) -> int:
    kind = rng.random()
    if kind < 0.4:
        return int(rng.integers(1, max(2, seq_len // 2)))
    if kind < 0.7:
        return int(rng.integers(seq_len // 2 + 1, seq_len + 2))
    return int(rng.integers(2 * seq_len + 1, 4 * seq_len))  # split over 3+ rows


def random_ragged_batch(
    rng: np.random.Generator,
    *,
    batch_size: Optional[int] = None,
    seq_len: Optional[int] = None,
    loss_mask_bits: Optional[int] = None,
    empty_pieces: bool = True,
) -> RaggedBatch:
    """A valid RaggedBatch over random documents (see the module docstring)."""
    B = int(rng.integers(1, 5)) if batch_size is None else batch_size
    L = int(rng.integers(2, 48)) if seq_len is None else seq_len
    bits = loss_mask_bits
    if bits is None:
        bits = int(rng.choice(list(LOSS_MASK_BITS.values())))

    def documents():
        while True:
            tokens, modality = _random_stream(rng, _document_length(rng, L), TEST_VOCAB)
            yield f"d{int(rng.integers(10**6))}", tokens, modality

    return pack_documents(rng, documents(), B, L, bits, TEST_VOCAB.pad, empty_pieces=empty_pieces)


def pack_documents(
    rng: np.random.Generator,
    documents: Iterator[Tuple[str, np.ndarray, np.ndarray]],
    batch_size: int,
    seq_len: int,
    loss_mask_bits: int,
    pad_id: int,
    *,
    empty_pieces: bool = True,
) -> RaggedBatch:
    """Concat-packs (cut_id, tokens, modality) documents into one batch, splitting them over
    rows, ending some rows early with padding and padding some rows fully (10% each); when
    `documents` runs out the remaining rows are padding."""
    L, bits = seq_len, loss_mask_bits
    rows, cols, lengths, srcs, nexts = [], [], [], [], []
    token_parts, modality_parts, receipts = [], [], []
    num_tokens, pos, doc = 0, 0, None  # `pos`: the first unplaced token of `doc`

    def add(r, c, n, src, next_label):
        for column, value in zip((rows, cols, lengths, srcs, nexts), (r, c, n, src, next_label)):
            column.append(value)

    for r in range(batch_size):
        col, row_receipts = 0, []
        fully_padded = rng.random() < 0.1
        while col < L and not fully_padded:
            if doc is None or pos == len(doc[1]):
                doc, pos = next(documents, None), 0
                if doc is None:
                    break
            if col > 0 and rng.random() < 0.1:
                break  # the rest of the row is padding; the document goes on in the next row
            cut_id, tokens, modality = doc
            take = min(len(tokens) - pos, L - col)
            end = pos + take
            label = IGNORE_INDEX
            if end < len(tokens) and (bits >> int(modality[end])) & 1:
                label = int(tokens[end])
            add(r, col, take, num_tokens, label)
            token_parts.append(tokens[pos:end])
            modality_parts.append(modality[pos:end])
            row_receipts.append(Receipt("random", cut_id, pos, end, col))
            num_tokens += take
            pos, col = end, col + take
            if empty_pieces and rng.random() < 0.1:
                add(r, col, 0, num_tokens if rng.random() < 0.5 else -1, IGNORE_INDEX)
        if col < L:
            add(r, col, L - col, -1, IGNORE_INDEX)
        receipts.append(row_receipts)
    return RaggedBatch(
        tokens=np.concatenate(token_parts) if token_parts else np.zeros(0, np.int32),
        modality=np.concatenate(modality_parts) if modality_parts else np.zeros(0, np.int8),
        piece_row=np.array(rows, dtype=np.int32),
        piece_col=np.array(cols, dtype=np.int32),
        piece_length=np.array(lengths, dtype=np.int32),
        piece_src=np.array(srcs, dtype=np.int64),
        piece_next_label=np.array(nexts, dtype=np.int64),
        batch_size=batch_size,
        seq_len=L,
        pad_id=pad_id,
        loss_mask_bits=bits,
        receipts=receipts,
    )


def assert_same_documents(a, b) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        for f in dataclasses.fields(x):
            u, v = getattr(x, f.name), getattr(y, f.name)
            if isinstance(u, np.ndarray):
                assert u.dtype == v.dtype and np.array_equal(u, v), f.name
            else:
                assert u == v, f.name
