"""Speech tokenizers: the `SpeechTokenizer` interface and the built-in fbank k-means one.

Names load on first use so that importing the package stays cheap.
"""

from importlib import import_module

_PUBLIC = {
    "SpeechTokenizer": "spelangy.speech_tokenizer.base",
    "load_speech_tokenizer": "spelangy.speech_tokenizer.base",
    "FbankKMeansTokenizer": "spelangy.speech_tokenizer.fbank_kmeans",
    "train_speech_tokenizer": "spelangy.speech_tokenizer.fbank_kmeans",
    "attach_speech_tokens": "spelangy.speech_tokenizer.tokens",
    "encode_cut": "spelangy.speech_tokenizer.tokens",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name):
    if name in _PUBLIC:
        value = getattr(import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'spelangy.speech_tokenizer' has no attribute {name!r}")


def __dir__():
    return __all__
