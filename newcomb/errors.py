"""The project's error types.

Every mistake in a scenario (a file or objects built in Python) raises :class:`ScenarioError`,
which names where the mistake is (file, line and column when known, and the key path) and what
was expected. The CLI turns it into one line on stderr and exit code 2.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["LimitError", "NewcombError", "ScenarioError", "UsageError", "format_path"]


def format_path(path: Sequence[str | int]) -> str:
    """Render a key path such as ``("variables", "box", "value")`` as ``variables.box.value``."""
    out = ""
    for part in path:
        text = str(part)
        if isinstance(part, int):
            out += f"[{part}]"
        elif not text or not text.isprintable() or any(c in text for c in ".[] "):
            out += f"[{text!r}]"  # a key that cannot be written plainly (newlines, dots...)
        else:
            out += ("." if out else "") + text
    return out


class NewcombError(Exception):
    """Base class of every error this package raises on purpose."""


class ScenarioError(NewcombError):
    """A scenario is malformed or its numbers are impossible.

    Parameters
    ----------
    message:
        What was wrong and what was expected.
    path:
        Key path inside the scenario, e.g. ``("variables", "omicron", "chance")``.
    file:
        The file the scenario came from, if any.
    line, column:
        1-based position in the file, when the YAML loader knows it.
    """

    def __init__(
        self,
        message: str,
        path: Sequence[str | int] = (),
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path: tuple[str | int, ...] = tuple(path)
        self.file = file
        self.line = line
        self.column = column

    def located(
        self, *, file: str | None = None, line: int | None = None, column: int | None = None
    ) -> ScenarioError:
        """Return a copy with the file (and position, if not already known) filled in."""
        return ScenarioError(
            self.message,
            self.path,
            file=self.file or file,
            line=self.line if self.line is not None else line,
            column=self.column if self.column is not None else column,
        )

    def prefixed(self, *prefix: str | int) -> ScenarioError:
        """Return a copy whose key path starts with ``prefix``."""
        return ScenarioError(
            self.message,
            (*prefix, *self.path),
            file=self.file,
            line=self.line,
            column=self.column,
        )

    def __str__(self) -> str:
        where = self.file or "<scenario>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        key = format_path(self.path)
        return f"{where}: {key}: {self.message}" if key else f"{where}: {self.message}"


class UsageError(NewcombError):
    """A command-line option or API argument is wrong (not the scenario itself)."""


class LimitError(NewcombError):
    """The problem is larger than the configured bound; the message says how to raise it."""
