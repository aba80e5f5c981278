# Text for the recipes: sentence splitting, and readable text found on the machine or given by the user.
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, List, NamedTuple, Optional, Sequence

from ..errors import SpelangyError

# Standard-library modules whose docstrings are prose about well-known topics; read at run
# time from the local Python, so no third-party text is stored in the repository.
_STDLIB_MODULES = (
    "argparse", "asyncio", "bisect", "calendar", "collections", "configparser", "contextlib",
    "copy", "csv", "dataclasses", "datetime", "decimal", "difflib", "doctest", "email",
    "enum", "fractions", "functools", "gzip", "hashlib", "heapq", "hmac", "http.client",
    "inspect", "io", "itertools", "json", "logging", "mailbox", "operator", "os", "pathlib",
    "pickle", "pprint", "random", "re", "secrets", "shutil", "socket", "sqlite3",
    "statistics", "string", "struct", "subprocess", "tarfile", "tempfile", "textwrap",
    "threading", "typing", "unittest", "urllib.request", "uuid", "weakref", "zipfile",
)
_LICENSE_DIR = Path("/usr/share/common-licenses")

# A sentence ends at . ! ? or … (optionally followed by closing quotes or brackets) before
# whitespace and an upper-case letter, a digit or an opening quote.
_SENTENCE_END = re.compile(r"(?<=[.!?\u2026])([\"')\]\u201d\u2019]*)\s+(?=[\"'(\[\u201c\u2018]?[A-Z0-9])")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "Mr.", "Mrs.", "Dr.", "St.", "No.", "cf.")
# What a TTS voice reads without spelling symbols out.
_SPEAKABLE = re.compile(r"^[A-Za-z0-9 ,.;:!?'\"()\-]+$")


class TextDocument(NamedTuple):
    """A source of prose: a name (module, file) and its sentences in reading order."""

    name: str
    sentences: List[str]


def normalize_space(text: str) -> str:
    return " ".join(text.split())


def split_sentences(text: str) -> List[str]:
    """Split prose into sentences; the sentence keeps its final punctuation."""
    text = normalize_space(text)
    if not text:
        return []
    pieces, begin = [], 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end(1)
        candidate = text[begin:end]
        if candidate.endswith(_ABBREVIATIONS):
            continue  # "e.g. Foo" does not end a sentence
        pieces.append(candidate.strip())
        begin = match.end()
    pieces.append(text[begin:].strip())
    return [p for p in pieces if p]


def is_speakable(sentence: str, min_words: int = 4, max_words: int = 30) -> bool:
    """Whether a TTS voice reads the sentence as words: plain characters, mostly real words."""
    if not _SPEAKABLE.match(sentence) or sentence[-1] not in ".!?":
        return False
    words = sentence.split()
    if not min_words <= len(words) <= max_words:
        return False
    bare = [w.strip(",.;:!?'\"()-") for w in words]
    alphabetic = sum(1 for w in bare if w.isalpha())
    # Voices spell out all-capital words letter by letter.
    shouting = sum(1 for w in bare if len(w) > 1 and w.isupper())
    # Docstrings mention identifiers and code; sentences with many of them read badly.
    return (alphabetic >= 0.85 * len(words) and shouting <= 0.2 * len(words)
            and "()" not in sentence and "--" not in sentence)


def paragraphs(text: str) -> List[str]:
    """Blank-line separated paragraphs, whitespace collapsed; code-like lines dropped."""
    out = []
    for block in re.split(r"\n\s*\n", text):
        lines = [ln for ln in block.splitlines() if not ln.lstrip().startswith((">>>", "..."))]
        joined = normalize_space(" ".join(lines))
        if joined:
            out.append(joined)
    return out


def speakable_sentences(text: str) -> List[str]:
    return [s for p in paragraphs(text) for s in split_sentences(p) if is_speakable(s)]


def _module_text(module_name: str) -> str:
    import importlib
    import inspect
    import warnings

    # Touching deprecated members (typing.io, ...) warns; only their docstrings are read.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            return ""
        docs = [inspect.getdoc(module) or ""]
        for name, member in sorted(vars(module).items()):
            if name.startswith("_") or getattr(member, "__module__", None) != module.__name__:
                continue
            if inspect.isclass(member) or inspect.isfunction(member):
                docs.append(inspect.getdoc(member) or "")
    return "\n\n".join(docs)


def machine_documents(min_sentences: int = 3) -> List[TextDocument]:
    """Readable prose found on this machine: Python standard-library docstrings and the
    license texts under /usr/share/common-licenses, in a fixed order."""
    texts = [(f"py-{m}", _module_text(m)) for m in _STDLIB_MODULES]
    if _LICENSE_DIR.is_dir():
        texts += [(f"license-{p.name}", p.read_text(errors="replace"))
                  for p in sorted(_LICENSE_DIR.iterdir()) if p.is_file() and not p.is_symlink()]
    docs, seen = [], set()
    for name, text in texts:
        # Docstrings and license versions repeat sentences; each is kept once.
        sentences = [s for s in speakable_sentences(text) if not (s in seen or seen.add(s))]
        if len(sentences) >= min_sentences:
            docs.append(TextDocument(name, sentences))
    return docs


def file_documents(paths: Sequence[Path]) -> List[TextDocument]:
    """Prose from the user's text files; each file is one source document."""
    docs = []
    for path in paths:
        path = Path(path)
        try:
            text = path.read_text(errors="replace")
        except OSError as e:
            raise SpelangyError(f"--text: cannot read {path}: {e}") from e
        sentences = speakable_sentences(text)
        if not sentences:
            raise SpelangyError(
                f"--text: {path} has no sentence that a voice can read (plain words ending in "
                ". ! or ?, 4 to 30 words)"
            )
        docs.append(TextDocument(path.stem, sentences))
    return docs


def load_documents(text_files: Optional[Iterable[Path]] = None) -> List[TextDocument]:
    files = list(text_files or [])
    docs = file_documents(files) if files else machine_documents()
    if not docs:
        raise SpelangyError(
            "no readable text found on this machine; pass text files with --text"
        )
    return docs
