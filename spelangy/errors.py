# The project's error type: user errors name the setting, the file or the cut.
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


class SpelangyError(ValueError):
    """A user error: bad settings or bad input. The message names what is wrong and where."""


class BadInputError(SpelangyError):
    """A document that cannot be used: names the source, the file and the cut."""

    def __init__(self, message: str, *, source: str = "", path: str = "", cut_id: str = ""):
        where = ", ".join(
            part for part in (f"source {source!r}" if source else "",
                              f"file {path}" if path else "",
                              f"cut {cut_id!r}" if cut_id else "") if part
        )
        super().__init__(f"{message} ({where})" if where else message)
        self.source = source
        self.path = path
        self.cut_id = cut_id
        self.reason = message


@dataclass(frozen=True)
class Where:
    """Where a document came from: every bad-input error names it.

    `line` is the 1-based line of a JSONL manifest, or with `unit="item"` the 1-based
    position in a manifest stored as one JSON or YAML list.
    """

    source: str
    path: str
    line: Optional[int] = None
    unit: str = "line"

    def error(self, reason: str, cut_id: str = "") -> BadInputError:
        if self.line is not None:
            reason = f"{reason}, {self.unit} {self.line}"
        return BadInputError(reason, source=self.source, path=self.path, cut_id=cut_id)
