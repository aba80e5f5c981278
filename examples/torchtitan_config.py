# torchtitan's own trainer on spelangy batches: a config_registry module for torchtitan 0.3.
"""torchtitan builds the data loader from this config (`spelangy.adapters.torchtitan`),
keeps its state per data-parallel rank in its checkpoints and resumes it exactly on the
same dp degree:

    spelangy prepare mini data/mini            # or any corpus a spelangy recipe wrote
    SPELANGY_DATA=data/mini torchrun --nproc_per_node 2 -m torchtitan.train \\
        --module examples.torchtitan_config --config spelangy_llama3_debugmodel

torchtitan 0.3's trainer runs on GPUs only (it picks CUDA whatever the machine has).
"""
import os

from torchtitan.models.llama3.config_registry import llama3_debugmodel

from spelangy.adapters.torchtitan import use_spelangy


def spelangy_llama3_debugmodel():
    config = use_spelangy(llama3_debugmodel(), os.environ.get("SPELANGY_DATA", "data/mini"),
                          num_workers=2)
    config.training.seq_len = 2048
    return config
