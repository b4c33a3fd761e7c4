"""The one error every file reader raises: which file, which field (JSON path / line), what is wrong."""
from __future__ import annotations


class FileFormatError(ValueError):
    """A malformed input file; `field` is a JSON path like `mission.items[3].params` or `line 4`."""

    def __init__(self, field: str, message: str, file: str | None = None) -> None:
        self.field = field
        self.reason = message
        self.file = file
        super().__init__(f"{file + ': ' if file else ''}{field}: {message}")

    def in_file(self, file: str) -> "FileFormatError":
        """The same error tagged with the file name."""
        return FileFormatError(self.field, self.reason, file)
