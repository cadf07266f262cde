"""A scenario as an influence diagram: Graphviz DOT, Mermaid, and SVG through Graphviz.

:func:`diagram` reads the structure off the scenario as plain data (:class:`Diagram`); the
writers :func:`to_dot` and :func:`to_mermaid` turn it into text, and :func:`to_svg` has
Graphviz's ``dot`` program lay the DOT text out. The drawing follows the usual conventions for
influence diagrams (Howard & Matheson 1984):

- chance variables are ellipses (a deterministic ``value`` a double ellipse in DOT, a double
  circle in Mermaid); the decision, ``action``, is a rectangle; the utility is a diamond;
- an edge X → Y means Y's expressions read X (the names each :class:`~newcomb.expr.Expr`
  records); an edge into the decision is information: a variable the agent ``observes``;
- a prediction gets a dashed edge from the decision it predicts, and a correlate a dotted,
  undirected one; predictions and ``select`` variables sit in a box labelled *predictor*, with
  its preference and paradox rule: they are the predictor's unknowns.

Parameters are constants and are not drawn; the title gives their values. Every text taken
from the file (names of actions, labels, expressions) is escaped for the output language, so
a hostile file cannot add nodes or edges to the drawing. Nothing here imports Graphviz until
:func:`to_svg` is called (it is an optional extra: ``pip install newcomb[graph]``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from .errors import UsageError, clip
from .expr import Expr
from .model import Chance, Correlate, Decide, Label, Prediction, Scenario, Select, Value, Variable

__all__ = ["Diagram", "Edge", "Node", "diagram", "to_dot", "to_mermaid", "to_svg"]

NodeKind = Literal["chance", "value", "prediction", "select", "correlate", "decision", "utility"]
EdgeKind = Literal["influence", "information", "prediction", "correlation"]

DECISION = "d_action"
UTILITY = "u_utility"
SVG_MISSING = (
    "SVG needs Graphviz's 'dot' program: install graphviz (e.g. apt-get install graphviz) "
    "or use --format dot"
)


@dataclass(frozen=True)
class Node:
    """One node: its identifier in the output (``v_NAME`` for a variable), its kind, the lines
    of its label, and whether it is one of the predictor's unknowns."""

    id: str
    kind: NodeKind
    lines: tuple[str, ...]
    predictor: bool = False


@dataclass(frozen=True)
class Edge:
    """``tail`` → ``head``: an influence (``head`` reads ``tail``), information (the agent
    observes ``tail``), a prediction (of the decision) or a correlation (with the decision)."""

    tail: str
    head: str
    kind: EdgeKind


@dataclass(frozen=True)
class Diagram:
    """The influence diagram of one scenario, as plain data (see the module docstring)."""

    title: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    predictor: str | None
    """The label of the predictor's box, or ``None`` when the scenario has no predictor."""


def _label(x: Label) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    return str(x)


def _options(labels: tuple[Label, ...] | list[Label]) -> str:
    return clip(" | ".join(_label(x) for x in labels), 60)


def _node(v: Variable, physical: bool, actions: tuple[str, ...] = ()) -> Node:
    """The node of variable ``v``: its name, then what kind of variable it is."""
    if isinstance(v, Decide):
        node = Node(
            f"v_{v.name}", "decision", (v.name, f"decision {v.infoset}: {_options(actions)}")
        )
    elif isinstance(v, Chance):
        outcomes = _options([k for k, _ in v.outcomes])
        node = Node(f"v_{v.name}", "chance", (v.name, f"chance: {outcomes}"))
    elif isinstance(v, Value):
        node = Node(f"v_{v.name}", "value", (v.name, "value"))
    elif isinstance(v, Prediction):
        given = ""
        if v.given is not None:
            given = " given " + ", ".join(
                f"{k} = {x.source if isinstance(x, Expr) else _label(x)}" for k, x in v.given
            )
        acc = v.accuracy
        q = acc.source if isinstance(acc, Expr) else ", ".join(f"{a}: {e.source}" for a, e in acc)
        what = (
            f"predicts {v.predicts}{clip(given, 60)} (accuracy {clip(q, 60 if v.per_act else 30)})"
        )
        node = Node(f"v_{v.name}", "prediction", (v.name, what), predictor=True)
    elif isinstance(v, Select):
        node = Node(f"v_{v.name}", "select", (v.name, f"selected: {_options(v.options)}"), True)
    else:
        node = Node(f"v_{v.name}", "correlate", (v.name, f"correlate: {_options(v.labels())}"))
    if physical:
        node = Node(node.id, node.kind, (*node.lines, "the act done"), node.predictor)
    return node


def _reads(exprs: list[Expr], order: list[str]) -> list[str]:
    """The node ids of what ``exprs`` read: the decision first, then variables in file order
    (parameters are constants and have no node)."""
    names: set[str] = set()
    for e in exprs:
        names |= e.names
    out = [DECISION] if "action" in names else []
    return out + [f"v_{n}" for n in order if n in names]


def diagram(scenario: Scenario) -> Diagram:
    """The influence diagram of ``scenario``: nodes in file order, then the decision and the
    utility; edges in the order of their heads."""
    order = [v.name for v in scenario.variables]
    nodes: list[Node] = []
    edges: list[Edge] = []
    several = bool(scenario.decisions)
    for v in scenario.variables:
        acts = (v.actions or scenario.actions) if isinstance(v, Decide) else ()
        node = _node(v, v.name == scenario.physical, acts)
        nodes.append(node)
        if isinstance(v, Prediction):
            predicted = f"v_{v.predicts}" if several else DECISION
            edges.append(Edge(predicted, node.id, "prediction"))
        if isinstance(v, Correlate):
            edges.append(Edge(node.id, DECISION, "correlation"))
        if isinstance(v, Decide):  # what the agent sees there
            edges += [Edge(f"v_{o}", node.id, "information") for o in v.observes]
        edges += [Edge(t, node.id, "influence") for t in _reads(list(v.expressions()), order)]
    if not several:  # the one implicit decision
        actions = _options(list(scenario.actions))
        nodes.append(Node(DECISION, "decision", ("action", f"decision: {actions}")))
        edges += [Edge(f"v_{o}", DECISION, "information") for o in scenario.observes]
    nodes.append(Node(UTILITY, "utility", ("utility",)))
    edges += [Edge(t, UTILITY, "influence") for t in _reads([scenario.utility], order)]
    predictor = None
    if any(n.predictor for n in nodes):
        p = scenario.predictor
        prefer = f"prefers {clip(p.prefer.source, 40)}; " if p.prefer is not None else ""
        predictor = f"predictor ({prefer}on paradox: {p.on_paradox})"
    params = ", ".join(f"{k} = {v}" for k, v in scenario.parameters.items())
    title = scenario.name + (f"  ({params})" if params else "")
    return Diagram(title, tuple(nodes), tuple(edges), predictor)


# -- DOT ----------------------------------------------------------------------------------------

_DOT_SHAPE = {
    "chance": "shape=ellipse",
    "value": "shape=ellipse, peripheries=2",
    "prediction": "shape=ellipse",
    "select": "shape=ellipse",
    "correlate": "shape=ellipse",
    "decision": "shape=box",
    "utility": "shape=diamond",
}
_DOT_EDGE = {
    "influence": "",
    "information": "",
    "prediction": ' [style=dashed, label="predicts"]',
    "correlation": ' [style=dotted, dir=none, label="correlated"]',
}


def _clean(text: str) -> str:
    """Control characters (newlines included) as spaces: a label's lines are the writer's."""
    return "".join(c if c.isprintable() else " " for c in text)


def dot_string(text: str) -> str:
    """``text`` as a quoted DOT string: backslashes and quotes escaped, so that nothing in it
    is read as DOT syntax or as a Graphviz label escape (``\\N``, ``\\l``)."""
    return '"' + _clean(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot_label(lines: tuple[str, ...]) -> str:
    return '"' + "\\n".join(dot_string(x)[1:-1] for x in lines) + '"'


def to_dot(scenario: Scenario | Diagram) -> str:
    """The influence diagram as Graphviz DOT text (``dot -Tsvg`` draws it)."""
    d = scenario if isinstance(scenario, Diagram) else diagram(scenario)
    out = [
        "digraph scenario {",
        f"  label={dot_string(d.title)};",
        "  labelloc=t;",
        "  rankdir=LR;",
    ]

    def node_line(n: Node, indent: str) -> str:
        return f"{indent}{n.id} [{_DOT_SHAPE[n.kind]}, label={_dot_label(n.lines)}];"

    out += [node_line(n, "  ") for n in d.nodes if not n.predictor]
    if d.predictor is not None:
        out.append("  subgraph cluster_predictor {")
        out.append(f"    label={dot_string(d.predictor)};")
        out.append("    style=dashed;")
        out += [node_line(n, "    ") for n in d.nodes if n.predictor]
        out.append("  }")
    out += [f"  {e.tail} -> {e.head}{_DOT_EDGE[e.kind]};" for e in d.edges]
    out.append("}")
    return "\n".join(out) + "\n"


# -- Mermaid ------------------------------------------------------------------------------------

_MERMAID_SHAPE = {
    "chance": ("([", "])"),
    "value": ("(((", ")))"),
    "prediction": ("([", "])"),
    "select": ("([", "])"),
    "correlate": ("([", "])"),
    "decision": ("[", "]"),
    "utility": ("{", "}"),
}
_MERMAID_EDGE = {
    "influence": "-->",
    "information": "-->",
    "prediction": "-.->|predicts|",
    "correlation": "-.-|correlated|",
}
# Mermaid's entity codes: '#' first, since every other replacement writes one
_MERMAID_ESCAPES = (
    ("#", "#35;"),
    ('"', "#quot;"),
    ("<", "#lt;"),
    (">", "#gt;"),
    ("&", "#38;"),
    ("`", "#96;"),
)


def mermaid_string(text: str) -> str:
    """``text`` as a quoted Mermaid label: quotes, ``#``, ``<``, ``>``, ``&`` and backticks
    written as Mermaid's entity codes, so nothing in it is read as syntax, HTML or Markdown."""
    text = _clean(text)
    for raw, code in _MERMAID_ESCAPES:
        text = text.replace(raw, code)
    return f'"{text}"'


def _mermaid_node(n: Node) -> str:
    left, right = _MERMAID_SHAPE[n.kind]
    label = "<br>".join(mermaid_string(x)[1:-1] for x in n.lines)
    return f'{n.id}{left}"{label}"{right}'


def to_mermaid(scenario: Scenario | Diagram) -> str:
    """The influence diagram as a Mermaid flowchart (GitHub renders it in a ``mermaid`` block)."""
    d = scenario if isinstance(scenario, Diagram) else diagram(scenario)
    # the title is YAML front matter: a JSON string is a YAML double-quoted scalar
    title = json.dumps(_clean(d.title), ensure_ascii=False)
    out = ["---", f"title: {title}", "---", "flowchart LR"]
    out += [f"  {_mermaid_node(n)}" for n in d.nodes if not n.predictor]
    if d.predictor is not None:
        out.append(f"  subgraph predictor [{mermaid_string(d.predictor)}]")
        out += [f"    {_mermaid_node(n)}" for n in d.nodes if n.predictor]
        out.append("  end")
    out += [f"  {e.tail} {_MERMAID_EDGE[e.kind]} {e.head}" for e in d.edges]
    return "\n".join(out) + "\n"


# -- SVG ----------------------------------------------------------------------------------------


def to_svg(scenario: Scenario | Diagram) -> str:
    """The influence diagram as SVG, laid out by Graphviz's ``dot`` program.

    Raises
    ------
    UsageError
        When the ``graphviz`` package or the ``dot`` program is missing (the message says how
        to install it, or to use DOT text instead).
    """
    try:
        import graphviz
    except ImportError:
        raise UsageError(SVG_MISSING) from None
    try:
        data: bytes = graphviz.Source(to_dot(scenario)).pipe(format="svg")
    except graphviz.ExecutableNotFound:
        raise UsageError(SVG_MISSING) from None
    return data.decode("utf-8")
