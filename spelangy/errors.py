# The project's error type: user errors name the setting, the file or the cut.


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
