# The packing plan: which document pieces go into which row (docs/semantics.md, "Packing plan").
# Per document, not per token: the per-token work is `build_batch` in the core.
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, List, Optional, Tuple

import numpy as np

from .batch import RaggedBatch, Receipt
from .errors import SpelangyError
from .vocab import IGNORE_INDEX

DocRef = Tuple[int, int, int]  # (source index, source epoch, document number in the source)


@dataclass
class BuiltDocument:
    """One document's interleaved token stream, with the reference that rebuilds it on resume."""

    ref: DocRef
    source: str
    cut_id: str
    tokens: Optional[np.ndarray]  # int32; None when only the length counts (spelangy.counting)
    modality: Optional[np.ndarray]  # int8
    length: int


@dataclass
class Piece:
    doc: BuiltDocument
    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass
class Row:
    pieces: List[Piece] = field(default_factory=list)
    fill: int = 0

    def add(self, piece: Piece) -> None:
        self.pieces.append(piece)
        self.fill += piece.length


class Packer:
    """Turns a stream of documents into rows of exactly `seq_len` tokens.

    `concat`: documents end to end, split across rows where they do not fit:

    ```
    docs    A(5) B(6) C(3)         seq_len = 8
    row 0   A0 A1 A2 A3 A4 B0 B1 B2     pieces: A[0:5]@0, B[0:3]@5
    row 1   B3 B4 B5 C0 C1 C2 __ __     pieces: B[3:6]@0, C[0:3]@3, padding@6 (only at the end)
    ```

    `best_fit`: a document over `seq_len` first gives full rows; the rest goes to the open row
    with the least free space that holds it (ties: oldest), else opens a row; when more than
    `max_open_rows` are open, the fullest is emitted padded. Rows are padded only in best_fit
    mode or when the stream ends.
    """

    def __init__(self, mode: str, seq_len: int, max_open_rows: int):
        self.mode = mode
        self.seq_len = seq_len
        self.max_open_rows = max_open_rows
        self.ready: List[Row] = []  # finished rows, in emission order
        self.open: List[Row] = []  # rows being filled, oldest first

    def push(self, doc: BuiltDocument, start: int = 0, end: Optional[int] = None) -> None:
        """Places tokens [start, end) of `doc` (all of them by default; a part when an
        elastic resume hands over a piece that another packer held)."""
        if end is None:
            end = doc.length
        else:
            _check_held(doc, start, end)
        if self.mode == "concat":
            self._push_concat(doc, start, end)
        else:
            self._push_best_fit(doc, start, end)

    def _push_concat(self, doc: BuiltDocument, offset: int, end: int) -> None:
        while offset < end:
            if not self.open:
                self.open.append(Row())
            row = self.open[0]
            take = min(self.seq_len - row.fill, end - offset)
            row.add(Piece(doc, offset, offset + take))
            offset += take
            if row.fill == self.seq_len:
                self.ready.append(self.open.pop(0))

    def _push_best_fit(self, doc: BuiltDocument, offset: int, end: int) -> None:
        while end - offset >= self.seq_len:
            self.ready.append(Row([Piece(doc, offset, offset + self.seq_len)], self.seq_len))
            offset += self.seq_len
        rest = end - offset
        if rest == 0:
            return
        fitting = [i for i, r in enumerate(self.open) if self.seq_len - r.fill >= rest]
        if fitting:
            index = min(fitting, key=lambda i: (self.seq_len - self.open[i].fill, i))
        else:
            self.open.append(Row())
            index = len(self.open) - 1
        row = self.open[index]
        row.add(Piece(doc, offset, end))
        if row.fill == self.seq_len:
            self.ready.append(self.open.pop(index))
        if len(self.open) > self.max_open_rows:
            fullest = min(range(len(self.open)), key=lambda i: (self.seq_len - self.open[i].fill, i))
            self.ready.append(self.open.pop(fullest))

    def flush(self) -> None:
        """End of stream: every open row is emitted (padded), oldest first."""
        self.ready.extend(self.open)
        self.open = []

    def take(self, num_rows: int) -> List[Row]:
        rows, self.ready = self.ready[:num_rows], self.ready[num_rows:]
        return rows

    def pieces(self) -> List[List[int]]:
        """Every piece held, ready rows first, as `[*ref, start, end]`."""
        return [[*p.doc.ref, p.start, p.end] for r in self.ready + self.open for p in r.pieces]

    # --- state: pieces as plain integers; documents are rebuilt from their refs -----------
    def state_dict(self) -> dict:
        def encode(rows):
            return [[[*p.doc.ref, p.start, p.end] for p in r.pieces] for r in rows]

        return {"ready": encode(self.ready), "open": encode(self.open)}

    def load_state_dict(self, state: dict, rebuild: Callable[[DocRef], BuiltDocument]) -> None:
        cache = {}

        def decode(rows):
            out = []
            for encoded in rows:
                row = Row()
                for source, epoch, number, start, end in encoded:
                    ref = (source, epoch, number)
                    if ref not in cache:
                        cache[ref] = rebuild(ref)
                    _check_held(cache[ref], start, end)
                    row.add(Piece(cache[ref], start, end))
                out.append(row)
            return out

        self.ready = decode(state["ready"])
        self.open = decode(state["open"])


def _check_held(doc: BuiltDocument, start: int, end: int) -> None:
    """A piece from a saved state must lie in its rebuilt document."""
    if not 0 <= start < end <= doc.length:
        raise SpelangyError(f"loader state: a piece [{start}, {end}) of {doc.cut_id} does not "
                            f"fit its {doc.length} tokens; was it saved with other settings?")


def _next_label(doc: BuiltDocument, end: int, loss_mask_bits: int) -> int:
    if end >= doc.length or not (loss_mask_bits >> int(doc.modality[end])) & 1:
        return IGNORE_INDEX
    return int(doc.tokens[end])


def rows_to_ragged(
    rows: List[Row], batch_size: int, seq_len: int, pad_id: int, loss_mask_bits: int
) -> RaggedBatch:
    """Lay out the pieces of `rows` (padded to `batch_size` rows) as a RaggedBatch."""
    piece_row, piece_col, piece_length, piece_src, piece_next = [], [], [], [], []
    token_parts, modality_parts, receipts = [], [], []
    src = 0
    for r in range(batch_size):
        row = rows[r] if r < len(rows) else Row()
        col, row_receipts = 0, []
        for piece in row.pieces:
            doc = piece.doc
            token_parts.append(doc.tokens[piece.start:piece.end])
            modality_parts.append(doc.modality[piece.start:piece.end])
            piece_row.append(r)
            piece_col.append(col)
            piece_length.append(piece.length)
            piece_src.append(src)
            piece_next.append(_next_label(doc, piece.end, loss_mask_bits))
            row_receipts.append(Receipt(doc.source, doc.cut_id, piece.start, piece.end, col))
            src += piece.length
            col += piece.length
        if col < seq_len:
            piece_row.append(r)
            piece_col.append(col)
            piece_length.append(seq_len - col)
            piece_src.append(-1)
            piece_next.append(IGNORE_INDEX)
        receipts.append(row_receipts)
    return RaggedBatch(
        tokens=np.concatenate(token_parts) if token_parts else np.zeros(0, np.int32),
        modality=np.concatenate(modality_parts) if modality_parts else np.zeros(0, np.int8),
        piece_row=np.array(piece_row, dtype=np.int32),
        piece_col=np.array(piece_col, dtype=np.int32),
        piece_length=np.array(piece_length, dtype=np.int32),
        piece_src=np.array(piece_src, dtype=np.int64),
        piece_next_label=np.array(piece_next, dtype=np.int64),
        batch_size=batch_size,
        seq_len=seq_len,
        pad_id=pad_id,
        loss_mask_bits=loss_mask_bits,
        receipts=receipts,
    )
