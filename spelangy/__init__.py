"""spelangy: a streaming, on-the-fly data loader for speech-language pretraining.

Lhotse cut manifests in, packed interleaved speech-text rows out. Public names are loaded
on first use so that `import spelangy` (and the CLI) stays fast.
"""

from ._lazy import lazy_exports

_PUBLIC = {
    "InterleavedDataset": "spelangy.dataset",
    "SpeechTextSource": "spelangy.sources",
    "TextSource": "spelangy.sources",
    "ChunkingConfig": "spelangy.config",
    "SamplingConfig": "spelangy.config",
    "PackingConfig": "spelangy.config",
    "PackedBatch": "spelangy.batch",
    "RaggedBatch": "spelangy.batch",
    "Receipt": "spelangy.batch",
    "VocabLayout": "spelangy.vocab",
    "Modality": "spelangy.vocab",
    "IGNORE_INDEX": "spelangy.vocab",
    "LoaderStateTracker": "spelangy.state",
    "SpelangyError": "spelangy.errors",
    "BadInputError": "spelangy.errors",
    "TextTokenizer": "spelangy.text_tokenizer",
    "build_batch": "spelangy.build",
    "DevicePacker": "spelangy.device",
}

__all__ = sorted(_PUBLIC)
__version__ = "0.1.0"

__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)
