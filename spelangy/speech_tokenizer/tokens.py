# Speech tokens on cuts: encode each cut's audio and store the codes as a Lhotse TemporalArray.
from __future__ import annotations

from pathlib import Path
from typing import Iterable, List, Union

import numpy as np

from ..errors import BadInputError
from .base import SpeechTokenizer


def _audio_path(cut) -> str:
    sources = getattr(getattr(cut, "recording", None), "sources", None) or []
    return str(sources[0].source) if sources else ""


def short_reason(error: Exception) -> str:
    """The first lines of an audio loading error: Lhotse appends the whole cut to it."""
    lines = [ln.strip() for ln in str(error).splitlines() if ln.strip()][:2]
    return " ".join(lines)[:400]


def load_cut_audio(cut) -> np.ndarray:
    """The cut's audio as mono float32, or an error naming the cut and its file."""
    from .audio import mono

    try:
        return mono(cut.load_audio())
    except Exception as e:  # Lhotse raises many types for bad files; all mean the same here
        raise BadInputError(f"cannot read audio: {short_reason(e)}", path=_audio_path(cut), cut_id=cut.id) from e


def encode_cut(cut, tokenizer: SpeechTokenizer) -> np.ndarray:
    """int32 speech codes [F] of a cut's audio, frame 0 at the cut start."""
    return np.asarray(tokenizer.encode(load_cut_audio(cut), cut.sampling_rate), dtype=np.int32)


def attach_speech_tokens(cuts: Iterable, tokenizer: SpeechTokenizer,
                         storage_dir: Union[str, Path], progress: bool = True) -> List:
    """Encode every cut and attach `speech_tokens` (a TemporalArray stored as .npy files
    under `storage_dir`) and `custom["speech_vocab_size"]`. Returns the cuts."""
    from lhotse import NumpyFilesWriter
    from tqdm import tqdm

    storage_dir = Path(storage_dir).resolve()
    out = []
    with NumpyFilesWriter(storage_dir) as writer:
        for cut in tqdm(cuts, desc="speech tokens", unit="cut", disable=not progress):
            codes = encode_cut(cut, tokenizer)
            cut.speech_tokens = writer.store_array(
                cut.id, codes, frame_shift=tokenizer.frame_shift, temporal_dim=0)
            cut.custom["speech_vocab_size"] = int(tokenizer.vocab_size)
            out.append(cut)
    return out


def tokenize_manifest(cuts_path: Union[str, Path], output: Union[str, Path], *, num_codes: int = 256,
                      tokenizer_path: Union[str, Path, None] = None, seed: int = 0,
                      progress: bool = True) -> Path:
    """Write `output` (a cuts manifest) with speech tokens for every cut of `cuts_path`.

    The tokenizer at `tokenizer_path` (default: `speech_tokenizer.npz` beside `output`) is
    used if it exists, else trained on the cuts and saved there. Codes go to
    `speech_tokens/` beside `output`.
    """
    from lhotse import CutSet

    from .base import load_speech_tokenizer
    from .fbank_kmeans import train_speech_tokenizer

    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tokenizer_path = Path(tokenizer_path) if tokenizer_path else output.parent / "speech_tokenizer.npz"
    cuts = CutSet.from_file(cuts_path)
    if tokenizer_path.exists():
        tokenizer = load_speech_tokenizer(tokenizer_path)
    else:
        tokenizer = train_speech_tokenizer(cuts, num_codes, seed=seed, progress=progress)
        tokenizer.save(tokenizer_path)
    tokenized = attach_speech_tokens(cuts, tokenizer, output.parent / "speech_tokens", progress)
    CutSet.from_cuts(tokenized).to_file(output)
    return output
