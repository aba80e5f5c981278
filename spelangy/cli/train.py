# `spelangy train`: forwards its options to spelangy.train (torchrun launch or join).
import sys

import click


@click.command("train")
@click.option("--config", "config", default="tiny", show_default=True,
              help="A named config (tiny, 100m) or a JSON/TOML config file.")
@click.option("--steps", type=int, required=True, help="Train until this step.")
@click.option("--output-dir", required=True, type=click.Path(file_okay=False),
              help="Checkpoints, config.json and metrics.jsonl go here.")
@click.option("--resume", is_flag=True, help="Continue from the latest checkpoint in --output-dir.")
@click.option("--nproc", type=int, default=None,
              help="Launch this many processes with torchrun (default: join torchrun, or run one).")
@click.option("--data", type=click.Path(file_okay=False), default=None,
              help="A prepared corpus directory (default: data/mini, prepared on first use).")
def train_cmd(config, steps, output_dir, resume, nproc, data):
    """Train a speech-text LM with FSDP2 on the interleaved, packed stream."""
    from ..errors import SpelangyError
    from ..train import launch

    try:
        if nproc is not None and not launch.under_torchrun():
            data = launch.ensure_corpus(data)
            args = ["--config", config, "--steps", str(steps), "--output-dir", output_dir,
                    "--data", data] + (["--resume"] if resume else [])
            sys.exit(launch.launch(nproc, args))
        launch.run(config, steps, output_dir, resume, data)
    except SpelangyError as e:
        raise click.ClickException(str(e)) from None
