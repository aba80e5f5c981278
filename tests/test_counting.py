# With num_epochs every shard yields exactly the batch count of the longest shard, which is
# counted from document lengths (spelangy.counting), before and after an elastic resume.
import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_utils import make_tiny_corpus, random_text, write_text_jsonl
from fake_sources import speech_document, text_source
from spelangy import PackingConfig, SamplingConfig
from spelangy.core import get_core
from spelangy.counting import max_batches
from spelangy.loading import SkipReport, load_shards
from spelangy.prepared.build import build_index
from spelangy.sources import SpeechTextSource, TextSource
from spelangy.text_tokenizer import TextTokenizer
from test_elastic import SometimesBad, make_dataset, run


def assert_padded_to_the_longest(batches):
    """Every shard yields as many batches, and the longest shard needed no padding."""
    yielded, own = {}, {}
    for batch in batches:
        shard = (batch.loader_state["rank"], batch.loader_state["worker"])
        yielded[shard] = yielded.get(shard, 0) + 1
        real = any(itertools.chain.from_iterable(batch.receipts))  # padding has no piece
        own[shard] = own.get(shard, 0) + real
    if not batches:
        return  # every document skipped: no shard yields a batch
    assert len(set(yielded.values())) == 1, yielded
    assert max(own.values()) == next(iter(yielded.values())), (own, yielded)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_shard_yields_the_longest_shards_count(data):
    """Random sources, packing, sampling, num_epochs and topologies, sometimes resumed on
    another topology mid-epoch; the C++ core and the reference count alike."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    n = data.draw(st.integers(2, 14))
    docs = [speech_document(rng, f"s-{i}") for i in range(n)]
    bad = set(rng.choice(n, int(rng.integers(0, 2)), replace=False).tolist())
    sources = [SometimesBad("speech", docs, bad),
               text_source(rng, n=int(rng.integers(1, 10)), weight=0.6)]
    kw = dict(num_epochs=data.draw(st.integers(1, 3)), on_bad_input="skip",
              backend=data.draw(st.sampled_from(["cpp", "reference"])),
              sampling=SamplingConfig(mode=data.draw(st.sampled_from(["deterministic",
                                                                       "stochastic"]))),
              packing=PackingConfig(seq_len=data.draw(st.integers(16, 96)),
                                    batch_size=data.draw(st.integers(1, 3)),
                                    max_document_rows=data.draw(st.integers(1, 4)),
                                    mode=data.draw(st.sampled_from(["concat", "best_fit"]))))
    topology = st.tuples(st.integers(1, 3), st.integers(1, 3)).filter(lambda t: t[0] * t[1] > 1)
    before = data.draw(topology)
    if data.draw(st.booleans()):
        whole, _ = run(sources, *before, **kw)
        assert_padded_to_the_longest(whole)
    else:
        first, states = run(sources, *before, limit=data.draw(st.integers(1, 5)), **kw)
        after = data.draw(topology)
        rest, _ = run(sources, *after, states=states, **kw)
        # the same topology continues each shard's count; another one counts from its start
        assert_padded_to_the_longest(first + rest if after == before else rest)


def test_prepared_corpora_count_as_their_manifests(tmp_path, monkeypatch):
    """The same counts from a prepared corpus as from the manifests it was built from; a
    prepared text corpus is counted from its offsets alone (no document is made)."""
    rng = np.random.default_rng(3)
    cuts, spm = make_tiny_corpus(tmp_path, num_docs=9, aligned=0.7, seed=3)
    tok = TextTokenizer(spm)
    text = write_text_jsonl(tmp_path / "t.jsonl", [random_text(rng, 4) for _ in range(40)])
    build_index([cuts], tmp_path / "speech-index", tok, progress=False)
    build_index([text], tmp_path / "text-index", tok, progress=False)
    pairs = [(SpeechTextSource("s", cuts), SpeechTextSource("s", tmp_path / "speech-index")),
             (TextSource("t", text), TextSource("t", tmp_path / "text-index"))]
    for mode, sampling in itertools.product(("concat", "best_fit"),
                                            ("deterministic", "stochastic")):
        ds = make_dataset([p for _, p in pairs], text_tokenizer=tok, num_epochs=2,
                          sampling=SamplingConfig(mode=sampling),
                          packing=PackingConfig(seq_len=32, batch_size=2, mode=mode))
        counts = []
        for sources in zip(*pairs):
            per_source = [list(load_shards(s, tok, 3, None, "raise", SkipReport(), 0).values())
                          for s in sources]
            counts.append(max_batches(ds._settings(), per_source, None, get_core("cpp")))
        assert counts[0] == counts[1] > 0, (mode, sampling)
    text_shards = list(load_shards(pairs[1][1], tok, 3, None, "raise", SkipReport(), 0).values())
    monkeypatch.setattr(type(text_shards[0]), "document", None)  # fails if called
    ds = make_dataset([pairs[1][1]], text_tokenizer=tok, num_epochs=2,
                      packing=PackingConfig(seq_len=32, batch_size=2))
    assert max_batches(ds._settings(), [text_shards], None, get_core("cpp")) > 0
