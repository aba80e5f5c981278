# Sources: the three speech manifest kinds agree, text sources, pickling, fast word tokenization.
import gc
import gzip
import pickle

import numpy as np
import pytest
from data_utils import LEXICON, export_shar, make_tiny_corpus, random_text, write_text_jsonl

from spelangy.documents import SpeechDocument
from spelangy.errors import BadInputError, SpelangyError
from spelangy.sources import SpeechTextSource, TextSource
from spelangy.text_tokenizer import TextTokenizer

ARRAYS = ("turn_start", "turn_end", "turn_speaker", "turn_word_offsets", "turn_aligned",
          "word_start", "word_end", "word_sentence_end", "word_token_offsets", "text_tokens",
          "speech_tokens")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    cuts_path, spm_path = make_tiny_corpus(root, num_docs=5, aligned=0.7, seed=7)
    return cuts_path, TextTokenizer(spm_path), root


def assert_same_documents(a, b):
    assert [d.cut_id for d in a] == [d.cut_id for d in b]
    for x, y in zip(a, b):
        for name in ARRAYS:
            xa, ya = getattr(x, name), getattr(y, name)
            assert xa.dtype == ya.dtype, (x.cut_id, name)
            np.testing.assert_array_equal(xa, ya, err_msg=f"{x.cut_id} {name}")
        assert (x.frame_shift, x.duration, x.key) == (y.frame_shift, y.duration, y.key)


def test_jsonl_shar_and_memory_give_identical_documents(corpus):
    from lhotse import CutSet

    cuts_path, tok, root = corpus
    from_jsonl = list(SpeechTextSource("j", cuts_path).documents(tok))
    shar = export_shar(cuts_path, root / "shar", shard_size=2)
    from_shar = list(SpeechTextSource("s", shar).documents(tok))
    from_memory = list(SpeechTextSource("m", CutSet.from_file(cuts_path).to_eager()).documents(tok))
    plain = root / "cuts.jsonl"
    plain.write_bytes(gzip.decompress(cuts_path.read_bytes()))
    from_plain = list(SpeechTextSource("p", plain).documents(tok))
    assert len(from_jsonl) == 5 and all(isinstance(d, SpeechDocument) for d in from_jsonl)
    for other in (from_shar, from_memory, from_plain):
        assert_same_documents(from_jsonl, other)
    # Reading only the first cut closes Lhotse's Shar reader early, without a ResourceWarning.
    assert SpeechTextSource("s", shar).speech_vocab_size() == 64
    gc.collect()
    memory = SpeechTextSource("m", CutSet.from_file(cuts_path).to_eager())
    assert_same_documents(from_jsonl, list(pickle.loads(pickle.dumps(memory)).documents(tok)))


def test_documents_match_the_manifest(corpus):
    from lhotse import CutSet

    cuts_path, tok, _ = corpus
    docs = list(SpeechTextSource("j", cuts_path).documents(tok))
    for cut, doc in zip(CutSet.from_file(cuts_path), docs):
        sups = sorted(cut.supervisions, key=lambda s: s.start)
        assert doc.cut_id == cut.id
        np.testing.assert_array_equal(doc.turn_start, [s.start for s in sups])
        words = [w for s in sups for w in s.text.split()]
        assert doc.num_words == len(words)
        np.testing.assert_array_equal(doc.speech_tokens, cut.load_custom("speech_tokens"))
        np.testing.assert_array_equal(doc.turn_aligned, [s.alignment is not None for s in sups])
        expected = np.concatenate([tok.encode(w) for w in words]).astype(np.int32)
        np.testing.assert_array_equal(doc.text_tokens, expected)
    assert {int(a) for d in docs for a in d.turn_aligned} == {0, 1}


def test_iter_raw_jsonl_yields_unparsed_lines_indexed_by_line(corpus, tmp_path):
    cuts_path, tok, _ = corpus
    lines = gzip.decompress(cuts_path.read_bytes()).splitlines(keepends=True)
    path = tmp_path / "gaps.jsonl"
    path.write_bytes(lines[0] + b"\n" + b"".join(lines[1:]))
    raw = list(SpeechTextSource("g", path).iter_raw())
    assert [i for i, _ in raw] == [0] + list(range(2, len(lines) + 1))
    assert [r for _, r in raw] == lines
    doc = SpeechTextSource("g", path).to_document(*raw[1], tok)
    assert doc.cut_id == "tiny-001"


def test_speech_vocab_size(corpus, tmp_path):
    cuts_path, _, _ = corpus
    assert SpeechTextSource("a", cuts_path).speech_vocab_size() == 64

    class Tok:
        frame_shift, vocab_size = 0.08, 500

    plain, _ = make_tiny_corpus(tmp_path, 1, speech_vocab_size=None, name="bare")
    assert SpeechTextSource("b", plain).speech_vocab_size() is None
    assert SpeechTextSource("b", plain, speech_tokenizer=Tok()).speech_vocab_size() == 500


def test_sources_pickle_small_and_round_trip(corpus, tmp_path):
    cuts_path, tok, _ = corpus
    src = SpeechTextSource("speech", cuts_path, weight=0.4)
    blob = pickle.dumps(src)
    assert len(blob) < 1000
    again = pickle.loads(blob)
    assert (again.name, again.weight, again.path) == ("speech", 0.4, str(cuts_path))
    tok_again = pickle.loads(pickle.dumps(tok))
    assert_same_documents(list(src.documents(tok)), list(again.documents(tok_again)))
    text = TextSource("web", write_text_jsonl(tmp_path / "t.jsonl", ["Hello there."]), weight=0.6)
    assert len(pickle.dumps(text)) < 1000
    assert pickle.loads(pickle.dumps(text)).weight == 0.6


def test_text_source_jsonl(corpus, tmp_path):
    _, tok, _ = corpus
    texts = ["The river is new.", "What time? No more.", "She said \"yes\"."]
    path = write_text_jsonl(tmp_path / "t.jsonl.gz", texts)
    docs = list(TextSource("web", path).documents(tok))
    assert [d.doc_id for d in docs] == ["web:0", "web:1", "web:2"]
    for d, t in zip(docs, texts):
        assert d.text_tokens.dtype == np.int32 and d.text_tokens.tolist() == tok.encode(t)
    with_ids = write_text_jsonl(tmp_path / "ids.jsonl", texts[:2], ids=["a7", "b9"])
    assert [d.doc_id for d in TextSource("web", with_ids).documents(tok)] == ["a7", "b9"]


def test_text_source_plain_text_paragraphs(corpus, tmp_path):
    _, tok, _ = corpus
    path = tmp_path / "book.txt"
    path.write_text("\n\nFirst line of one\nparagraph here.\n  \nSecond one.\n\n\n\nThird\n")
    src = TextSource("book", path)
    assert list(src.iter_raw()) == [(0, (3, "First line of one paragraph here.")),
                                    (1, (6, "Second one.")), (2, (10, "Third"))]
    docs = list(src.documents(tok))
    assert [d.doc_id for d in docs] == ["book:0", "book:1", "book:2"]
    assert docs[0].text_tokens.tolist() == tok.encode("First line of one paragraph here.")


def test_text_source_of_several_files_and_globs(corpus, tmp_path, rng):
    """A list or a glob reads the files one after the other; ids name the file; the
    documents of the files joined are sharded exactly once (document i in shard i % n,
    blank JSONL lines counted)."""
    _, tok, _ = corpus
    texts = [random_text(rng, int(rng.integers(1, 4))) for _ in range(int(rng.integers(9, 20)))]
    cut = sorted(rng.choice(range(1, len(texts)), 2, replace=False).tolist())
    parts = [texts[:cut[0]], texts[cut[0]:cut[1]], texts[cut[1]:]]
    paths = [write_text_jsonl(tmp_path / "t.0.jsonl.gz", parts[0]),
             tmp_path / "t.1.txt", write_text_jsonl(tmp_path / "t.2.jsonl", parts[2])]
    paths[1].write_text("".join(t + "\n\n" for t in parts[1]))
    with open(paths[2], "ab") as f:  # a blank line: it is counted, not a document
        f.write(b"\n")
    listed, globbed = TextSource("web", paths), TextSource("web", str(tmp_path / "t.*"))
    assert globbed.paths == tuple(map(str, paths))
    docs = list(listed.documents(tok))
    assert [d.text_tokens.tolist() for d in docs] == [tok.encode(t) for t in texts]
    assert docs[0].doc_id == "web:0:0" and docs[-1].doc_id == f"web:2:{len(parts[2]) - 1}"
    assert [(d.doc_id, d.text_tokens.tolist()) for d in globbed.documents(tok)] == \
        [(d.doc_id, d.text_tokens.tolist()) for d in docs]
    for num_shards in (1, 2, 3):
        seen = [(shard, number, d.doc_id)
                for shard, number, index, raw in listed.iter_sharded(num_shards, None)
                for d in [listed.to_document(index, raw, tok)]]
        assert [doc_id for _, _, doc_id in seen] == [d.doc_id for d in docs]
        assert [number for _, number, _ in seen] == list(range(len(docs)))
        assert [shard for shard, _, _ in seen] == [i % num_shards for i in range(len(docs))]
    # Through the loader: two ranks deliver every document of the files once.
    from spelangy import InterleavedDataset, PackingConfig

    starts = [r.cut_id for rank in range(2) for batch in InterleavedDataset(
        [listed], tok, packing=PackingConfig(seq_len=64, batch_size=2), num_epochs=1,
        rank=rank, world_size=2) for row in batch.receipts for r in row if r.start == 0]
    assert sorted(starts) == sorted(d.doc_id for d in docs)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"text": 5}\n')
    with pytest.raises(BadInputError, match=f"line 2 .*file {bad}.*'web:1:1'"):
        list(TextSource("web", [paths[0], bad]).documents(tok))
    with pytest.raises(SpelangyError, match="no file matches"):
        TextSource("web", str(tmp_path / "none-*.jsonl"))
    with pytest.raises(SpelangyError, match="list of text files is empty"):
        TextSource("web", [])


@pytest.mark.parametrize("weight", [0, -1.0, float("nan"), float("inf"), "x"])
def test_bad_weight(corpus, weight):
    with pytest.raises(SpelangyError, match="weight"):
        SpeechTextSource("s", corpus[0], weight=weight)


def test_missing_paths_and_wrong_kinds(tmp_path):
    with pytest.raises(SpelangyError, match=f"cuts manifest not found: {tmp_path / 'no.jsonl.gz'}"):
        SpeechTextSource("s", tmp_path / "no.jsonl.gz")
    with pytest.raises(SpelangyError, match="text file not found"):
        TextSource("t", tmp_path / "no.txt")
    with pytest.raises(SpelangyError, match="not a Lhotse Shar directory"):
        SpeechTextSource("s", tmp_path)
    with pytest.raises(SpelangyError, match="may hold only manifest files.*got int"):
        SpeechTextSource("s", [1, 2])
    with pytest.raises(SpelangyError, match="SentencePiece model not found"):
        TextTokenizer(tmp_path / "none.model")


def _random_words(rng, n):
    extra = ["naïve", "café", "日本", "x²", "—", "...", "'tis", "(a)", "Zürich", "ΑΒΓ", "1,000",
             "\u200b", "a\u00a8b", "x\u00a0y", "p\u3000q", "\u2581", "r\u2581s", "ﬁne", "", " "]
    pool = list(LEXICON) + extra
    words = []
    for _ in range(n):
        w = str(rng.choice(pool))
        if rng.random() < 0.3:
            w += str(rng.choice([".", ",", "?", "!", '"', ")", "\u2026"]))
        if rng.random() < 0.1:
            w = str(rng.choice(["(", '"', "\u201c"])) + w
        if rng.random() < 0.5:
            w = w.capitalize()
        words.append(w)
    return words


def test_encode_words_equals_per_word_encoding(corpus):
    _, tok, _ = corpus
    seed = int(np.random.SeedSequence().entropy % 2**32)
    rng = np.random.default_rng(seed)
    for _ in range(50):
        if rng.random() < 0.5:
            words = _random_words(rng, int(rng.integers(0, 40)))
        else:
            words = random_text(rng, int(rng.integers(1, 5))).split()
        tokens, offsets = tok.encode_words(words)
        assert tokens.dtype == np.int32 and offsets.dtype == np.int64, seed
        assert len(offsets) == len(words) + 1 and offsets[-1] == len(tokens), seed
        for w, word in enumerate(words):
            assert tokens[offsets[w]:offsets[w + 1]].tolist() == tok.encode(word), (seed, words)


@pytest.mark.parametrize("words", [[], ["a", "", "b"], ["\u200b", "river"], ["a\u3000b", "c"],
                                   ["\u200b", "a\u3000b"]])
def test_encode_words_fallback_cases(corpus, words):
    _, tok, _ = corpus
    tokens, offsets = tok.encode_words(words)
    assert len(offsets) == len(words) + 1
    for w, word in enumerate(words):
        assert tokens[offsets[w]:offsets[w + 1]].tolist() == tok.encode(word)
