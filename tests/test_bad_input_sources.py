# Every kind of bad source input raises BadInputError naming the source, file, cut and line.
import gzip
import json

import numpy as np
import pytest
from data_utils import export_shar, make_cut, train_tiny_spm, write_text_jsonl

from spelangy.errors import BadInputError
from spelangy.sources import SpeechTextSource, TextSource
from spelangy.text_tokenizer import TextTokenizer

TURNS = [("alice", "One river is new.", True), ("bob", "What time is it?", True)]


@pytest.fixture(scope="module")
def tok(tmp_path_factory):
    texts = ["One river is new.", "What time is it?", "Hello there, friend."] * 4
    return TextTokenizer(train_tiny_spm(texts, tmp_path_factory.mktemp("spm") / "m.model", 60))


class EnergyTokenizer:
    frame_shift, vocab_size = 0.08, 4

    def encode(self, samples, sampling_rate):
        hop = int(sampling_rate * self.frame_shift)
        return np.zeros(len(samples) // hop, np.int64)


def _cuts(rng, tmp_path, n=3, tokens=True, speech_vocab_size=64):
    from lhotse import NumpyFilesWriter

    with NumpyFilesWriter(tmp_path / "st") as writer:
        return [make_cut(f"c{i}", TURNS, tmp_path, rng=rng, writer=writer if tokens else None,
                         speech_vocab_size=speech_vocab_size) for i in range(n)]


def _write(tmp_path, cuts, name="cuts.jsonl.gz"):
    from lhotse import CutSet

    path = tmp_path / name
    CutSet.from_cuts(cuts).to_file(path)
    return path


def _convert_all(source, tok):
    """Documents and errors by index: a bad item fails alone, the others still convert."""
    docs, errors = {}, {}
    for index, raw in source.iter_raw():
        try:
            docs[index] = source.to_document(index, raw, tok)
        except BadInputError as exc:
            errors[index] = exc
    return docs, errors


def _only_error(source, tok, index, path, cut_id, reason, num_items=3, line=True):
    docs, errors = _convert_all(source, tok)
    assert list(errors) == [index], errors
    assert sorted(docs) == sorted(set(range(num_items)) - {index})
    err = errors[index]
    assert (err.source, err.path, err.cut_id) == (source.name, str(path), cut_id)
    message = str(err)
    assert reason in message and str(path) in message
    assert (f"cut {cut_id!r}" in message) if cut_id else ("cut '" not in message)
    assert f"source {source.name!r}" in message
    if line:
        assert f"line {index + 1}" in message
    return err


def _edit_sup(cut, k, **changes):
    from lhotse.utils import fastcopy

    sups = list(cut.supervisions)
    sups[k] = fastcopy(sups[k], **changes)
    return fastcopy(cut, supervisions=sups)


@pytest.mark.parametrize("text", ["", "   ", None])
def test_empty_transcript(tmp_path, tok, text, rng):
    cuts = _cuts(rng, tmp_path)
    cuts[1] = _edit_sup(cuts[1], 1, text=text)
    path = _write(tmp_path, cuts)
    err = _only_error(SpeechTextSource("web", path), tok, 1, path, "c1", "empty transcript")
    assert "supervision 'c1-1'" in str(err)


def test_alignment_outside_its_turn(tmp_path, tok, rng):
    from lhotse.supervision import AlignmentItem

    cuts = _cuts(rng, tmp_path)
    sup = cuts[2].supervisions[0]
    items = list(sup.alignment["word"])
    items[-1] = AlignmentItem(items[-1].symbol, items[-1].start, sup.end - items[-1].start + 0.05)
    cuts[2] = _edit_sup(cuts[2], 0, alignment={"word": items})
    path = _write(tmp_path, cuts)
    err = _only_error(SpeechTextSource("web", path), tok, 2, path, "c2", "word alignment outside")
    assert "supervision 'c2-0'" in str(err) and "'new'" in str(err)


def test_alignment_within_tolerance_is_accepted(tmp_path, tok, rng):
    from lhotse.supervision import AlignmentItem

    cuts = _cuts(rng, tmp_path, n=1)
    sup = cuts[0].supervisions[0]
    items = list(sup.alignment["word"])
    items[0] = AlignmentItem(items[0].symbol, sup.start - 0.009, items[0].duration + 0.009)
    path = _write(tmp_path, [_edit_sup(cuts[0], 0, alignment={"word": items})])
    doc = next(SpeechTextSource("web", path).documents(tok))
    assert doc.word_start[0] == pytest.approx(sup.start - 0.009, abs=1e-12)


def test_no_speech_tokens_and_no_tokenizer(tmp_path, tok, rng):
    cuts = _cuts(rng, tmp_path)
    cuts[0] = cuts[0].drop_custom("speech_tokens")
    path = _write(tmp_path, cuts)
    _only_error(SpeechTextSource("web", path), tok, 0, path, "c0",
                "has no speech_tokens and no speech_tokenizer was given")


@pytest.mark.parametrize("damage", ["missing", "garbage"])
def test_missing_or_unreadable_audio(tmp_path, tok, damage, rng):
    cuts = _cuts(rng, tmp_path, tokens=False)
    wav = tmp_path / "audio" / "c1.wav"
    if damage == "missing":
        wav.unlink()
    else:
        wav.write_bytes(b"RIFF\x00\x00not really a wav file" * 4)
    path = _write(tmp_path, cuts)
    source = SpeechTextSource("web", path, speech_tokenizer=EnergyTokenizer())
    err = _only_error(source, tok, 1, path, "c1", "cannot load audio")
    assert err.__cause__ is not None


def test_missing_speech_token_storage(tmp_path, tok, rng):
    cuts = _cuts(rng, tmp_path)
    path = _write(tmp_path, cuts)
    stored = [p for p in (tmp_path / "st").rglob("*.npy") if p.name.startswith("c2")]
    assert len(stored) == 1
    stored[0].unlink()
    _only_error(SpeechTextSource("web", path), tok, 2, path, "c2", "cannot read speech_tokens")


def test_speech_token_ids_outside_vocab(tmp_path, tok, rng):
    from lhotse import NumpyFilesWriter

    cuts = _cuts(rng, tmp_path, speech_vocab_size=64)
    with NumpyFilesWriter(tmp_path / "st2") as writer:
        bad = np.array([3, 70, 5], np.int32)
        cuts[1] = cuts[1].with_custom("speech_tokens", writer.store_array(
            "c1", bad, frame_shift=0.08, temporal_dim=0))
        cuts[2] = cuts[2].with_custom("speech_tokens", writer.store_array(
            "c2", np.array([-1, 2], np.int32), frame_shift=0.08, temporal_dim=0))
    cuts[1] = cuts[1].with_custom("speech_vocab_size", 64)
    path = _write(tmp_path, cuts[:2])
    _only_error(SpeechTextSource("web", path), tok, 1, path, "c1", "id 70 outside [0, 64)",
                num_items=2)
    path = _write(tmp_path, [cuts[0], cuts[2]], name="neg.jsonl.gz")
    _only_error(SpeechTextSource("web", path), tok, 1, path, "c2", "id -1 outside [0, 64)",
                num_items=2)


def test_cut_without_supervisions(tmp_path, tok, rng):
    from lhotse.utils import fastcopy

    cuts = _cuts(rng, tmp_path)
    cuts[0] = fastcopy(cuts[0], supervisions=[])
    path = _write(tmp_path, cuts)
    _only_error(SpeechTextSource("web", path), tok, 0, path, "c0", "cut has no supervisions")


def test_bad_input_in_shar_names_the_shard(tmp_path, tok, rng):
    cuts = _cuts(rng, tmp_path)
    cuts[2] = _edit_sup(cuts[2], 0, text=" ")
    shar = export_shar(_write(tmp_path, cuts), tmp_path / "shar", shard_size=2)
    err = _only_error(SpeechTextSource("web", shar), tok, 2, shar / "cuts.000001.jsonl.gz",
                      "c2", "empty transcript", line=False)
    assert "line" not in str(err)


def _lines(rng, tmp_path):
    path = _write(tmp_path, _cuts(rng, tmp_path))
    return gzip.decompress(path.read_bytes()).splitlines(keepends=True)


@pytest.mark.parametrize("line,cut_id,reason", [
    (b'{"id": "c1", "start": 0, "duration": 3.0, "supervisions": [\n', "c1", "invalid JSON"),
    (b"\x00\xff garbage\n", "", "invalid JSON"),
    (b'{"id": "s1", "recording_id": "r", "start": 0, "duration": 1}\n', "s1", "not a Lhotse cut"),
    (b"[1, 2, 3]\n", "", "not a Lhotse cut"),
    (b'{"id": "c1", "type": "MonoCut"}\n', "c1", "not a Lhotse cut"),
    (b'{"id": "c1", "type": "Gibberish", "start": 0}\n', "c1", "not a Lhotse cut"),
])
def test_corrupt_manifest_line(tmp_path, tok, line, cut_id, reason, rng):
    lines = _lines(rng, tmp_path)
    lines[1] = line
    path = tmp_path / "corrupt.jsonl"
    path.write_bytes(b"".join(lines))
    _only_error(SpeechTextSource("web", path), tok, 1, path, cut_id,
                f"corrupt manifest line ({reason}")


def test_truncated_gzip_manifest(tmp_path, tok, rng):
    data = gzip.compress(b"".join(_lines(rng, tmp_path)))
    path = tmp_path / "cut_short.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(BadInputError, match="unreadable manifest after line") as info:
        list(SpeechTextSource("web", path).documents(tok))
    assert info.value.path == str(path) and info.value.source == "web"


def test_text_source_bad_lines(tmp_path, tok):
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join([json.dumps({"text": "Hello there."}), '{"text": "unterminated',
                               json.dumps({"id": "d7", "text": "  "}), json.dumps({"title": "x"}),
                               json.dumps("just a string"), json.dumps({"text": "Fine."})]) + "\n")
    source = TextSource("web", path)
    docs, errors = _convert_all(source, tok)
    assert sorted(docs) == [0, 5] and sorted(errors) == [1, 2, 3, 4]
    expected = {1: ("web:1", "invalid JSON"), 2: ("d7", "empty text"),
                3: ("web:3", "no 'text' string"), 4: ("web:4", "expected an object")}
    for index, (doc_id, reason) in expected.items():
        err = errors[index]
        assert (err.source, err.path, err.cut_id) == ("web", str(path), doc_id)
        assert reason in str(err) and f"line {index + 1}" in str(err)


def test_text_file_not_utf8(tmp_path, tok):
    path = tmp_path / "book.txt"
    path.write_bytes(b"Fine words.\n\nbad \xff\xfe bytes\n")
    with pytest.raises(BadInputError, match="not UTF-8 text at line 3") as info:
        list(TextSource("book", path).documents(tok))
    assert info.value.path == str(path)


def test_text_jsonl_written_by_helper_is_valid(tmp_path, tok):
    path = write_text_jsonl(tmp_path / "ok.jsonl.gz", ["One river.", "Is new."], ids=["a", "b"])
    assert [d.doc_id for d in TextSource("web", path).documents(tok)] == ["a", "b"]
