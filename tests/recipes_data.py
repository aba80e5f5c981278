# A tiny mini corpus built once per test process and shared by the recipe, tokenizer and stats tests.
from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path


@functools.lru_cache(maxsize=None)
def mini_corpus() -> Path:
    """Two festival-read documents with speech tokens (16 codes) and a SentencePiece model.

    Built once per pytest process (about 10 s on 2 cores); callers must not modify it.
    """
    from spelangy.recipes import prepare_mini

    root = Path(tempfile.mkdtemp(prefix="spelangy-mini-"))
    atexit.register(shutil.rmtree, root, True)
    prepare_mini(root, num_documents=2, num_codes=16, spm_vocab_size=300, progress=False)
    return root
