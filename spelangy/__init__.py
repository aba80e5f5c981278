"""spelangy: a streaming, on-the-fly data loader for speech-language pretraining.

Lhotse cut manifests in, packed interleaved speech-text rows out. Public names are loaded
on first use so that `import spelangy` (and the CLI) stays fast.
"""

from importlib import import_module

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


def __getattr__(name):
    if name in _PUBLIC:
        value = getattr(import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'spelangy' has no attribute {name!r}")


def __dir__():
    return __all__
