"""Every code block in README.md and docs/ runs, and its printed output is compared literally.

One test per fenced block, with the id ``PAGE:LINE`` (the line of the opening fence), so a
failure names the block. A marker is an HTML comment on the line just before the fence:
``<!-- doctest: ... -->``, ``<!-- save-as: NAME -->`` or ``<!-- append-to: NAME -->``.
docs/index.md ("How the docs are tested") says the same for writers of pages.

Each page runs in its own scratch directory, which reads like the root of a clone (a link to
every top-level file and folder of the repository) and holds every file the page saves
(``save-as``, ``append-to``), so that commands and imports find them. A command may create new
files there (``> typo.yaml``, ``-o out.svg``); it must not write into a linked folder. By kind
of block:

```text`` / ```console`` blocks whose first line starts with ``$ ``
    Shell transcripts. Each ``$ `` command runs in the page's directory with ``COLUMNS=110``
    (or what a line ``<!-- doctest: env COLUMNS=120 -->`` anywhere in the page says),
    ``NO_COLOR=1`` and ``TERM=dumb``; the lines up to the next ``$ `` line must equal the
    command's stdout followed by its stderr (trailing spaces and blank lines ignored).
    ``$ echo $?`` prints the exit code of the command before it: that is how a page states an
    exit code. A plain ``newcomb ...`` command runs in-process (``newcomb.cli.main``); anything
    else (pipes, redirections, ``sed``) runs under ``bash -c`` with a ``newcomb`` on ``PATH``
    that runs ``python -m newcomb`` of this checkout. ``NEWCOMB_DOCS_SUBPROCESS=1`` runs every
    command that way, to check the in-process shortcut (same results; the file takes 7.5 s of
    CPU instead of 2.6 s).
```python`` blocks with ``>>>``
    Doctests, without option flags. The doctests of a page share their globals, as the
    examples of one doctest file do.
```python`` blocks without ``>>>``
    A saved block is executed as the file stands after it (a module a later block imports). A
    saved ``test_*.py`` is executed and every test it defines is called, each hypothesis test
    with 3 examples (a check that it runs, not a property run). An unsaved block is executed;
    when the next block is marked ``doctest: output``, what it prints must equal that block.
```yaml`` blocks
    A whole scenario (it has ``newcomb:``) is read with ``newcomb.io.loads``, unless it is
    saved, for a later command to read. ``doctest: excerpt of PATH``: the block's lines appear
    in the file PATH, in order (lines of the file may be left out between them).
    ``doctest: fragment``: only parsed as YAML.
```json`` blocks
    ``doctest: fragment``: only parsed as JSON.
Any block marked ``doctest: output of COMMAND``
    The block is what COMMAND prints, compared as in a transcript (JSON, a Mermaid diagram).

Not run, and reported as skipped with the reason:

- ``sh`` blocks: installation and setup commands (``pip install``, ``pytest``, benchmarks),
  which would change the environment or take minutes;
- a block marked ``doctest: skip (reason)``: synopses, diagrams, message formats, and any
  output that cannot be compared literally (timings).

Any other block (an unmarked block without a language, a ``text`` block that is not a
transcript) fails: no block is left out silently.

``NEWCOMB_UPDATE_DOCS=1 python -m pytest tests/test_docs.py`` rewrites in place the output
lines of every failing transcript, ``output`` and ``output of`` block with what the code prints
now (never a doctest, nor a command), and fails those tests once: review the diff by eye.
"""

from __future__ import annotations

import contextlib
import difflib
import doctest
import io
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import settings

# Imported once, here: a page run alone must not import a second copy from its scratch folder.
import newcomb  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
ENV = {"COLUMNS": "110", "NO_COLOR": "1", "TERM": "dumb"}
# Variables that would make rich draw for a terminal (colour, terminal width) whatever the above.
UNSET = ("FORCE_COLOR", "CLICOLOR_FORCE", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS")
UPDATE = bool(os.environ.get("NEWCOMB_UPDATE_DOCS"))
SUBPROCESS = bool(os.environ.get("NEWCOMB_DOCS_SUBPROCESS"))
SHELL_CHARS = set("|&;<>()$`*?[]{}~'\"\\")
FENCE = re.compile(r"^(`{3,})([\w-]*)\s*$")
MARKER = re.compile(r"^<!--\s*(doctest|save-as|append-to):\s*(.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced block: where it is, its language, its lines and the marker before it."""

    page: Path
    index: int  # the block's position among the page's blocks (stable under rewrites)
    line: int  # 1-based line of the opening fence
    lang: str
    body: tuple[str, ...]
    marker: tuple[str, str] | None  # ("doctest", "skip (...)"), ("save-as", "x.py"), ...

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def text(self) -> str:
        return "".join(line + "\n" for line in self.body)


def parse_blocks(page: Path) -> list[Block]:
    """The fenced blocks of a Markdown page, in order."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        fence, lang = m.group(1), m.group(2)
        end = i + 1
        while end < len(lines) and lines[end].rstrip() != fence:
            end += 1
        if end == len(lines):
            raise ValueError(f"{page}:{i + 1}: unclosed fence")
        before = MARKER.match(lines[i - 1]) if i > 0 else None
        marker = (before.group(1), before.group(2)) if before else None
        body = tuple(lines[i + 1 : end])
        blocks.append(Block(page, len(blocks), i + 1, lang, body, marker))
        i = end + 1
    return blocks


ALL = [b for page in PAGES for b in parse_blocks(page)]


def _marked(block: Block, kind: str) -> str | None:
    """The argument of a marker of this kind before the block, or None."""
    if block.marker is None:
        return None
    name, arg = block.marker
    if name == "doctest":
        word, _, rest = arg.partition(" ")
        return rest.strip() if word == kind else None
    return arg if name == kind else None


def _is_output(block: Block) -> bool:
    """Whether the block is the printed output of the Python block before it."""
    return block.marker == ("doctest", "output")


# --- a scratch directory per page -------------------------------------------------------------

_DIRS: dict[Path, Path] = {}


@pytest.fixture
def page_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page's directory: links to the repository's top-level files and folders, and every
    file the page saves."""
    block: Block = request.node.callspec.params["block"]
    if block.page not in _DIRS:
        d = tmp_path_factory.mktemp(block.page.stem)
        blocks = parse_blocks(block.page)
        saved = [(b, _marked(b, "save-as") or _marked(b, "append-to")) for b in blocks]
        own = {Path(target).parts[0] for _, target in saved if target}
        for entry in ROOT.iterdir():  # reads like a clone's root, but never written through
            if not entry.name.startswith(".") and entry.name not in own:
                (d / entry.name).symlink_to(entry)
        for b, target in saved:
            if target is None:
                continue
            path = d / target
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a" if _marked(b, "append-to") else "w", encoding="utf-8") as f:
                f.write(("\n\n" if _marked(b, "append-to") else "") + b.text)
        _DIRS[block.page] = d
    return _DIRS[block.page]


@pytest.fixture(scope="session")
def shim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with a ``newcomb`` script that runs ``python -m newcomb`` of this checkout."""
    d = tmp_path_factory.mktemp("bin")
    shim = d / "newcomb"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m newcomb "$@"\n')
    shim.chmod(0o755)
    return d


@contextlib.contextmanager
def inside(
    directory: Path, env: dict[str, str] | None = None, modules: dict[str, Any] | None = None
) -> Iterator[None]:
    """Run in ``directory`` (first on ``sys.path``), with ``env``; undo it all afterwards,
    including the modules imported from the directory, so that pages do not share them.
    ``modules`` keeps those modules for the next block of the same page: its globals still
    hold them, and a fresh copy of ``newcomb.model`` beside an old ``newcomb`` would make two
    classes of each name (``'Prediction' object has no attribute 'expr'``)."""
    cwd, path, environ = os.getcwd(), sys.path[:], os.environ.copy()
    before = set(sys.modules)
    sys.modules.update(modules or {})
    os.chdir(directory)
    sys.path.insert(0, str(directory))
    os.environ.update(env or {})
    for name in UNSET if env else ():
        os.environ.pop(name, None)
    try:
        yield
    finally:
        os.chdir(cwd)
        sys.path[:] = path
        os.environ.clear()
        os.environ.update(environ)
        for name in set(sys.modules) - before:
            origin = getattr(sys.modules[name], "__file__", None) or ""
            if origin.startswith(str(directory)) or name.startswith("_newcomb_user_"):
                if modules is not None:
                    modules[name] = sys.modules[name]
                del sys.modules[name]


# --- running commands -------------------------------------------------------------------------


def page_env(page: Path) -> dict[str, str]:
    """ENV, with what the page changes by a line ``<!-- doctest: env NAME=VALUE -->``."""
    env = dict(ENV)
    for line in page.read_text(encoding="utf-8").splitlines():
        m = MARKER.match(line)
        if m and m.group(1) == "doctest" and m.group(2).startswith("env "):
            name, _, value = m.group(2).removeprefix("env ").strip().partition("=")
            env[name] = value
    return env


def run_command(command: str, directory: Path, shims: Path, env: dict[str, str]) -> tuple[str, int]:
    """A shell command's stdout followed by its stderr, and its exit code."""
    words = shlex.split(command) if not SHELL_CHARS & set(command) else []
    if words and words[0] == "newcomb" and not SUBPROCESS:
        from newcomb.cli import main

        out, err = io.StringIO(), io.StringIO()
        code: object = 0
        with (
            inside(directory, env),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            try:
                main(words[1:])
            except SystemExit as e:
                code = 0 if e.code is None else e.code
        return out.getvalue() + err.getvalue(), code if isinstance(code, int) else 1
    env = {
        **{k: v for k, v in os.environ.items() if k not in UNSET},
        **env,
        "PATH": f"{shims}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
        "PYTHONIOENCODING": "utf-8",  # rich draws ASCII boxes on a stdout of another encoding
    }
    r = subprocess.run(
        ["bash", "-c", command],
        cwd=directory,
        env=env,
        capture_output=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    return r.stdout + r.stderr, r.returncode


def _lines(text: str) -> list[str]:
    """Printed text as lines to compare: trailing spaces and trailing blank lines dropped."""
    out = [line.rstrip() for line in text.splitlines()]
    while out and not out[-1]:
        out.pop()
    return out


def transcript_steps(body: tuple[str, ...]) -> list[tuple[str, list[str]]]:
    """The ``$ `` commands of a transcript, each with the lines shown after it."""
    steps: list[tuple[str, list[str]]] = []
    for line in body:
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    return steps


def run_transcript(block: Block, directory: Path, shims: Path) -> list[str]:
    """The transcript as the code prints it now."""
    rendered: list[str] = []
    code = 0
    for command, _ in transcript_steps(block.body):
        if command.strip() == "echo $?":
            text = f"{code}\n"
        else:
            text, code = run_command(command, directory, shims, page_env(block.page))
        rendered += [f"$ {command}", *_lines(text)]
    return rendered


def check_output(block: Block, actual: list[str]) -> None:
    """Compare, or in update mode rewrite the page, then report."""
    expected = [line.rstrip() for line in block.body]
    while expected and not expected[-1]:
        expected.pop()
    if actual == expected:
        return
    if UPDATE:
        rewrite(block, actual)
        pytest.fail(f"{block.id}: rewritten with the current output; review the diff")
    diff = "\n".join(difflib.unified_diff(expected, actual, "documented", "printed", lineterm=""))
    pytest.fail(f"{block.id}: the output differs from the page\n{diff}", pytrace=False)


def rewrite(block: Block, lines: list[str]) -> None:
    """Replace the block's body in its page (found by its position, since earlier rewrites may
    have moved it), keeping every other byte."""
    current = parse_blocks(block.page)[block.index]
    assert current.body == block.body, f"{block.id} changed since collection"
    text = block.page.read_text(encoding="utf-8").splitlines(keepends=True)
    start = current.line  # the body starts on the line after the fence (0-based: line)
    text[start : start + len(current.body)] = [line + "\n" for line in lines]
    block.page.write_text("".join(text), encoding="utf-8")


# --- running Python ---------------------------------------------------------------------------


_GLOBALS: dict[Path, tuple[dict[str, object], int]] = {}
_MODULES: dict[Path, dict[str, Any]] = {}  # the modules a page's doctests imported, kept


def _is_doctest(block: Block) -> bool:
    return block.lang == "python" and any(ln.lstrip().startswith(">>>") for ln in block.body)


def run_doctest(block: Block, directory: Path) -> None:
    """Run a ``>>>`` block as a doctest, without option flags; fail with doctest's report.

    The doctests of a page share their globals, as the examples of one doctest file do: a
    block may use the names an earlier block defined. Earlier blocks that have not run yet (a
    test selected alone) run first, quietly: their failures are their own tests'."""
    globs, last = _GLOBALS.get(block.page, ({"__name__": "__docs__"}, -1))
    earlier = [b for b in parse_blocks(block.page)[last + 1 : block.index] if _is_doctest(b)]
    parser = doctest.DocTestParser()
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=0)
    with inside(directory, modules=_MODULES.setdefault(block.page, {})):
        for b in earlier:  # (a DocTest runs in a copy of the globals it is given)
            test = parser.get_doctest(b.text, globs, b.id, str(b.page), b.line)
            doctest.DocTestRunner(optionflags=0).run(test, out=lambda _: None, clear_globs=False)
            globs = test.globs
        test = parser.get_doctest(block.text, globs, block.id, str(block.page), block.line)
        runner.run(test, out=report.write, clear_globs=False)
    _GLOBALS[block.page] = (test.globs, block.index)
    if runner.failures:
        pytest.fail(report.getvalue(), pytrace=False)


def run_script(source: str, name: str, directory: Path) -> str:
    """Execute Python source in a fresh namespace; what it printed."""
    out = io.StringIO()
    with inside(directory), contextlib.redirect_stdout(out):
        exec(compile(source, name, "exec"), {"__name__": "__docs__"})
    return out.getvalue()


def saved_source(block: Block) -> str:
    """The saved file as it stands after this block (the parts appended so far)."""
    target = _marked(block, "save-as") or _marked(block, "append-to")
    parts: list[str] = []
    for b in parse_blocks(block.page)[: block.index + 1]:
        if _marked(b, "save-as") == target:
            parts = [b.text]
        elif _marked(b, "append-to") == target:
            parts.append(b.text)
    return "\n\n".join(parts)


def run_saved_test(source: str, name: str, directory: Path) -> None:
    """Execute a saved test module and call every test it defines (``test_*`` functions and the
    ``test_*`` methods of ``Test*`` classes), each hypothesis test with 3 examples, no deadline
    and no example database: a check that the module runs, kept quick (a pytest subprocess under
    the page's own profile took 6 s for write-a-theory.md). The session's hypothesis profile is
    restored afterwards, whatever profile the module loads."""
    quick = settings(max_examples=3, deadline=None, database=None)
    previous = settings.get_current_profile_name()
    ran: list[str] = []
    try:
        with inside(directory):
            namespace: dict[str, object] = {"__name__": Path(name).stem}
            exec(compile(source, name, "exec"), namespace)
            for key, obj in list(namespace.items()):
                if isinstance(obj, type) and key.startswith("Test"):
                    instance = obj()
                    for attr in sorted(dir(obj)):
                        if attr.startswith("test_"):
                            _quick(quick, getattr(obj, attr))
                            getattr(instance, attr)()
                            ran.append(f"{key}.{attr}")
                elif key.startswith("test_") and callable(obj):
                    _quick(quick, obj)
                    obj()
                    ran.append(key)
    finally:
        settings.load_profile(previous)
    assert ran, f"{name} defines no test"


def _quick(quick: settings, test: object) -> None:
    """Apply the quick settings to a hypothesis test (in place; others are left alone)."""
    if getattr(test, "is_hypothesis_test", False):
        quick(test)


# --- the test ---------------------------------------------------------------------------------


def _tested(blocks: list[Block]) -> list[Block]:
    """Output blocks are compared with the script before them, not tested alone."""
    return [b for b in blocks if not _is_output(b)]


def _next(block: Block) -> Block | None:
    """The block after this one on its page."""
    blocks = parse_blocks(block.page)
    return blocks[block.index + 1] if block.index + 1 < len(blocks) else None


@pytest.mark.parametrize("block", _tested(ALL), ids=lambda b: b.id)
def test_block(block: Block, page_dir: Path, shim_dir: Path) -> None:
    """Run one block by its kind (this module's docstring), or skip it with the page's reason."""
    reason = _marked(block, "skip")
    if reason is not None:
        pytest.skip(f"{block.id}: {reason.strip('()') or 'marked skip'}")
    lang = block.lang
    command = _marked(block, "output")
    if command is not None and command.startswith("of "):
        text, _ = run_command(command[3:].strip(), page_dir, shim_dir, page_env(block.page))
        check_output(block, _lines(text))
    elif lang == "sh":
        pytest.skip(f"{block.id}: sh blocks are installation or setup commands, not run")
    elif lang in ("text", "console") and block.body and block.body[0].startswith("$ "):
        check_output(block, run_transcript(block, page_dir, shim_dir))
    elif _is_doctest(block):
        run_doctest(block, page_dir)
    elif lang == "python":
        check_python(block, page_dir)
    elif lang == "yaml":
        check_yaml(block)
    elif lang == "json":
        check_json(block)
    else:
        pytest.fail(
            f"{block.id}: a ```{lang} block of no known kind: make it a transcript or a doctest, "
            "or mark it (see this module's docstring)",
            pytrace=False,
        )


def check_python(block: Block, directory: Path) -> None:
    """A saved module or test module, or a script and the output block after it."""
    target = _marked(block, "save-as") or _marked(block, "append-to")
    if target is not None and Path(target).name.startswith("test_"):
        run_saved_test(saved_source(block), target, directory)
        return
    if target is not None:
        run_script(saved_source(block), target, directory)
        return
    printed = run_script(block.text, block.id, directory)
    following = _next(block)
    if following is not None and _is_output(following):
        check_output(following, _lines(printed))
    else:
        assert not printed, f"{block.id} prints, but no block marked 'output' follows it"


def check_yaml(block: Block) -> None:
    """An excerpt of a file, a fragment, or a whole scenario that must load."""
    excerpt = _marked(block, "excerpt")
    if excerpt is not None:
        name = excerpt.removeprefix("of ").strip()
        source = (ROOT / name).read_text(encoding="utf-8").splitlines()
        rest = iter(source)
        missing = [line for line in block.body if not any(line == s for s in rest)]
        if missing:
            pytest.fail(f"{block.id}: not in {name}, in this order: {missing[0]!r}", pytrace=False)
        return
    try:
        data = yaml.safe_load(block.text)
    except yaml.YAMLError as e:
        pytest.fail(f"{block.id}: not YAML: {e}", pytrace=False)
    if _marked(block, "fragment") is not None or _marked(block, "save-as") is not None:
        return
    if not (isinstance(data, dict) and "newcomb" in data):
        pytest.fail(
            f"{block.id}: a YAML block that is not a whole scenario must be marked "
            "'fragment' or 'excerpt of FILE'",
            pytrace=False,
        )
    from newcomb.errors import ScenarioError
    from newcomb.io import loads

    try:
        loads(block.text, file=block.id)
    except ScenarioError as e:
        pytest.fail(f"{block.id}: not a valid scenario: {e}", pytrace=False)


def check_json(block: Block) -> None:
    """A fragment that must parse (what a command prints is marked ``output of``)."""
    if _marked(block, "fragment") is None:
        pytest.fail(f"{block.id}: mark it 'output of COMMAND' or 'fragment'", pytrace=False)
    json.loads(block.text)


def test_every_block_is_collected() -> None:
    """The parser sees every fence: an odd count of fence lines would hide blocks."""
    for page in PAGES:
        fences = [ln for ln in page.read_text().splitlines() if FENCE.match(ln)]
        assert len(fences) == 2 * len(parse_blocks(page)), page


KINDS = {"skip", "fragment", "excerpt", "output", "env"}


def test_every_marker_is_known() -> None:
    """A misspelt marker would change what a block is tested for, or leave it out."""
    for page in PAGES:
        for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            m = MARKER.match(line)
            if m:
                kind = m.group(2).split(" ")[0]
                assert m.group(1) != "doctest" or kind in KINDS, f"{page}:{n}: {line}"
            elif line.startswith(("<!-- doctest", "<!-- save-as", "<!-- append-to")):
                raise AssertionError(f"{page}:{n}: a marker this module cannot read: {line}")


def test_every_output_block_follows_a_script() -> None:
    """An output block is tested only with the unsaved Python block just before it."""
    for block in ALL:
        if _is_output(block):
            before = parse_blocks(block.page)[block.index - 1] if block.index else None
            assert before is not None and before.lang == "python" and before.marker is None, (
                f"{block.id}: an output block must follow an unsaved ```python block"
            )
