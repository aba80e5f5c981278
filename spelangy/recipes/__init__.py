"""Recipes in the Lhotse style: `prepare_X` functions that build a corpus directory.

Every recipe writes `cuts.jsonl.gz` (cuts with turns, word alignments and `speech_tokens`),
`spm.model`, `text.jsonl`, and, when it trains one, `speech_tokenizer.npz`; finished parts
are kept on a rerun. Names load on first use so that the CLI starts fast.
"""

from spelangy._lazy import lazy_exports

_PUBLIC = {
    "prepare_mini": "spelangy.recipes.mini",
    "prepare_web": "spelangy.recipes.web",
    "prepare_synthetic": "spelangy.recipes.synthetic",
    "prepare_lhotse_corpus": "spelangy.recipes.corpora",
    "finish_corpus": "spelangy.recipes.output",
    "train_spm": "spelangy.recipes.spm",
    "FestivalTTS": "spelangy.recipes.festival",
    "FestivalSpeaker": "spelangy.recipes.festival",
    "EspeakTTS": "spelangy.recipes.espeak",
    "TTSBackend": "spelangy.recipes.tts",
    "energy_segments": "spelangy.recipes.segments",
}

__all__ = sorted(_PUBLIC)

__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)
