"""Speech tokenizers: the `SpeechTokenizer` interface and the built-in fbank k-means one.

Names load on first use so that importing the package stays cheap.
"""

from spelangy._lazy import lazy_exports

_PUBLIC = {
    "SpeechTokenizer": "spelangy.speech_tokenizer.base",
    "load_speech_tokenizer": "spelangy.speech_tokenizer.base",
    "FbankKMeansTokenizer": "spelangy.speech_tokenizer.fbank_kmeans",
    "train_speech_tokenizer": "spelangy.speech_tokenizer.fbank_kmeans",
    "attach_speech_tokens": "spelangy.speech_tokenizer.tokens",
    "encode_cut": "spelangy.speech_tokenizer.tokens",
}

__all__ = sorted(_PUBLIC)

__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)
