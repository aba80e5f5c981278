# `spelangy inspect`: print packed rows readably (documents, modalities, tokens, labels).
import click


def render_row(batch, row: int, vocab, piece_text) -> str:
    """One row as lines: a header per document piece, then its tokens in modality runs."""
    from spelangy.vocab import Modality

    special = {vocab.bos: "<bos>", vocab.eos: "<eos>", vocab.audio_marker: "<audio>",
               vocab.text_marker: "<text>", vocab.pad: "<pad>"}
    tokens = batch.tokens[row].tolist()
    modality = batch.modality[row].tolist()
    lines = []
    for receipt in batch.receipts[row]:
        col, n = receipt.row_offset, receipt.end - receipt.start
        lines.append(f"  [{col:>6}:{col + n:<6}] {receipt.source}/{receipt.cut_id} "
                     f"tokens {receipt.start}..{receipt.end}")
        words, audio_run = [], 0
        for t, m in zip(tokens[col:col + n], modality[col:col + n]):
            if m == Modality.AUDIO:
                audio_run += 1
                continue
            if audio_run:
                words.append(f"<{audio_run} audio>")
                audio_run = 0
            words.append(special[t] if m == Modality.SPECIAL else piece_text(t))
        if audio_run:
            words.append(f"<{audio_run} audio>")
        lines.append("    " + " ".join(words))
    padding = sum(1 for m in modality if m == Modality.PAD)
    if padding:
        lines.append(f"  padding: {padding} tokens")
    return "\n".join(lines)


@click.command("inspect")
@click.argument("cuts", type=click.Path(exists=True))
@click.option("--spm", "spm_model", type=click.Path(exists=True), default=None,
              help="SentencePiece model; default: spm.model beside CUTS.")
@click.option("--text", "text_path", type=click.Path(exists=True), default=None,
              help="Optional text-only JSONL mixed in.")
@click.option("--text-weight", default=0.6, show_default=True)
@click.option("--chunking", type=click.Choice(["coarse", "fine"]), default="fine", show_default=True)
@click.option("--sampling", type=click.Choice(["deterministic", "stochastic"]),
              default="deterministic", show_default=True)
@click.option("--packing", type=click.Choice(["concat", "best_fit"]), default="concat",
              show_default=True)
@click.option("--seq-len", default=2048, show_default=True)
@click.option("--rows", default=2, show_default=True, help="Rows to print.")
@click.option("--seed", default=0, show_default=True)
def inspect_cmd(cuts, spm_model, text_path, text_weight, chunking, sampling, packing, seq_len,
                rows, seed):
    """Print the first packed rows of CUTS (a cuts.jsonl.gz or a Shar directory) readably."""
    import itertools
    from pathlib import Path

    import spelangy

    if spm_model is None:
        spm_model = Path(cuts).parent / "spm.model"
        if not spm_model.is_file():
            raise click.UsageError(f"no --spm given and no {spm_model}")

    sources = [spelangy.SpeechTextSource("speech", cuts, weight=1.0 - text_weight if text_path else 1.0)]
    if text_path:
        sources.append(spelangy.TextSource("text", text_path, weight=text_weight))
    ds = spelangy.InterleavedDataset(
        sources, text_tokenizer=spm_model, chunking=spelangy.ChunkingConfig(mode=chunking),
        sampling=spelangy.SamplingConfig(mode=sampling),
        packing=spelangy.PackingConfig(seq_len=seq_len, batch_size=1, mode=packing),
        seed=seed, num_epochs=1,
    )
    piece_text = ds.text_tokenizer.id_to_piece
    click.echo(f"vocabulary: {ds.vocab}")
    for i, batch in enumerate(itertools.islice(iter(ds), rows)):
        click.echo(f"row {i} (seq_len {seq_len}):")
        click.echo(render_row(batch, 0, ds.vocab, piece_text))
