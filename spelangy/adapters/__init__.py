# Adapters for the trainers users already run: torchtitan (`spelangy.adapters.torchtitan`,
# the `torchtitan` extra) and Hugging Face (`spelangy.adapters.hf`, the `hf` extra). Each is
# imported on its own, so that spelangy needs neither.
