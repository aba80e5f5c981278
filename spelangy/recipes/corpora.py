# Corpora that Lhotse's own recipes prepare from a local path (LibriSpeech, AMI, ...), given speech tokens.
from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

from ..errors import SpelangyError
from .output import finish_corpus

log = logging.getLogger(__name__)


def prepare_lhotse_corpus(corpus_dir, output_dir, *, corpus: str = "librispeech",
                          recipe_options: Optional[dict] = None, num_codes: int = 256,
                          spm_vocab_size: int = 1000, seed: int = 0, tokenizer=None,
                          shar: bool = False, progress: bool = True) -> Path:
    """Run `lhotse.recipes.prepare_<corpus>(corpus_dir, **recipe_options)` on a corpus that
    is already on disk (nothing is downloaded), make one cut per recording from its
    recordings and supervisions (all parts together), and write the spelangy outputs:
    speech tokens (with `tokenizer`, or a codebook trained on the corpus), text and spm.

    Lhotse's recipes give the transcripts as the corpus has them (LibriSpeech: upper case,
    no punctuation) and usually no word alignment; spelangy then keeps such turns whole in
    fine chunking.
    """
    from lhotse import CutSet, RecordingSet, SupervisionSet
    import lhotse.recipes

    recipe = getattr(lhotse.recipes, f"prepare_{corpus}", None)
    if recipe is None:
        raise SpelangyError(f"corpus: Lhotse has no recipe prepare_{corpus}")
    corpus_dir, output_dir = Path(corpus_dir), Path(output_dir)
    if not corpus_dir.is_dir():
        raise SpelangyError(f"corpus: {corpus_dir} is not a directory")
    output_dir.mkdir(parents=True, exist_ok=True)
    cuts_path = output_dir / "cuts.jsonl.gz"
    if cuts_path.exists():
        cuts = list(CutSet.from_file(cuts_path))
    else:
        manifests = recipe(corpus_dir, **(recipe_options or {}))
        # Most recipes return {part: {"recordings": ..., "supervisions": ...}}; some return
        # the inner dict directly.
        parts = [manifests] if "recordings" in manifests else [manifests[k] for k in sorted(manifests)]
        cuts, untranscribed = [], 0
        for part in parts:
            recordings, supervisions = part.get("recordings"), part.get("supervisions")
            if not isinstance(recordings, RecordingSet) or not isinstance(supervisions, SupervisionSet):
                raise SpelangyError(f"corpus: prepare_{corpus} gave no recordings and supervisions")
            for c in CutSet.from_manifests(recordings=recordings, supervisions=supervisions):
                if c.supervisions and all(s.text and s.text.strip() for s in c.supervisions):
                    c.id = c.recording_id  # one document per recording: keep its name
                    cuts.append(c)
                else:
                    untranscribed += 1
        if untranscribed:
            log.warning("corpus: left out %d recordings without a transcript", untranscribed)
        if not cuts:
            raise SpelangyError(f"corpus: prepare_{corpus} found no transcribed audio in {corpus_dir}")
    texts = [" ".join(s.text for s in c.supervisions) for c in cuts]
    return finish_corpus(output_dir, cuts, texts, num_codes=num_codes, spm_vocab_size=spm_vocab_size,
                         seed=seed, shar=shar, tokenizer=tokenizer, progress=progress)
