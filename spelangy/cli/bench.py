# `spelangy bench`: loader throughput of spelangy and of a Lhotse-native pipeline, side by side.
import click


def _ints(value: str):
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated integers, got {value!r}") from None


def _default_corpus_dir(num_docs: int, manifest_files: int) -> str:
    import os
    from pathlib import Path

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    # One directory per layout, so that switching between them does not regenerate.
    files = f"-files{manifest_files}" if manifest_files > 1 else ""
    return str(cache / "spelangy" / f"bench-{num_docs}{files}")


@click.command("bench")
@click.option("--cuts", type=click.Path(exists=True, dir_okay=False), multiple=True,
              help="A cuts.jsonl(.gz) manifest with speech_tokens; several times for a manifest "
                   "in several files (sharded by file); without it a corpus is generated.")
@click.option("--spm", type=click.Path(exists=True, dir_okay=False), default=None,
              help="SentencePiece model for --cuts.")
@click.option("--num-docs", type=click.IntRange(min=1), default=200, show_default=True,
              help="Documents (5-10 min each) of the generated corpus.")
@click.option("--manifest-files", type=click.IntRange(min=1), default=1, show_default=True,
              help="Files the generated corpus's manifest is written as (cuts.000000.jsonl.gz, "
                   "...); more than one shards the runs by file.")
@click.option("--corpus-dir", type=click.Path(file_okay=False), default=None,
              help="Where the generated corpus goes (reused when it matches) "
                   "[default: ~/.cache/spelangy/bench-NUM_DOCS, -filesN added for N files].")
@click.option("--pipelines", default="cpp,cpp-warm,cpp-lhotse-reader,reference,lhotse",
              show_default=True,
              help="Comma-separated: cpp, cpp-warm, cpp-lhotse-reader, reference, lhotse.")
@click.option("--workers", default="0,1,2", show_default=True,
              help="DataLoader worker counts to run each pipeline with.")
@click.option("--seq-len", type=click.IntRange(min=2), default=16384, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=1, show_default=True,
              help="Rows per batch (per DataLoader item), in every pipeline.")
@click.option("--max-chunk-duration", type=float, default=10.0, show_default=True,
              help="Fine chunking: longest chunk in seconds.")
@click.option("--repeats", type=click.IntRange(min=1), default=3, show_default=True,
              help="Runs of every case; the one with the median wall time is reported.")
@click.option("--no-profile", is_flag=True, help="Skip the per-stage timing.")
@click.option("--json-out", type=click.Path(dir_okay=False), default=None,
              help="Also write every figure as JSON here.")
def bench_cmd(cuts, spm, num_docs, manifest_files, corpus_dir, pipelines, workers, seq_len,
              batch_size, max_chunk_duration, repeats, no_profile, json_out):
    """Documents/s, packed tokens/s (per core), audio hours/s, peak RSS and time per stage,
    for spelangy's C++ and Python cores and a Lhotse-native pipeline, on the same manifest."""
    import json

    from spelangy.bench.corpus import CorpusSpec, generate_corpus
    from spelangy.bench.harness import run_bench
    from spelangy.bench.cases import PIPELINES
    from spelangy.bench.report import format_report

    if bool(cuts) != (spm is not None):
        raise click.UsageError("--cuts and --spm go together")
    if cuts and manifest_files != 1:
        raise click.UsageError("--manifest-files is for the generated corpus; give several "
                               "--cuts for a manifest in several files")
    if num_docs < manifest_files:
        raise click.BadParameter(f"{manifest_files} files need at least as many documents, "
                                 f"got --num-docs {num_docs}", param_hint="--manifest-files")
    names = [p.strip() for p in pipelines.split(",") if p.strip()]
    unknown = sorted(set(names) - set(PIPELINES))
    if unknown or not names:
        raise click.BadParameter(f"unknown {unknown}; choose from {', '.join(PIPELINES)}",
                                 param_hint="--pipelines")
    worker_counts = _ints(workers)
    if not worker_counts or min(worker_counts) < 0:
        raise click.BadParameter(f"expected counts >= 0, got {workers!r}", param_hint="--workers")
    num_files = len(cuts) or manifest_files
    if num_files > 1 and max(worker_counts) > num_files:  # checked before any generating
        raise click.BadParameter(f"{num_files} manifest files are sharded by file, so at most "
                                 f"{num_files} workers", param_hint="--workers")
    if cuts:
        cuts = list(cuts)
    else:
        corpus_dir = corpus_dir or _default_corpus_dir(num_docs, manifest_files)
        click.echo(f"corpus: {corpus_dir}", err=True)
        corpus = generate_corpus(corpus_dir, CorpusSpec(num_docs=num_docs,
                                                        manifest_files=manifest_files),
                                 progress=True)
        cuts, spm = [str(p) for p in corpus.cuts_paths], str(corpus.spm_path)
    log = lambda message: click.echo(message, err=True)  # noqa: E731
    report = run_bench(cuts, spm, names, worker_counts, seq_len, max_chunk_duration,
                       not no_profile, log, repeats, batch_size)
    click.echo(format_report(report))
    if json_out:
        with open(json_out, "w") as f:
            json.dump(report.to_dict(), f, indent=1)
