# Micro benchmarks of the manifest-to-document step (pytest-benchmark): the fast path against
# the Lhotse-object path, its C++ scan and word cache alone, and the C++ core on documents in
# memory.
#   .venv/bin/pytest benchmarks/bench_fastpath.py --benchmark-columns=min,median,ops
import gzip

import pytest

from spelangy.bench.corpus import CorpusSpec, generate_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    c = generate_corpus(tmp_path_factory.mktemp("micro"), CorpusSpec(num_docs=10))
    with gzip.open(c.cuts_path, "rb") as f:
        lines = [line for line in f if line.strip()]
    from spelangy.text_tokenizer import TextTokenizer

    return lines, TextTokenizer(c.spm_path)


def _where():
    from spelangy.errors import Where

    return Where("bench", "cuts.jsonl.gz")


def test_fast_manifest_path(benchmark, corpus):
    from spelangy.reading.reader import line_to_document

    lines, tokenizer = corpus
    where = _where()
    benchmark(lambda: [line_to_document(line, tokenizer, where) for line in lines])


def test_lhotse_manifest_path(benchmark, corpus):
    from spelangy.reading.reader import line_to_document

    lines, tokenizer = corpus
    where = _where()
    benchmark(lambda: [line_to_document(line, tokenizer, where, reader="lhotse")
                       for line in lines])


def test_cpp_manifest_scan(benchmark, corpus):
    """The C++ reader alone: JSON scan and the reading rules, tables out (no tokenization)."""
    from spelangy._C import read_manifest_line

    lines, _ = corpus
    benchmark(lambda: [read_manifest_line(line) for line in lines])


def test_word_cache_encode(benchmark, corpus):
    """Tokenization of the documents' words once every word is cached."""
    from spelangy._C import read_manifest_line

    lines, tokenizer = corpus
    joined = [read_manifest_line(line).words for line in lines]
    for words in joined:
        tokenizer.encode_joined_words(words)
    benchmark(lambda: [tokenizer.encode_joined_words(words) for words in joined])


def test_cpp_core_on_documents_in_memory(benchmark, corpus):
    from spelangy.config import ChunkingConfig, SamplingConfig
    from spelangy.core import get_core
    from spelangy.reading.reader import line_to_document
    from spelangy.vocab import VocabLayout

    lines, tokenizer = corpus
    docs = [line_to_document(line, tokenizer, _where()) for line in lines]
    core, vocab = get_core("cpp"), VocabLayout(tokenizer.vocab_size, 1024)
    chunking, sampling = ChunkingConfig("fine"), SamplingConfig()
    benchmark(lambda: [core.build_speech_document(d, chunking, sampling, 0, 0, vocab) for d in docs])
