"""spelangy's reference trainer: a decoder-only LM over the interleaved vocabulary, sharded
with FSDP2, fed by `InterleavedDataset`, checkpointed with exact loader resume.

`spelangy train --config tiny --steps 300 --output-dir runs/tiny --nproc 2` runs it; the
pieces are importable on their own (`Trainer`, `SpeechTextLM`, `lm_loss`, the configs).
"""
