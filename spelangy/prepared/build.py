# `spelangy index`: cut manifests or text files -> a prepared corpus, through the one reader.
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Sequence, Tuple

from ..errors import BadInputError, SpelangyError
from ..loading import ON_BAD_INPUT, SkipReport
from .format import tokenizer_fingerprint
from .writer import PreparedWriter, join_parts


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


def _source(paths, speech_vocab_size):
    """The source over all `paths` (one kind), its kind, and the codebook size for speech."""
    from ..sources import SpeechTextSource, TextSource

    kinds = {p: input_kind(p) for p in paths}
    if len(set(kinds.values())) > 1:
        raise SpelangyError("spelangy index: a prepared corpus holds one kind of document; "
                            f"these inputs mix cuts and text: {kinds}; index each kind into "
                            f"its own directory")
    if kinds[paths[0]] == "text":
        return TextSource("index", paths), "text", None
    source = SpeechTextSource("index", paths[0] if len(paths) == 1 else paths)
    size = source.speech_vocab_size() or speech_vocab_size
    if size is None:
        raise SpelangyError("spelangy index: the cuts carry no custom['speech_vocab_size']; "
                            "give --speech-vocab-size")
    return source, "speech", int(size)


def part_files(num_files: int, part: int, num_parts: int) -> range:
    """The input files of part `part` of `num_parts`: a contiguous block, so that the parts
    one after the other are the inputs in order."""
    return range(num_files * part // num_parts, num_files * (part + 1) // num_parts)


def build_index(inputs: Sequence, output_dir, text_tokenizer, *,
                speech_vocab_size: Optional[int] = None, on_bad_input: str = "raise",
                part: Tuple[int, int] = (0, 1), num_jobs: int = 1,
                progress: bool = True) -> dict:
    """Reads `inputs` (cut manifests and Shar directories, or text files; one kind) with
    spelangy's readers and writes the prepared corpus to `output_dir`. Returns its meta.

    `speech_vocab_size` is the codebook size when the cuts do not carry
    `custom["speech_vocab_size"]`. Bad documents raise (`on_bad_input="raise"`) or are
    skipped, counted and recorded in the corpus (`"skip"`). `part=(k, n)` indexes only the
    k-th of n blocks of input files (a corpus of its own; `join_index` joins the parts);
    `num_jobs` builds the blocks in that many local processes and joins them. The bytes
    are the same whatever the parts and jobs.
    """
    if on_bad_input not in ON_BAD_INPUT:
        raise SpelangyError(f"on_bad_input must be one of {ON_BAD_INPUT}, got {on_bad_input!r}")
    paths = [os.fspath(p) for p in inputs]
    if not paths:
        raise SpelangyError("spelangy index: no input given")
    k, n = part
    if not 0 <= k < n:
        raise SpelangyError(f"spelangy index: part {k}/{n} does not exist (0 <= K < N)")
    if num_jobs > 1 and n == 1:
        return _build_in_jobs(paths, output_dir, text_tokenizer, speech_vocab_size,
                              on_bad_input, num_jobs, progress)
    source, kind, size = _source(paths, speech_vocab_size)
    files = part_files(len(paths), k, n)
    meta = _write(source, kind, files, output_dir, text_tokenizer, on_bad_input, progress)
    return _finish(meta, output_dir, text_tokenizer, size, paths, None if n == 1 else [k, n])


def _write(source, kind: str, files: range, output_dir, text_tokenizer, on_bad_input: str,
           progress: bool) -> dict:
    """Writes the documents of `files`; returns what goes into meta.json besides the
    shared settings."""
    from tqdm import tqdm

    writer = PreparedWriter(output_dir, kind)
    skips = SkipReport()
    frame_shifts = set()
    items = tqdm(source.iter_raw(list(files)), desc="index", unit="doc", disable=not progress)
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
    return {"writer": writer, "frame_shifts": frame_shifts,
            "skipped": {"count": skips.total, "examples": skips.examples}}


def _shared(text_tokenizer, size, paths) -> dict:
    return {"tokenizer": {"sha256": tokenizer_fingerprint(text_tokenizer),
                          "vocab_size": int(text_tokenizer.vocab_size),
                          "model": Path(text_tokenizer.path).name},
            "speech_vocab_size": size, "inputs": paths}


def _finish(written: dict, output_dir, text_tokenizer, size, paths, part) -> dict:
    meta = {**_shared(text_tokenizer, size, paths),
            "frame_shifts": sorted(written["frame_shifts"]), "skipped": written["skipped"]}
    if part is not None:
        meta["part"] = part
    return written["writer"].close(meta)


def join_index(part_dirs: Sequence, output_dir) -> dict:
    """Joins the parts of one build (`build_index(..., part=(k, n))` for k = 0..n-1, given
    in that order) into `output_dir`: the corpus one build of all inputs gives."""
    from .corpus import PreparedCorpus

    parts = [PreparedCorpus(d) for d in part_dirs]
    metas = [p.meta for p in parts]
    if [m.get("part") for m in metas] != [[k, len(metas)] for k in range(len(metas))]:
        raise SpelangyError(f"spelangy index --join: the parts must be 0/N ... N-1/N of one "
                            f"build, in order; got {[m.get('part') for m in metas]}")
    for key in ("kind", "tokenizer", "speech_vocab_size", "inputs"):
        if any(m.get(key) != metas[0].get(key) for m in metas):
            raise SpelangyError(f"spelangy index --join: the parts differ in {key!r}: they are "
                                f"not parts of one build")
    shared = {key: metas[0][key] for key in ("tokenizer", "speech_vocab_size", "inputs")}
    examples = [e for m in metas for e in m["skipped"]["examples"]][:20]
    shared.update(frame_shifts=sorted({f for m in metas for f in m["frame_shifts"]}),
                  skipped={"count": sum(m["skipped"]["count"] for m in metas),
                           "examples": examples})
    return join_parts(part_dirs, output_dir, shared)


def _build_part(args) -> str:
    paths, part_dir, model, speech_vocab_size, on_bad_input, part = args
    from ..text_tokenizer import TextTokenizer

    build_index(paths, part_dir, TextTokenizer(model), speech_vocab_size=speech_vocab_size,
                on_bad_input=on_bad_input, part=part, progress=False)
    return part_dir


def _build_in_jobs(paths, output_dir, text_tokenizer, speech_vocab_size, on_bad_input,
                   num_jobs: int, progress: bool) -> dict:
    """Parts built by `num_jobs` local processes under `output_dir`/.parts, then joined."""
    import shutil
    from concurrent.futures import ProcessPoolExecutor

    from tqdm import tqdm

    work = Path(os.fspath(output_dir)) / ".parts"
    work.mkdir(parents=True, exist_ok=True)
    jobs = [(paths, str(work / str(k)), text_tokenizer.path, speech_vocab_size, on_bad_input,
             (k, num_jobs)) for k in range(num_jobs)]
    with ProcessPoolExecutor(num_jobs) as pool:
        done = list(tqdm(pool.map(_build_part, jobs), total=num_jobs, desc="index parts",
                         unit="part", disable=not progress))
    meta = join_index(done, output_dir)
    shutil.rmtree(work)
    return meta
