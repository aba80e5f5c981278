# `spelangy index`: cut manifests or text files -> a prepared corpus, through the one reader.
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Optional, Sequence

from ..errors import BadInputError, SpelangyError
from ..loading import ON_BAD_INPUT, SkipReport
from .format import tokenizer_fingerprint
from .writer import PreparedWriter

log = logging.getLogger("spelangy")


def input_kind(path: str) -> str:
    """`speech` for cut manifests and Shar directories, `text` for text files: told by the
    name (`.json`/`.yaml` lists are cut manifests, `.txt` is text) or by the first line
    of a JSONL file (a Lhotse cut has a "type")."""
    import orjson

    from ..reading.files import is_list_manifest, iter_lines

    if Path(path).is_dir() or is_list_manifest(path):
        return "speech"
    if not path.endswith((".jsonl", ".jsonl.gz")):
        return "text"
    lines = iter_lines(path, "index")
    for _, line in lines:
        lines.close()
        try:
            first = orjson.loads(line)
        except orjson.JSONDecodeError:
            return "text"  # its own reader reports the line
        return "speech" if isinstance(first, dict) and "type" in first else "text"
    return "text"


def build_index(inputs: Sequence, output_dir, text_tokenizer, *,
                speech_vocab_size: Optional[int] = None, on_bad_input: str = "raise",
                progress: bool = True) -> dict:
    """Reads `inputs` (cut manifests and Shar directories, or text files; one kind) with
    spelangy's readers and writes the prepared corpus to `output_dir`. Returns its meta.

    `speech_vocab_size` is the codebook size when the cuts do not carry
    `custom["speech_vocab_size"]`. Bad documents raise (`on_bad_input="raise"`) or are
    skipped, counted and recorded in the corpus (`"skip"`).
    """
    from tqdm import tqdm

    from ..sources import SpeechTextSource, TextSource

    if on_bad_input not in ON_BAD_INPUT:
        raise SpelangyError(f"on_bad_input must be one of {ON_BAD_INPUT}, got {on_bad_input!r}")
    paths = [os.fspath(p) for p in inputs]
    if not paths:
        raise SpelangyError("spelangy index: no input given")
    kinds = {p: input_kind(p) for p in paths}
    if len(set(kinds.values())) > 1:
        raise SpelangyError("spelangy index: a prepared corpus holds one kind of document; "
                            f"these inputs mix cuts and text: {kinds}; index each kind into "
                            f"its own directory")
    kind = kinds[paths[0]]
    if kind == "speech":
        source = SpeechTextSource("index", paths[0] if len(paths) == 1 else paths)
        size = source.speech_vocab_size() or speech_vocab_size
        if size is None:
            raise SpelangyError("spelangy index: the cuts carry no custom['speech_vocab_size']; "
                                "give --speech-vocab-size")
    else:
        source, size = TextSource("index", paths), None
    writer = PreparedWriter(output_dir, kind)
    skips = SkipReport()
    frame_shifts = set()
    items = tqdm(source.iter_raw(), desc="index", unit="doc", disable=not progress)
    try:
        for index, raw in items:
            try:
                doc = source.to_document(index, raw, text_tokenizer)
            except BadInputError as error:
                if on_bad_input == "raise":
                    raise
                skips.add(source.name, error)
                continue
            if kind == "speech":
                writer.add(doc)
                frame_shifts.add(doc.frame_shift)
            else:  # an id made from the source's name is stored without it
                suffix = source.id_suffix(index)
                writer.add(doc, suffix if doc.doc_id == f"{source.name}:{suffix}" else None)
    except BaseException:
        writer.abort()
        raise
    return writer.close({
        "tokenizer": {"sha256": tokenizer_fingerprint(text_tokenizer),
                      "vocab_size": int(text_tokenizer.vocab_size),
                      "model": Path(text_tokenizer.path).name},
        "speech_vocab_size": None if size is None else int(size),
        "frame_shifts": sorted(frame_shifts),
        "inputs": paths,
        "skipped": {"count": skips.total, "examples": skips.examples},
    })
