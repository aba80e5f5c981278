# Property tests of packing + batch building on documents drawn by hypothesis.
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from spelangy._core_cpp import build_batch_arrays
from spelangy.packing import BuiltDocument, Packer, rows_to_ragged
from spelangy.vocab import IGNORE_INDEX, Modality

ALL = (1 << Modality.TEXT) | (1 << Modality.AUDIO) | (1 << Modality.SPECIAL)
PAD = 999


def documents(lengths):
    docs = []
    for i, n in enumerate(lengths):
        # Token value encodes (document, position): labels can be checked against it.
        tokens = (np.arange(n) + 1000 * (i + 1)).astype(np.int32)
        modality = np.where(np.arange(n) % 3 == 0, Modality.SPECIAL, Modality.TEXT).astype(np.int8)
        docs.append(BuiltDocument((0, 0, i), "s", f"d{i}", tokens, modality, n))
    return docs


@settings(max_examples=150, deadline=None)
@given(lengths=st.lists(st.integers(1, 120), min_size=1, max_size=25),
       seq_len=st.integers(2, 40), mode=st.sampled_from(["concat", "best_fit"]),
       open_rows=st.integers(1, 5), batch_size=st.integers(1, 4))
def test_rows_are_exact_and_every_token_appears_once_with_its_next_token_as_label(
        lengths, seq_len, mode, open_rows, batch_size):
    docs = documents(lengths)
    packer = Packer(mode, seq_len, open_rows)
    for doc in docs:
        packer.push(doc)
    packer.flush()
    seen, pieces_of = [], {}
    while packer.ready:
        rows = packer.take(batch_size)
        for piece in (p for row in rows for p in row.pieces):
            pieces_of[piece.doc.cut_id] = pieces_of.get(piece.doc.cut_id, 0) + 1
        ragged = rows_to_ragged(rows, batch_size, seq_len, PAD, ALL)
        tokens, labels, positions, modality, cu = build_batch_arrays(ragged)
        assert tokens.shape == (batch_size, seq_len)
        real = modality != Modality.PAD
        seen.extend(tokens[real].tolist())
        assert (tokens[~real] == PAD).all() and (labels[~real] == IGNORE_INDEX).all()
        # A label is the next token of the same document, or -100 at the document's end.
        for value, label in zip(tokens[real].tolist(), labels[real].tolist()):
            doc, pos = divmod(value, 1000)
            if pos + 1 < lengths[doc - 1]:
                assert label == value + 1
            else:
                assert label == IGNORE_INDEX
        # Positions restart at every piece; cu_seqlens marks the same starts.
        flat = positions.reshape(-1)
        assert all(flat[s] == 0 for s in cu[:-1].tolist())
    assert sorted(seen) == sorted(int(t) for d in docs for t in d.tokens)
    if mode == "best_fit":
        # Documents shorter than a row are never split.
        assert all(pieces_of[d.cut_id] == 1 for d in docs if d.length < seq_len)
