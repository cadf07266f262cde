"""Scenario files: YAML 1.2 in, validated, and back out.

A scenario file is untrusted. It is read as bytes (at most :data:`MAX_BYTES`), decoded as
UTF-8, and composed by PyYAML (with libyaml when present) into a node tree; nothing is constructed
from tags, so no code can run. Scalars are then resolved by the YAML 1.2 core schema: only
``true``/``false`` are booleans, so ``yes``/``no``/``on``/``off`` stay strings. Anchors and
aliases, explicit tags, and duplicate keys are refused. Every mistake becomes a
:class:`~newcomb.errors.ScenarioError` naming the file, the line and column, and the key path;
where the usual fix is known the message gives it (a tab in indentation, a misspelt key with the
nearest allowed one), and values are echoed as written and clipped (:func:`errors.shown`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar

import yaml

from .errors import ScenarioError, clip, key_text, shown
from .expr import Expr, read_number, table_data
from .labels import LabelError
from .model import (
    Chance,
    Correlate,
    Decide,
    Prediction,
    Predictor,
    Scenario,
    Select,
    Value,
    Variable,
)

__all__ = [
    "FORMAT_VERSION",
    "MAX_BYTES",
    "dumps",
    "from_dict",
    "load",
    "load_data",
    "loads",
    "locate",
    "to_dict",
]

MAX_BYTES = 1 << 20  # 1 MiB: far larger than any real scenario
FORMAT_VERSION = 1

Path_ = tuple[str | int, ...]

_NULL = re.compile(r"^(~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_SPECIAL = re.compile(r"^([-+]?\.(inf|Inf|INF)|\.nan|\.NaN|\.NAN)$")


def _standard_tag(node: yaml.Node) -> str:
    """The one tag a node of this kind may carry (a list tagged !!str is refused)."""
    if isinstance(node, yaml.SequenceNode):
        return "tag:yaml.org,2002:seq"
    if isinstance(node, yaml.MappingNode):
        return "tag:yaml.org,2002:map"
    return "tag:yaml.org,2002:str"


# libyaml's parser when PyYAML was built with it: the pure-Python one needs about a minute for a
# hostile file of MAX_BYTES, libyaml seconds. Neither composes the tree: _compose does.
_SafeBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeBase):  # type: ignore[misc]
    """PyYAML's safe loader, used only for its parser's events (see :func:`_compose`); every
    plain scalar stays a string, and this module resolves it by the YAML 1.2 core schema."""

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {}


class _PureLoader(yaml.SafeLoader):  # type: ignore[misc]
    """The pure-Python parser, for a text libyaml refuses as nested past its own limit (about
    1000 levels, met while it scans ahead): this one stops at :data:`MAX_NESTING` in
    :func:`_compose`, so the message and its place do not depend on how PyYAML was built."""

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {}


_STR = "tag:yaml.org,2002:str"


class _StringNode(yaml.ScalarNode):  # type: ignore[misc]
    """A scalar tagged as a string (``!!str`` or ``!``): never resolved to a number or boolean."""


MAX_NESTING = 100  # YAML collections inside collections; a scenario needs about six
_ALIAS = "!newcomb/alias"  # the tag of the node standing for an alias, refused with its path


def _compose(loader: Any, file: str) -> yaml.Node | None:
    """The document's node tree, built from the parser's events without recursion.

    PyYAML's own composers recurse once per level (libyaml's in C with no limit in some
    builds), so a deeply nested file could overflow the C stack. Here nesting past
    :data:`MAX_NESTING` stops the parse, and an alias becomes a node that is refused later
    with its key path: nothing is ever expanded.
    """
    loader.get_event()  # stream start
    if loader.check_event(yaml.StreamEndEvent):
        return None
    loader.get_event()  # document start
    root: yaml.Node | None = None
    stack: list[yaml.Node] = []
    while True:
        event = loader.get_event()
        if isinstance(event, yaml.DocumentEndEvent):
            break
        node: yaml.Node | None
        if isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            done = stack.pop()
            done.end_mark = event.end_mark
            node = None
            if isinstance(done, yaml.MappingNode):
                # the flat list of keys and values becomes (key, value) pairs
                flat = done.value
                done.value = list(zip(flat[0::2], flat[1::2], strict=True))
        elif isinstance(event, yaml.AliasEvent):
            node = yaml.ScalarNode(_ALIAS, "", event.start_mark, event.end_mark)
        elif isinstance(event, yaml.ScalarEvent):
            tag = event.tag
            # an explicit string tag (`!!str 123`, or the non-specific `! 123`) makes a string
            kind = _StringNode if tag in ("!", _STR) else yaml.ScalarNode
            node = kind(
                tag if tag not in (None, "!") else _STR,
                event.value,
                event.start_mark,
                event.end_mark,
                style=event.style,
            )
        elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            seq = isinstance(event, yaml.SequenceStartEvent)
            tag = event.tag
            if tag is None or tag == "!":
                tag = "tag:yaml.org,2002:seq" if seq else "tag:yaml.org,2002:map"
            kind = yaml.SequenceNode if seq else yaml.MappingNode
            node = kind(tag, [], event.start_mark, None, flow_style=event.flow_style)
        else:  # pragma: no cover - the parser yields no other event inside a document
            raise ScenarioError(f"malformed YAML: unexpected {type(event).__name__}", file=file)
        if node is None:
            continue
        if stack:
            stack[-1].value.append(node)
        else:
            root = node
        if isinstance(node, yaml.CollectionNode):
            if len(stack) >= MAX_NESTING:
                mark = event.start_mark
                raise ScenarioError(
                    f"YAML nested more than {MAX_NESTING} levels deep",
                    file=file,
                    line=mark.line + 1,
                    column=mark.column + 1,
                )
            stack.append(node)
    if not loader.check_event(yaml.StreamEndEvent):
        mark = loader.get_event().start_mark
        raise ScenarioError(
            "malformed YAML: expected a single document in the stream but found another document",
            file=file,
            line=mark.line + 1,
            column=mark.column + 1,
        )
    return root


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.marks: dict[Path_, tuple[int, int]] = {}
        self.key_marks: dict[Path_, tuple[int, int]] = {}
        self.text = ""  # the file's text, to place a misspelt label inside an expression

    def fail(self, message: str, path: Path_, node: yaml.Node | None = None) -> ScenarioError:
        line = col = None
        if node is not None:
            line, col = node.start_mark.line + 1, node.start_mark.column + 1
        return ScenarioError(message, path, file=self.file, line=line, column=col)

    def convert(self, node: yaml.Node, path: Path_) -> Any:
        if node.tag == _ALIAS:
            raise self.fail("anchors and aliases (& and *) are not supported", path, node)
        self.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if node.tag != _standard_tag(node):
            raise self.fail(f"YAML tags such as {shown(node.tag)} are not supported", path, node)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            keys: dict[Any, str] = {}  # key -> its text; true and 1 are one key in a dict
            for knode, vnode in node.value:
                if not isinstance(knode, yaml.ScalarNode):
                    raise self.fail("mapping keys must be plain values", path, knode)
                key = self.scalar(knode, path)
                if key is None or isinstance(key, float | Fraction):
                    raise self.fail(f"{shown(knode.value)} cannot be a key here", path, knode)
                if key in keys:
                    same = "" if keys[key] == knode.value else f" (the same as {shown(keys[key])})"
                    raise self.fail(f"duplicate key {shown(knode.value)}{same}", path, knode)
                keys[key] = knode.value
                sub = (*path, key_text(key))
                self.key_marks[sub] = (knode.start_mark.line + 1, knode.start_mark.column + 1)
                out[key] = self.convert(vnode, sub)
            return out
        raise self.fail("unexpected YAML node", path, node)  # pragma: no cover

    def scalar(self, node: yaml.ScalarNode, path: Path_) -> Any:
        text = node.value
        if node.style or isinstance(node, _StringNode):  # quoted, block or tagged !!str
            return text
        if _NULL.match(text):
            return None
        if text in _BOOL:
            return _BOOL[text]
        if _INT.match(text) and len(text) <= 200:
            return int(text)
        if _OCT.match(text) and len(text) <= 200:
            return int(text[2:], 8)
        if _HEX.match(text) and len(text) <= 200:
            return int(text[2:], 16)
        if _FLOAT.match(text) and len(text) <= 200:
            try:
                return read_number(text)
            except ValueError as e:
                raise self.fail(f"cannot read {clip(text)} exactly: {e}", path, node) from None
        if _SPECIAL.match(text):
            raise self.fail(f"{clip(text)} is not an exact number", path, node)
        return text


def loads(text: str | bytes, file: str = "<string>") -> Scenario:
    """Read a scenario from YAML text; raise ScenarioError naming ``file`` on any mistake."""
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise ScenarioError(
                f"file is {len(text)} bytes, larger than the limit of {MAX_BYTES}", file=file
            )
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ScenarioError(
                f"file is not UTF-8 text (byte {e.start}: {e.reason})", file=file
            ) from None
    if len(text) > MAX_BYTES:
        raise ScenarioError(f"text is larger than the limit of {MAX_BYTES} bytes", file=file)
    if text.startswith("\ufeff"):
        text = text[1:]
    node, reader = _parse(text, file)
    if node is None:
        raise ScenarioError("the file is empty; expected a scenario mapping", file=file)
    data = reader.convert(node, ())  # at most MAX_NESTING levels deep
    try:
        scenario = from_dict(data)
    except ScenarioError as e:
        raise _locate(e, reader, file) from None
    object.__setattr__(scenario, "_origin", (reader, file))
    return scenario


def _parse(text: str, file: str, loader_class: Any = _Loader) -> tuple[Any, _Reader]:
    """The YAML node tree of ``text`` (None when empty) and its reader; a YAML mistake is one
    ScenarioError with the line and column where the parser stopped (scenarios and studies
    alike)."""
    reader = _Reader(file)
    reader.text = text
    try:
        loader = loader_class(text)
        try:
            node = _compose(loader, file)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as e:
        if "maximum nesting depth" in str(e.problem) and loader_class is not _PureLoader:
            return _parse(text, file, _PureLoader)  # stops at MAX_NESTING, as without libyaml
        mark = e.problem_mark or e.context_mark
        msg = _tab_problem(text, mark) or "malformed YAML: " + (
            " ".join(x for x in (e.context, e.problem) if x) or "the parser stopped here"
        )
        if mark is not None and mark.column > 1024:  # YAML's limit on an implicit key
            msg += " (a YAML key written KEY: VALUE may have at most 1024 characters)"
        raise ScenarioError(
            msg,
            file=file,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as e:  # e.g. a ReaderError, whose text spans two lines
        raise ScenarioError(f"malformed YAML: {' '.join(str(e).split())}", file=file) from None
    except UnicodeError:
        raise ScenarioError("text is not valid Unicode (a lone surrogate)", file=file) from None
    return node, reader


def _tab_problem(text: str, mark: Any) -> str | None:
    """The message for a tab where the YAML parser stopped (its own message, "found character
    that cannot start any token", does not say the character is a tab)."""
    if mark is None:
        return None
    lines = text.splitlines()
    if not 0 <= mark.line < len(lines) or lines[mark.line][mark.column : mark.column + 1] != "\t":
        return None
    if not lines[mark.line][: mark.column].strip(" \t"):
        return "malformed YAML: tabs are not allowed for indentation in YAML; use spaces"
    return "malformed YAML: a tab is not allowed here in YAML; use spaces"


def locate(scenario: Scenario, error: ScenarioError) -> ScenarioError:
    """``error`` with the file, line and column of its key path in the file ``scenario`` was
    read from (errors found later, while compiling, know only the key path)."""
    origin = getattr(scenario, "_origin", None)
    if origin is None or error.file is not None:
        return error
    reader, file = origin
    return _locate(error, reader, file)


def load(path: str | Path) -> Scenario:
    """Read a scenario file. Raise ScenarioError (naming the file) if it is missing or bad."""
    p = Path(path)
    name = str(path)
    try:
        if not p.is_file():
            raise ScenarioError("no such file" if not p.exists() else "not a file", file=name)
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise ScenarioError(
                f"file is {size} bytes, larger than the limit of {MAX_BYTES}", file=name
            )
        raw = p.read_bytes()
    except OSError as e:
        raise ScenarioError(f"cannot read the file: {e.strerror}", file=name) from None
    return loads(raw, file=name)


def _locate(e: ScenarioError, reader: _Reader, file: str) -> ScenarioError:
    path = e.path
    for marks in (reader.marks, reader.key_marks):
        for n in range(len(path), -1, -1):
            hit = marks.get(tuple(path[:n]))
            if hit is not None:
                if isinstance(e, LabelError) and n == len(path):
                    hit = e.position(reader.text, hit, reader.key_marks.get(path))
                return e.located(file=file, line=hit[0], column=hit[1])
    return e.located(file=file)


# -- dict <-> Scenario --------------------------------------------------------------------------

_TOP = {
    "newcomb",
    "name",
    "summary",
    "description",
    "references",
    "parameters",
    "actions",
    "variables",
    "observes",
    "utility",
    "predictor",
    "physical",
}
_KINDS = {
    "chance": set(),
    "value": set(),
    "predicts": {"accuracy", "given"},
    "select": set(),
    "correlate": {"prior"},
    "decide": {"observes", "actions", "when"},
}


def _mapping(x: object, path: Path_, what: str) -> Mapping[Any, Any]:
    if not isinstance(x, Mapping):
        raise ScenarioError(f"expected {what}, got {_kind(x)}", path)
    return x


def _list(x: object, path: Path_, what: str) -> list[Any]:
    if not isinstance(x, list):
        raise ScenarioError(f"expected {what}, got {_kind(x)}", path)
    return x


def _text(x: object, path: Path_) -> str:
    if not isinstance(x, str):
        raise ScenarioError(f"expected a string, got {_kind(x)}", path)
    return x


def _kind(x: object) -> str:
    if x is None:
        return "nothing (null)"
    if isinstance(x, bool):
        return f"the boolean {str(x).lower()}"
    if isinstance(x, Mapping):
        return "a mapping"
    if isinstance(x, list):
        return "a list"
    if isinstance(x, int | Fraction):
        return f"the number {shown(x)}"
    return shown(x)


def _unknown_keys(m: Mapping[Any, Any], allowed: set[str], path: Path_) -> None:
    for k in m:
        if k not in allowed:
            raise _unknown_key(k, sorted(allowed), path)


def _unknown_key(key: object, allowed: Iterable[str], path: Path_) -> ScenarioError:
    """The error for a key not in ``allowed``, naming the closest allowed key when there is
    one: ``unknown key 'chnace' (expected one of: ...); did you mean 'chance'?``."""
    options = list(allowed)
    close = difflib.get_close_matches(key, options, n=1) if isinstance(key, str) else []
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return ScenarioError(
        f"unknown key {shown(key)} (expected one of: {', '.join(options)}){hint}",
        (*path, key_text(key)),
    )


def from_dict(data: object) -> Scenario:
    """Build a Scenario from plain data (as read from YAML or JSON), checking every key."""
    top = _mapping(data, (), "a mapping with keys newcomb, name, actions, variables, utility")
    _unknown_keys(top, _TOP, ())
    for required in ("newcomb", "name", "actions", "variables", "utility"):
        if required not in top:
            raise ScenarioError(f"missing required key {required!r}", ())
    version = top["newcomb"]
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise ScenarioError(
            f"unsupported format version {shown(version)}; this newcomb reads version "
            f"{FORMAT_VERSION}",
            ("newcomb",),
        )
    name = _text(top["name"], ("name",))
    summary = _text(top["summary"], ("summary",)) if "summary" in top else None
    description = _text(top["description"], ("description",)) if "description" in top else None
    refs = [
        _text(r, ("references", i))
        for i, r in enumerate(_list(top.get("references", []), ("references",), "a list"))
    ]
    params = _mapping(top.get("parameters") or {}, ("parameters",), "a mapping of names to numbers")
    actions = _list(top["actions"], ("actions",), "a list of action names")
    vars_ = _mapping(top["variables"], ("variables",), "a mapping of variable names to kinds")
    variables = [_variable(k, v) for k, v in vars_.items()]
    observes_raw = top.get("observes", [])
    if observes_raw is None:
        observes_raw = []
    observes = [
        _text(o, ("observes", i))
        for i, o in enumerate(_list(observes_raw, ("observes",), "a list of variable names"))
    ]
    predictor = Predictor()
    if "predictor" in top:
        pm = _mapping(top["predictor"], ("predictor",), "a mapping with prefer and on_paradox")
        _unknown_keys(pm, {"prefer", "on_paradox"}, ("predictor",))
        rule = pm.get("on_paradox", "fail")
        if not isinstance(rule, str):
            raise ScenarioError(
                f"expected one of fail, random, retry, got {_kind(rule)}",
                ("predictor", "on_paradox"),
            )
        predictor = Predictor(prefer=pm.get("prefer"), on_paradox=rule)
    return Scenario(
        name=name,
        summary=summary,
        description=description,
        references=refs,
        parameters=dict(params),
        actions=actions,
        variables=variables,
        observes=observes,
        utility=top["utility"],
        predictor=predictor,
        physical=_text(top["physical"], ("physical",)) if "physical" in top else None,
    )


def _variable(name: object, spec: object) -> Variable:
    if not isinstance(name, str):
        raise ScenarioError(f"variable name {shown(name)} must be a string", ("variables",))
    path: Path_ = ("variables", name)
    m = _mapping(
        spec, path, "a mapping with one of: chance, value, predicts, select, correlate, decide"
    )
    kinds = [k for k in m if k in _KINDS]
    if not kinds:
        extras = set().union(*_KINDS.values())
        for k in m:
            if k not in extras:  # a misspelt kind: name it and suggest the nearest
                raise _unknown_key(k, list(_KINDS), path)
    if len(kinds) != 1:
        raise ScenarioError(
            "expected exactly one of chance, value, predicts, select, correlate, decide"
            + (f", got {', '.join(map(str, kinds))}" if kinds else ""),
            path,
        )
    kind = kinds[0]
    _unknown_keys(m, {kind} | _KINDS[kind], path)
    body = m[kind]
    if kind == "chance":
        return Chance(
            name=name,
            outcomes=_mapping(body, (*path, "chance"), "a mapping of outcomes to probabilities"),
        )
    if kind == "value":
        if body is None:
            raise ScenarioError("expected an expression", (*path, "value"))
        return Value(name=name, expr=body)
    if kind == "predicts":
        if not isinstance(body, str):
            raise ScenarioError(
                f"expected 'action' or the name of a decision point, got {_kind(body)}",
                (*path, "predicts"),
            )
        given = m.get("given")
        if given is not None:
            given = _mapping(given, (*path, "given"), "a mapping of observed variables to values")
        return Prediction(name=name, accuracy=m.get("accuracy", 1), given=given, predicts=body)
    if kind == "decide":
        observes = m.get("observes") or []
        observes = [
            _text(o, (*path, "observes", i))
            for i, o in enumerate(_list(observes, (*path, "observes"), "a list of variable names"))
        ]
        acts = m.get("actions")
        if acts is not None:
            acts = _list(acts, (*path, "actions"), "a list of action names")
        if not isinstance(body, str):
            raise ScenarioError(
                f"expected the name of an information set, got {_kind(body)}", (*path, "decide")
            )
        return Decide(name=name, infoset=body, observes=observes, actions=acts, when=m.get("when"))
    if kind == "select":
        return Select(name=name, options=_list(body, (*path, "select"), "a list of options"))
    table = _mapping(body, (*path, "correlate"), "a mapping from each action to P(value | action)")
    rows = {
        a: _mapping(d, (*path, "correlate", key_text(a)), "a mapping of values to probabilities")
        for a, d in table.items()
    }
    if "prior" not in m:
        raise ScenarioError("a correlate needs a prior (its frequency in the world)", path)
    prior = _mapping(m["prior"], (*path, "prior"), "a mapping of values to probabilities")
    return Correlate(name=name, table=rows, prior=prior)


def _expr_out(e: Expr | tuple[tuple[str, Expr], ...]) -> Any:
    if isinstance(e, tuple):  # an accuracy per act: the mapping it was read from
        return {a: _expr_out(x) for a, x in e}
    if e.table is not None:  # a table expression is written back as the mapping it was read from
        return table_data(e.table)
    return e.source


def _number_out(x: Fraction) -> Any:
    return int(x) if x.denominator == 1 else str(x)


def to_dict(s: Scenario) -> dict[str, Any]:
    """Plain data for a scenario, in the file format (the inverse of :func:`from_dict`)."""
    out: dict[str, Any] = {"newcomb": FORMAT_VERSION, "name": s.name}
    if s.summary is not None:
        out["summary"] = s.summary
    if s.description is not None:
        out["description"] = s.description
    if s.references:
        out["references"] = list(s.references)
    if s.parameters:
        out["parameters"] = {k: _number_out(v) for k, v in s.parameters.items()}
    out["actions"] = list(s.actions)
    variables: dict[str, Any] = {}
    for v in s.variables:
        if isinstance(v, Chance):
            variables[v.name] = {"chance": {k: _expr_out(e) for k, e in v.outcomes}}
        elif isinstance(v, Value):
            variables[v.name] = {"value": _expr_out(v.expr)}
        elif isinstance(v, Prediction):
            spec: dict[str, Any] = {"predicts": v.predicts, "accuracy": _expr_out(v.accuracy)}
            if v.given is not None:
                spec["given"] = {
                    k: {"expr": _expr_out(x)} if isinstance(x, Expr) else x for k, x in v.given
                }
            variables[v.name] = spec
        elif isinstance(v, Select):
            variables[v.name] = {"select": list(v.options)}
        elif isinstance(v, Decide):
            point: dict[str, Any] = {"decide": v.infoset}
            if v.observes:
                point["observes"] = list(v.observes)
            if v.actions is not None:
                point["actions"] = list(v.actions)
            if v.when is not None:
                point["when"] = _expr_out(v.when)
            variables[v.name] = point
        else:
            variables[v.name] = {
                "correlate": {a: {k: _expr_out(e) for k, e in d} for a, d in v.table},
                "prior": {k: _expr_out(e) for k, e in v.prior},
            }
    out["variables"] = variables
    if s.observes:
        out["observes"] = list(s.observes)
    out["utility"] = _expr_out(s.utility)
    pred: dict[str, Any] = {"on_paradox": s.predictor.on_paradox}
    if s.predictor.prefer is not None:
        pred["prefer"] = _expr_out(s.predictor.prefer)
    out["predictor"] = pred
    if s.physical is not None:
        out["physical"] = s.physical
    return out


class _Dumper(yaml.SafeDumper):  # type: ignore[misc]
    """PyYAML's safe dumper, which quotes the strings a YAML 1.1 reader would take for
    something else, taught to quote those the YAML 1.2 core schema reads as numbers too
    (``1e3``, ``0o17``), so that :func:`loads` reads every string back as a string."""


_Dumper.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
_Dumper.add_implicit_resolver("tag:yaml.org,2002:int", _OCT, ["0"])
_Dumper.add_implicit_resolver("tag:yaml.org,2002:int", _HEX, ["0"])
_Dumper.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))
_Dumper.add_implicit_resolver("tag:yaml.org,2002:float", _SPECIAL, list("-+."))


def dumps(s: Scenario) -> str:
    """The scenario as YAML text that :func:`loads` reads back to an equal scenario."""
    data = to_dict(s)
    text: str = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return text


# -- other YAML files (studies) -----------------------------------------------------------------


def load_data(path: str | Path) -> tuple[Any, Any]:
    """Read any newcomb YAML file (a study, say) as plain data, by the same rules as a scenario.

    Returns the data and a function that gives a :class:`ScenarioError` about that data (found
    by its key path) the file's line and column. Every mistake in reading names the file.
    """
    name = str(path)
    p = Path(path)
    try:
        if not p.is_file():
            raise ScenarioError("no such file" if not p.exists() else "not a file", file=name)
        if p.stat().st_size > MAX_BYTES:
            raise ScenarioError(f"file is larger than the limit of {MAX_BYTES} bytes", file=name)
        raw = p.read_bytes()
    except OSError as e:
        raise ScenarioError(f"cannot read the file: {e.strerror}", file=name) from None
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as e:
        raise ScenarioError(f"file is not UTF-8 text (byte {e.start})", file=name) from None
    node, reader = _parse(text, name)
    if node is None:
        raise ScenarioError("the file is empty", file=name)
    data = reader.convert(node, ())

    def where(e: ScenarioError) -> ScenarioError:
        return _locate(e, reader, name)

    return data, where
