# `spelangy stats`: chunk durations, modality switches, token mix and padding of a manifest.
from pathlib import Path

import click


@click.command("stats")
@click.argument("cuts", type=click.Path(exists=True, path_type=Path))
@click.option("--output-dir", type=click.Path(path_type=Path), required=True,
              help="Where the PNG plots and stats.json go.")
@click.option("--spm", "spm_model", type=click.Path(exists=True, path_type=Path), default=None,
              help="SentencePiece model; default: spm.model beside CUTS.")
@click.option("--text", type=click.Path(exists=True, path_type=Path), default=None,
              help="Text-only documents to mix in; default: text.jsonl beside CUTS if present.")
@click.option("--text-weight", default=0.6, show_default=True, help="Token share of --text.")
@click.option("--chunking", type=click.Choice(["coarse", "fine"]), default="fine", show_default=True,
              help="Chunking used for the switch and token figures.")
@click.option("--seq-len", default=2048, show_default=True)
@click.option("--batch-size", default=4, show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--max-documents", type=int, default=None)
def stats_cmd(cuts, output_dir, spm_model, text, text_weight, chunking, seq_len, batch_size, seed,
              max_documents):
    """Chunk durations (coarse vs fine), modality switches (deterministic vs stochastic),
    token share per modality and source, and padding, over one epoch of CUTS."""
    import json

    from ..stats import compute_stats, format_table, write_plots

    home = cuts.parent if cuts.is_file() else cuts
    spm_model = spm_model or home / "spm.model"
    if text is None and (home / "text.jsonl").exists():
        text = home / "text.jsonl"
    stats = compute_stats(cuts, spm_model, text=text, text_weight=text_weight, chunking=chunking,
                          seq_len=seq_len, batch_size=batch_size, seed=seed,
                          max_documents=max_documents)
    click.echo(format_table(stats))
    paths = write_plots(stats, output_dir)
    (output_dir / "stats.json").write_text(json.dumps(
        {"settings": stats.settings, "summary": stats.summary()}, indent=2))
    click.echo("plots: " + ", ".join(str(p) for p in paths))
