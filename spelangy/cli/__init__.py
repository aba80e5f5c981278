# The `spelangy` entry point: one click group; each command lives in its own module and
# keeps heavy imports inside the command so that `spelangy --help` starts fast.
import click


@click.group()
@click.version_option(package_name="spelangy")
def main():
    """spelangy: streaming speech-text data loader for speech-language pretraining."""


def _register():
    from .inspect_cmd import inspect_cmd

    main.add_command(inspect_cmd)
    from .train import train_cmd; main.add_command(train_cmd)  # noqa: E702
    from .bench import bench_cmd; main.add_command(bench_cmd)  # noqa: E702
    from .prepare import prepare_cmd; main.add_command(prepare_cmd)  # noqa: E702
    from .stats import stats_cmd; main.add_command(stats_cmd)  # noqa: E702
    from .index import index_cmd; main.add_command(index_cmd)  # noqa: E702


_register()
