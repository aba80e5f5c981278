# Speech tokens on cuts: encode each cut's audio and store the codes as a Lhotse TemporalArray.
from __future__ import annotations

from pathlib import Path
from typing import Iterable, List, Union

import numpy as np

from ..errors import SpelangyError
from ..reading.audio import load_mono
from .base import SpeechTokenizer


def encode_cut(cut, tokenizer: SpeechTokenizer) -> np.ndarray:
    """int32 speech codes [F] of a cut's audio, frame 0 at the cut start."""
    return np.asarray(tokenizer.encode(load_mono(cut), cut.sampling_rate), dtype=np.int32)


def attach_speech_tokens(cuts: Iterable, tokenizer: SpeechTokenizer,
                         storage_dir: Union[str, Path], progress: bool = True) -> List:
    """Encode every cut and attach `speech_tokens` (a TemporalArray stored as .npy files
    under `storage_dir`) and `custom["speech_vocab_size"]`. Returns the cuts.

    The array starts where the cut starts in its recording (`cut.start`), which is where
    Lhotse's `load_custom` begins its slice: a cut made by `truncate` gets its own codes.
    """
    from lhotse import NumpyFilesWriter
    from lhotse.cut.data import DataCut
    from tqdm import tqdm

    storage_dir = Path(storage_dir).resolve()
    out = []
    with NumpyFilesWriter(storage_dir) as writer:
        for cut in tqdm(cuts, desc="speech tokens", unit="cut", disable=not progress):
            if not isinstance(cut, DataCut):  # MixedCut, PaddingCut: no audio of their own
                raise SpelangyError(
                    f"attach_speech_tokens: cut {cut.id!r} is a {type(cut).__name__}, which "
                    f"cannot hold speech_tokens; attach them to its tracks before mixing, or "
                    f"give the loader a speech_tokenizer to make them on the fly")
            codes = encode_cut(cut, tokenizer)
            cut.speech_tokens = writer.store_array(
                cut.id, codes, frame_shift=tokenizer.frame_shift, temporal_dim=0,
                start=cut.start)
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
