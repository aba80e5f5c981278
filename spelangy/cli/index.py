# `spelangy index`: cut manifests or text files -> a prepared corpus (docs/prepared.md).
from pathlib import Path

import click


def _part(ctx, param, value):
    if value is None:
        return (0, 1)
    try:
        k, n = (int(x) for x in value.split("/"))
    except ValueError:
        raise click.BadParameter(f"expected K/N (0 <= K < N), got {value!r}") from None
    if not 0 <= k < n:
        raise click.BadParameter(f"expected K/N with 0 <= K < N, got {value!r}")
    return (k, n)


@click.command("index")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="The new prepared corpus (an empty or new directory).")
@click.option("--text-tokenizer", type=click.Path(exists=True, dir_okay=False), default=None,
              help="The SentencePiece model the loader will use (not with --join).")
@click.option("--speech-vocab-size", type=click.IntRange(min=1), default=None,
              help="Codebook size, when the cuts carry no custom['speech_vocab_size'].")
@click.option("--on-bad-input", type=click.Choice(["raise", "skip"]), default="raise",
              show_default=True, help="Stop at a bad document, or skip and count it.")
@click.option("--num-jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Local processes, each indexing a block of the input files.")
@click.option("--part", callback=_part, default=None, metavar="K/N",
              help="Index only block K of N of the input files (0-based), e.g. one per node "
                   "or SLURM array task; then join the N parts with --join.")
@click.option("--join", is_flag=True,
              help="INPUTS are the parts 0/N ... N-1/N of one build, in order: join them.")
def index_cmd(inputs, output_dir, text_tokenizer, speech_vocab_size, on_bad_input, num_jobs,
              part, join):
    """Read INPUTS (cut manifests and Shar directories, or text files: one kind) once into a
    prepared corpus that SpeechTextSource / TextSource read as they read a manifest. The
    bytes are the same whatever --num-jobs and --part."""
    from ..prepared.build import build_index, join_index
    from ..text_tokenizer import TextTokenizer

    if join:
        meta = join_index(inputs, output_dir)
    elif text_tokenizer is None:
        raise click.UsageError("--text-tokenizer is required to index")
    else:
        meta = build_index(inputs, output_dir, TextTokenizer(text_tokenizer),
                           speech_vocab_size=speech_vocab_size, on_bad_input=on_bad_input,
                           part=part, num_jobs=num_jobs)
    skipped = meta["skipped"]["count"]
    click.echo(f"{output_dir}: {meta['documents']} {meta['kind']} documents"
               + (f", {skipped} skipped (see meta.json)" if skipped else ""))
