# `spelangy index`: cut manifests or text files -> a prepared corpus (docs/prepared.md).
from pathlib import Path

import click


@click.command("index")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="The new prepared corpus (an empty or new directory).")
@click.option("--text-tokenizer", type=click.Path(exists=True, dir_okay=False), required=True,
              help="The SentencePiece model the loader will use.")
@click.option("--speech-vocab-size", type=click.IntRange(min=1), default=None,
              help="Codebook size, when the cuts carry no custom['speech_vocab_size'].")
@click.option("--on-bad-input", type=click.Choice(["raise", "skip"]), default="raise",
              show_default=True, help="Stop at a bad document, or skip and count it.")
def index_cmd(inputs, output_dir, text_tokenizer, speech_vocab_size, on_bad_input):
    """Read INPUTS (cut manifests and Shar directories, or text files: one kind) once into a
    prepared corpus that SpeechTextSource / TextSource read as they read a manifest."""
    from ..prepared.build import build_index
    from ..text_tokenizer import TextTokenizer

    meta = build_index(inputs, output_dir, TextTokenizer(text_tokenizer),
                       speech_vocab_size=speech_vocab_size, on_bad_input=on_bad_input)
    skipped = meta["skipped"]["count"]
    click.echo(f"{output_dir}: {meta['documents']} {meta['kind']} documents"
               + (f", {skipped} skipped (see meta.json)" if skipped else ""))
