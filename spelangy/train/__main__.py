# `python -m spelangy.train ARGS`: what torchrun runs on each rank for `spelangy train`.
from ..cli.train import train_cmd

if __name__ == "__main__":
    train_cmd(prog_name="spelangy train")
