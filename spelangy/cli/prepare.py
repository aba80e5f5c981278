# `spelangy prepare <recipe>`: one short command per recipe, forwarding its arguments.
from pathlib import Path

import click

_path = click.Path(path_type=Path)
_existing = click.Path(exists=True, path_type=Path)


def _common(f):
    f = click.option("--num-codes", default=256, show_default=True, help="Speech codebook size.")(f)
    f = click.option("--spm-vocab-size", default=1000, show_default=True,
                     help="SentencePiece vocabulary size.")(f)
    f = click.option("--seed", default=0, show_default=True)(f)
    f = click.option("--shar/--no-shar", default=False, help="Also write a Lhotse Shar copy.")(f)
    return f


@click.group("prepare")
def prepare_cmd():
    """Build a corpus directory (cuts.jsonl.gz with speech tokens, spm.model, text.jsonl)."""


@prepare_cmd.command("mini")
@click.argument("output_dir", type=_path)
@click.option("--num-documents", default=12, show_default=True)
@click.option("--text", "text_files", multiple=True, type=_existing,
              help="Text file(s) to read aloud; default: readable text found on this machine.")
@click.option("--num-workers", default=2, show_default=True, help="Parallel festival processes.")
@_common
def mini_cmd(output_dir, num_documents, text_files, num_workers, num_codes, spm_vocab_size, seed, shar):
    """Small multi-speaker corpus read by festival voices, made offline."""
    from ..recipes import prepare_mini

    click.echo(prepare_mini(output_dir, num_documents, text_files=text_files, seed=seed,
                            num_codes=num_codes, spm_vocab_size=spm_vocab_size,
                            num_workers=num_workers, shar=shar))


@prepare_cmd.command("web")
@click.argument("input_dir", type=_existing)
@click.argument("output_dir", type=_path)
@click.option("--rttm", type=_existing, help="Speaker turns; default: <name>.rttm beside the "
              "audio, else the energy segmenter.")
@_common
def web_cmd(input_dir, output_dir, rttm, num_codes, spm_vocab_size, seed, shar):
    """Long raw recordings with sidecar <name>.words.tsv transcripts -> filtered cuts."""
    from ..recipes import prepare_web

    click.echo(prepare_web(input_dir, output_dir, rttm=rttm, num_codes=num_codes,
                           spm_vocab_size=spm_vocab_size, seed=seed, shar=shar))


@prepare_cmd.command("synthetic")
@click.argument("text_jsonl", type=_existing)
@click.argument("output_dir", type=_path)
@click.option("--variant", type=click.Choice(["prose", "qa"]), default="prose", show_default=True)
@click.option("--tts", type=click.Choice(["festival", "espeak-ng"]), default="festival",
              show_default=True)
@click.option("--max-documents", type=int, default=None)
@_common
def synthetic_cmd(text_jsonl, output_dir, variant, tts, max_documents, num_codes, spm_vocab_size,
                  seed, shar):
    """Text corpus (JSONL) read chunk by chunk by randomly drawn TTS voices."""
    from ..recipes import prepare_synthetic

    click.echo(prepare_synthetic(text_jsonl, output_dir, variant=variant, tts=tts,
                                 max_documents=max_documents, seed=seed, num_codes=num_codes,
                                 spm_vocab_size=spm_vocab_size, shar=shar))


@prepare_cmd.command("corpus")
@click.argument("corpus_dir", type=_existing)
@click.argument("output_dir", type=_path)
@click.option("--corpus", default="librispeech", show_default=True,
              help="Lhotse recipe name: lhotse.recipes.prepare_<corpus>.")
@_common
def corpus_cmd(corpus_dir, output_dir, corpus, num_codes, spm_vocab_size, seed, shar):
    """A corpus on disk prepared by Lhotse's own recipe, given speech tokens."""
    from ..recipes import prepare_lhotse_corpus

    click.echo(prepare_lhotse_corpus(corpus_dir, output_dir, corpus=corpus, num_codes=num_codes,
                                     spm_vocab_size=spm_vocab_size, seed=seed, shar=shar))


@prepare_cmd.command("tokenizer")
@click.argument("cuts", type=_existing)
@click.option("--output", type=_path, required=True, help="Manifest to write (.jsonl.gz).")
@click.option("--num-codes", default=256, show_default=True)
@click.option("--tokenizer", "tokenizer_path", type=_path, default=None,
              help="Tokenizer file: used if it exists, else trained and saved there "
                   "(default: speech_tokenizer.npz beside --output).")
@click.option("--seed", default=0, show_default=True)
def tokenizer_cmd(cuts, output, num_codes, tokenizer_path, seed):
    """Train the fbank k-means speech tokenizer on CUTS and write their speech tokens."""
    from ..speech_tokenizer.tokens import tokenize_manifest

    click.echo(tokenize_manifest(cuts, output, num_codes=num_codes,
                                 tokenizer_path=tokenizer_path, seed=seed))
