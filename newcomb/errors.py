"""The project's error types.

Every mistake in a scenario (a file or objects built in Python) raises :class:`ScenarioError`,
which names where the mistake is (file, line and column when known, and the key path) and what
was expected. The CLI turns it into one line on stderr and exit code 2.

Messages echo what the user wrote through :func:`clip` (at most :data:`CLIP` characters, on one
line) and :func:`shown`, so a 10 MB string or a number of thousands of digits never becomes a
10 MB error line. ``str()`` of every error is one line (line breaks folded into spaces) of at
most :data:`MAX_MESSAGE` characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

__all__ = [
    "CLIP",
    "MAX_MESSAGE",
    "LimitError",
    "NewcombError",
    "ScenarioError",
    "UsageError",
    "clip",
    "format_path",
    "key_text",
    "one_line",
    "shown",
]

CLIP = 80  # characters of user text an error message echoes
MAX_MESSAGE = 2000  # characters of a whole message: a backstop should some echo escape clip()


def one_line(text: str) -> str:
    """``text`` with every run of whitespace that holds a line break folded into one space:
    the CLI prints an error as exactly one line."""
    lines = text.splitlines()
    if len(lines) <= 1 and text == "".join(lines):
        return text
    return " ".join(part.strip() for part in lines if part.strip())


def clip(text: str, width: int = CLIP) -> str:
    """``text`` on one line and at most ``width`` characters (the end replaced by "…"), for
    echoing user text in an error message. Only the start of ``text`` is read, so clipping a
    10 MB string costs no more than clipping a short one."""
    head = text[: 4 * width]
    out = one_line(head)
    if len(out) <= width and len(head) == len(text):
        return out
    return out[: width - 1] + "…"


def shown(value: object, width: int = CLIP) -> str:
    """A value the user wrote, as an error message echoes it: strings quoted (``'abc'``),
    numbers plainly (``100``, ``1/2``, never ``Fraction(100, 1)``), booleans as ``true``/
    ``false``, all clipped to ``width``. A number too long to print in decimal (Python refuses
    ints of more than 4300 digits) is described by its size instead."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return _shown_int(value, width)
    if isinstance(value, Fraction):
        num, den = value.numerator, value.denominator
        if den == 1:
            return _shown_int(num, width)
        return clip(f"{_shown_int(num, width)}/{_shown_int(den, width)}", width)
    if isinstance(value, str):
        return repr(clip(value, width))
    if value is None:
        return "null"
    return clip(repr(value), width)


def _shown_int(n: int, width: int) -> str:
    if n.bit_length() > 3 * width + 8:  # more than about `width` digits: never str() it
        return f"a number of about {int(n.bit_length() * 0.30103) + 1} digits"
    return clip(str(n), width)


def key_text(key: object) -> str:
    """A mapping key as it stands in a key path: ``true``/``false`` for booleans (as the file
    writes them), anything else as its text."""
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def format_path(path: Sequence[str | int]) -> str:
    """Render a key path such as ``("variables", "box", "value")`` as ``variables.box.value``."""
    out = ""
    for part in path:
        text = clip(str(part)) if isinstance(part, str) else str(part)
        if isinstance(part, int):
            out += f"[{part}]"
        elif not text or not text.isprintable() or any(c in text for c in ".[] "):
            out += f"[{text!r}]"  # a key that cannot be written plainly (newlines, dots...)
        else:
            out += ("." if out else "") + text
    return out


class NewcombError(Exception):
    """Base class of every error this package raises on purpose. Its text is one line."""

    def __str__(self) -> str:
        return clip(super().__str__(), MAX_MESSAGE)


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
        message = clip(self.message, MAX_MESSAGE)
        return f"{where}: {key}: {message}" if key else f"{where}: {message}"


class UsageError(NewcombError):
    """A command-line option or API argument is wrong (not the scenario itself)."""


class LimitError(NewcombError):
    """The problem is larger than the configured bound; the message says how to raise it."""
