# The benchmark pieces: corpus generator, Lhotse-native baseline, harness and CLI (no timings).
import gzip
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from spelangy.bench.corpus import FRAME_SHIFT, CorpusSpec, generate_corpus
from spelangy.bench.lhotse_native import IGNORE, PAD, ConcatPacker, LhotseNativePipeline, fine_chunks

SPEC = CorpusSpec(num_docs=3, min_minutes=0.4, max_minutes=0.8, speech_vocab_size=100,
                  text_vocab_size=300, word_vocab_size=200, seed=5)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return generate_corpus(tmp_path_factory.mktemp("bench") / "corpus", SPEC)


@pytest.fixture(scope="module")
def cuts(corpus):
    from lhotse import CutSet

    return list(CutSet.from_file(corpus.cuts_path))


def test_corpus_is_a_faithful_lhotse_manifest(corpus, cuts):
    assert [c.id for c in cuts] == ["doc000000", "doc000001", "doc000002"]
    for cut in cuts:
        assert 0.4 * 60 <= cut.duration <= 0.8 * 60 + 60  # may overshoot by one turn
        codes = cut.load_custom("speech_tokens")
        assert codes.shape == (int(np.floor(cut.duration / FRAME_SHIFT + 0.5)),)
        assert 0 <= codes.min() and codes.max() < SPEC.speech_vocab_size
        assert cut.custom["speech_vocab_size"] == SPEC.speech_vocab_size
        assert cut.speech_tokens.frame_shift == FRAME_SHIFT
        assert len({s.speaker for s in cut.supervisions}) >= 2
        ends = [s.end for s in cut.supervisions]
        assert all(a < s.start for a, s in zip(ends, cut.supervisions[1:]))
        for sup in cut.supervisions:
            words = sup.alignment["word"]
            assert [w.symbol for w in words] == sup.text.split()
            assert words[0].start == sup.start and abs(words[-1].end - sup.end) < 1e-6
            assert words[-1].symbol[-1] in ".?!"
        assert cut.recording.duration >= cut.duration
        assert cut.load_audio().shape == (1, cut.num_samples)


def test_corpus_is_reused_when_the_spec_matches(corpus):
    before = corpus.cuts_path.stat().st_mtime_ns
    again = generate_corpus(corpus.cuts_path.parent, SPEC)
    assert again.cuts_path.stat().st_mtime_ns == before
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(again.spm_path))
    assert sp.get_piece_size() > 100


def test_fine_chunks_match_spelangy_chunking(cuts):
    from spelangy.config import ChunkingConfig
    from spelangy.reading.lhotse_reader import cut_to_document
    from spelangy.reference import chunk_document

    class Whole:  # chunk boundaries do not depend on tokenization
        def encode_words(self, words):
            return np.zeros(0, np.int32), np.zeros(len(words) + 1, np.int64)

    split = 0
    for cut in cuts:
        ours = fine_chunks(cut, 10.0)
        theirs = chunk_document(cut_to_document(cut, Whole()), ChunkingConfig("fine", 10.0))
        assert np.allclose([c.start for c in ours], theirs.start, atol=0, rtol=1e-12)
        assert np.allclose([c.end for c in ours], theirs.end, atol=0, rtol=1e-12)
        split += theirs.num_chunks - len(cut.supervisions)
    assert split > 0  # long turns were split at sentence ends


def test_baseline_documents_equal_spelangy_documents(corpus, cuts):
    import sentencepiece as spm

    from spelangy.config import ChunkingConfig, SamplingConfig
    from spelangy.reading.lhotse_reader import cut_to_document
    from spelangy.reference import build_speech_document
    from spelangy.text_tokenizer import TextTokenizer
    from spelangy.vocab import VocabLayout

    sp = spm.SentencePieceProcessor(model_file=str(corpus.spm_path))
    tokenizer = TextTokenizer(corpus.spm_path)
    vocab = VocabLayout(tokenizer.vocab_size, SPEC.speech_vocab_size)
    pipeline = LhotseNativePipeline(corpus.cuts_path, corpus.spm_path)
    for cut in cuts:
        tokens, modality = pipeline.document_tokens(cut, cut.load_custom("speech_tokens"), sp,
                                                    sp.get_piece_size())
        expected, expected_modality = build_speech_document(
            cut_to_document(cut, tokenizer), ChunkingConfig("fine"),
            SamplingConfig("deterministic"), 0, 0, vocab)[:2]
        assert np.array_equal(tokens, expected)
        assert np.array_equal(modality, expected_modality)


def test_concat_packer_rows(rng):
    seq_len = int(rng.integers(5, 40))
    packer, rows, docs = ConcatPacker(seq_len), [], []
    for _ in range(int(rng.integers(1, 12))):
        n = int(rng.integers(1, 3 * seq_len))
        doc = rng.integers(0, 1000, n)
        docs.append(doc)
        rows += packer.add(doc, np.ones(n, np.int8))
    rows += packer.flush(pad_id=7)
    stream = np.concatenate([r["tokens"][0].numpy() for r in rows])
    assert all(r["tokens"].shape == (1, seq_len) for r in rows)
    total = sum(len(d) for d in docs)
    assert np.array_equal(stream[:total], np.concatenate(docs))
    assert (stream[total:] == 7).all() and sum(r["num_tokens"] for r in rows) == total
    labels = np.concatenate([r["labels"][0].numpy() for r in rows])
    doc_labels = np.concatenate([np.append(d[1:], IGNORE) for d in docs])
    assert np.array_equal(labels[:total], doc_labels) and (labels[total:] == IGNORE).all()
    assert (np.concatenate([r["modality"][0].numpy() for r in rows])[total:] == PAD).all()
    for r in rows:
        cu, pos = r["cu_seqlens"].numpy(), r["position_ids"][0].numpy()
        assert cu[0] == 0 and cu[-1] == seq_len
        assert (pos[cu[:-1]] == 0).all() and r["max_seqlen"] == np.diff(cu).max()


def test_pipelines_pack_the_same_tokens(corpus):
    from spelangy.bench.cases import Case, run_case
    from spelangy.bench.stage_profile import profile_lhotse, profile_spelangy

    results = {name: run_case(Case(name, 0, str(corpus.cuts_path), str(corpus.spm_path), 2048))
               for name in ("cpp", "reference", "lhotse")}
    tokens = {r.tokens for r in results.values()}
    rows = {r.rows for r in results.values()}
    assert all(0 < r.first_batch_seconds <= r.seconds for r in results.values())
    assert len(tokens) == 1 and len(rows) == 1
    (n,), (num_rows,) = tokens, rows
    assert num_rows == -(-n // 2048)
    lhotse = profile_lhotse(corpus.cuts_path, corpus.spm_path, 2048, 10.0)
    cpp = profile_spelangy(corpus.cuts_path, corpus.spm_path, "cpp", 2048, 10.0)
    assert lhotse.tokens == cpp.tokens == n
    assert lhotse.documents == cpp.documents == SPEC.num_docs
    assert cpp.core_seconds is not None and all(v >= 0 for v in cpp.seconds.values())


def test_batches_of_several_rows_hold_the_same_rows(corpus, rng):
    import torch

    from spelangy.bench.cases import Case, run_case
    from spelangy.bench.lhotse_native import LhotseNativeDataset, LhotseNativePipeline

    batch_size = int(rng.integers(2, 5))
    pipeline = LhotseNativePipeline(corpus.cuts_path, corpus.spm_path, 1024)
    rows = list(LhotseNativeDataset(pipeline))
    batches = list(LhotseNativeDataset(pipeline, batch_size=batch_size))
    assert len(batches) == -(-len(rows) // batch_size)
    for i, batch in enumerate(batches):
        group = rows[i * batch_size:(i + 1) * batch_size]
        for key in ("tokens", "labels", "position_ids", "modality"):
            assert torch.equal(batch[key], torch.cat([r[key] for r in group]))
        # cu_seqlens over the flattened batch: each row's boundaries shifted by its offset
        expected = np.unique(np.concatenate([r["cu_seqlens"].numpy() + j * 1024
                                             for j, r in enumerate(group)]))
        assert np.array_equal(batch["cu_seqlens"].numpy(), expected)
        assert batch["num_tokens"] == sum(r["num_tokens"] for r in group)
    paths = (str(corpus.cuts_path), str(corpus.spm_path), 1024)
    results = [run_case(Case(name, 0, *paths, batch_size=batch_size)) for name in ("cpp", "lhotse")]
    assert results[0].tokens == results[1].tokens == sum(r["num_tokens"] for r in rows)
    assert results[0].rows == results[1].rows == len(batches)


def test_warm_case_measures_later_epochs_only(corpus):
    from spelangy.bench.cases import Case, run_case

    paths = (str(corpus.cuts_path), str(corpus.spm_path), 2048)
    cold = run_case(Case("cpp", 0, *paths))
    warm = run_case(Case("cpp-warm", 0, *paths, max_batches=cold.rows, warm_epochs=2))
    assert (warm.rows, warm.epochs) == (2 * cold.rows, 2)
    assert warm.first_batch_seconds == 0  # its first batches are off the clock
    assert warm.tokens == warm.rows * 2048  # an endless stream: every row is full
    assert warm.cpu_seconds > 0
    with pytest.raises(ValueError, match="cpp-warm needs max_batches"):
        run_case(Case("cpp-warm", 0, *paths))


def test_bench_command_prints_the_table(corpus, tmp_path):
    from spelangy.cli import main

    out = tmp_path / "bench.json"
    result = CliRunner().invoke(main, [
        "bench", "--cuts", str(corpus.cuts_path), "--spm", str(corpus.spm_path),
        "--pipelines", "cpp,lhotse", "--workers", "0,1", "--seq-len", "4096",
        "--repeats", "1", "--json-out", str(out),
    ])
    assert result.exit_code == 0, result.output
    assert "| spelangy, C++ core, fast manifest path |" in result.output
    assert "| Lhotse-native pipeline" in result.output
    assert "manifest reading" in result.output
    report = json.loads(out.read_text())
    assert [(c["pipeline"], c["workers"]) for c in report["cases"]] == [
        ("cpp", 0), ("cpp", 1), ("lhotse", 0), ("lhotse", 1)]
    # Without workers both run one epoch; spelangy's worker runs stream on for as many rows.
    assert len({c["tokens"] for c in report["cases"] if c["workers"] == 0}) == 1
    assert len({c["rows"] for c in report["cases"]}) == 1
    assert report["documents"] == SPEC.num_docs


def test_bench_command_rejects_bad_settings(corpus):
    from spelangy.cli import main

    result = CliRunner().invoke(main, ["bench", "--cuts", str(corpus.cuts_path)])
    assert result.exit_code != 0 and "--cuts and --spm go together" in result.output
    result = CliRunner().invoke(main, ["bench", "--cuts", str(corpus.cuts_path), "--spm",
                                       str(corpus.spm_path), "--pipelines", "cpp,fast"])
    assert result.exit_code != 0 and "unknown ['fast']" in result.output


def test_manifest_stats(corpus, cuts):
    from spelangy.bench.harness import manifest_stats

    docs, seconds, size = manifest_stats(corpus.cuts_path)
    assert docs == len(cuts)
    assert seconds == pytest.approx(sum(c.duration for c in cuts))
    with gzip.open(corpus.cuts_path, "rb") as f:
        assert size == len(f.read())


@pytest.fixture(scope="module")
def split_corpus(tmp_path_factory):
    return generate_corpus(tmp_path_factory.mktemp("bench") / "split",
                           replace(SPEC, num_docs=5, manifest_files=3))


def test_corpus_in_several_files_is_written_in_contiguous_blocks(split_corpus, tmp_path):
    from lhotse import CutSet

    assert [p.name for p in split_corpus.cuts_paths] == [
        "cuts.000000.jsonl.gz", "cuts.000001.jsonl.gz", "cuts.000002.jsonl.gz"]
    assert [[c.id for c in CutSet.from_file(p)] for p in split_corpus.cuts_paths] == [
        ["doc000000", "doc000001"], ["doc000002", "doc000003"], ["doc000004"]]
    with pytest.raises(ValueError, match="3 manifest files: use Corpus.cuts_paths"):
        split_corpus.cuts_path
    with pytest.raises(ValueError, match="manifest_files must be in"):
        replace(SPEC, manifest_files=4)
    # Another layout of the same documents in the same directory: the old files go.
    directory = tmp_path / "relaid"
    generate_corpus(directory, replace(SPEC, manifest_files=2))
    one = generate_corpus(directory, SPEC)
    assert sorted(p.name for p in directory.glob("cuts*")) == ["cuts.jsonl.gz"]
    assert [c.id for c in CutSet.from_file(one.cuts_path)] == ["doc000000", "doc000001",
                                                               "doc000002"]


def test_lhotse_native_workers_take_whole_files(split_corpus, corpus):
    def ids(pipeline, worker, workers):
        return [c.id for c in pipeline.worker_cuts(worker, workers)]

    files = LhotseNativePipeline(split_corpus.cuts_paths, split_corpus.spm_path)
    every = [f"doc{i:06d}" for i in range(5)]
    assert ids(files, 0, 1) == every
    assert ids(files, 0, 2) == every[:2] + every[4:] and ids(files, 1, 2) == every[2:4]
    assert [ids(files, k, 3) for k in range(3)] == [every[:2], every[2:4], every[4:]]
    one = LhotseNativePipeline(corpus.cuts_path, corpus.spm_path)  # one file: every k-th cut
    assert [ids(one, k, 2) for k in range(2)] == [["doc000000", "doc000002"], ["doc000001"]]


def test_pipelines_pack_the_same_tokens_over_files(split_corpus, tmp_path):
    from spelangy.bench.cases import Case, run_case
    from spelangy.bench.harness import manifest_stats

    paths = [str(p) for p in split_corpus.cuts_paths]
    joined = tmp_path / "cuts.jsonl"
    joined.write_bytes(b"".join(gzip.decompress(Path(p).read_bytes()) for p in paths))
    spm_path = str(split_corpus.spm_path)
    single = run_case(Case("cpp", 0, str(joined), spm_path, 2048))
    for name, workers in (("cpp", 0), ("reference", 0), ("lhotse", 0), ("lhotse", 2)):
        result = run_case(Case(name, workers, paths, spm_path, 2048))
        assert result.tokens == single.tokens, (name, workers)
    by_file = run_case(Case("cpp", 2, paths, spm_path, 2048, max_batches=single.rows))
    assert by_file.rows == single.rows and by_file.tokens == single.rows * 2048
    assert manifest_stats(paths) == manifest_stats(joined)
    assert manifest_stats(paths)[0] == 5


def test_bench_command_wires_manifest_files(split_corpus, monkeypatch, tmp_path):
    import spelangy.bench.corpus
    import spelangy.bench.harness
    from spelangy.cli import main

    calls = {}

    def fake_generate(directory, spec, progress=False):
        calls["generate"] = (directory, spec)
        return split_corpus

    def fake_run(cuts, spm, *args):
        calls["run"] = (cuts, spm)
        return spelangy.bench.harness.BenchReport(cuts, spm, 5, 60.0, 1000, 4096)

    monkeypatch.setattr(spelangy.bench.corpus, "generate_corpus", fake_generate)
    monkeypatch.setattr(spelangy.bench.harness, "run_bench", fake_run)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    paths = [str(p) for p in split_corpus.cuts_paths]
    result = CliRunner().invoke(main, ["bench", "--num-docs", "5", "--manifest-files", "3",
                                       "--workers", "0,3"])
    assert result.exit_code == 0, result.output
    directory, spec = calls["generate"]
    assert directory == str(tmp_path / "spelangy" / "bench-5-files3")
    assert (spec.num_docs, spec.manifest_files) == (5, 3)
    assert calls["run"] == (paths, str(split_corpus.spm_path))
    cuts = [arg for p in paths for arg in ("--cuts", p)]
    result = CliRunner().invoke(main, ["bench", *cuts, "--spm", str(split_corpus.spm_path)])
    assert result.exit_code == 0 and calls["run"][0] == paths
    for args, message in (
            (cuts + ["--spm", paths[0], "--manifest-files", "2"], "--manifest-files is for the"),
            (cuts + ["--spm", paths[0], "--workers", "4"], "3 manifest files are sharded by file"),
            (["--num-docs", "2", "--manifest-files", "3"], "at least as many documents")):
        result = CliRunner().invoke(main, ["bench", *args])
        assert result.exit_code != 0 and message in result.output, result.output
