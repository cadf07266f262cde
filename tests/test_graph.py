"""Influence diagrams (newcomb.graph, ``newcomb graph``): shapes, edges, escaping, SVG."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import newcomb
from newcomb.cli import app
from newcomb.errors import UsageError
from newcomb.graph import SVG_MISSING, diagram, to_dot, to_mermaid, to_svg
from newcomb.model import Prediction, Scenario, Select, Value

ROOT = Path(__file__).parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
runner = CliRunner()

_DOT_NODE = re.compile(r"^\s*(\w+) \[(.*)\];$")
_DOT_EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?;$")


def dot_structure(text: str) -> tuple[dict[str, str], dict[tuple[str, str], str], set[str]]:
    """Nodes (id -> attributes), edges ((tail, head) -> attributes) and the ids inside the
    predictor's cluster, read off the DOT text line by line."""
    nodes: dict[str, str] = {}
    edges: dict[tuple[str, str], str] = {}
    cluster: set[str] = set()
    inside = False
    for line in text.splitlines():
        if line.strip() == "subgraph cluster_predictor {":
            inside = True
        elif line.strip() == "}":
            inside = False
        elif m := _DOT_EDGE.match(line):
            edges[(m[1], m[2])] = m[3] or ""
        elif m := _DOT_NODE.match(line):
            nodes[m[1]] = m[2]
            if inside:
                cluster.add(m[1])
    return nodes, edges, cluster


_MM_NODE = re.compile(r'^\s*(\w+)(\(\[|\(\(\(|\[|\{)"(.*)"(\]\)|\)\)\)|\]|\})$')
_MM_EDGE = re.compile(r"^\s*(\w+) (-->|-\.->\|predicts\||-\.-\|correlated\|) (\w+)$")


def mermaid_structure(text: str) -> tuple[dict[str, str], dict[tuple[str, str], str], set[str]]:
    """Nodes (id -> opening bracket), edges ((tail, head) -> arrow), ids in the predictor box."""
    nodes: dict[str, str] = {}
    edges: dict[tuple[str, str], str] = {}
    cluster: set[str] = set()
    inside = False
    for line in text.splitlines():
        if line.strip().startswith("subgraph predictor "):
            inside = True
        elif line.strip() == "end":
            inside = False
        elif m := _MM_EDGE.match(line):
            edges[(m[1], m[3])] = m[2]
        elif m := _MM_NODE.match(line):
            nodes[m[1]] = m[2]
            if inside:
                cluster.add(m[1])
    return nodes, edges, cluster


OMICRON_EDGES = {
    ("d_action", "v_prediction"),  # the prediction of the decision
    ("v_prediction", "v_box"),
    ("v_omicron", "v_coincide"),
    ("v_box", "v_coincide"),
    ("v_coincide", "d_action"),  # observed
    ("d_action", "u_utility"),
    ("v_omicron", "u_utility"),
    ("v_box", "u_utility"),
}


def test_omicron_dot_shapes_and_edges() -> None:
    nodes, edges, cluster = dot_structure(to_dot(newcomb.load(ROOT / "scenarios/omicron.yaml")))
    assert "shape=ellipse" in nodes["v_omicron"] and "peripheries" not in nodes["v_omicron"]
    assert "shape=ellipse, peripheries=2" in nodes["v_box"]  # deterministic
    assert "shape=ellipse, peripheries=2" in nodes["v_coincide"]
    assert "shape=ellipse" in nodes["v_prediction"]
    assert "shape=box" in nodes["d_action"]
    assert "shape=diamond" in nodes["u_utility"]
    assert set(nodes) == {"v_omicron", "v_prediction", "v_box", "v_coincide"} | {
        "d_action",
        "u_utility",
    }
    assert set(edges) == OMICRON_EDGES
    assert "style=dashed" in edges[("d_action", "v_prediction")]
    assert all("dashed" not in a for e, a in edges.items() if e != ("d_action", "v_prediction"))
    assert cluster == {"v_prediction"}
    assert 'label="predictor (prefers coincide; on paradox: fail)"' in to_dot(
        newcomb.load(ROOT / "scenarios/omicron.yaml")
    )


def test_omicron_mermaid_shapes_and_edges() -> None:
    nodes, edges, cluster = mermaid_structure(
        to_mermaid(newcomb.load(ROOT / "scenarios/omicron.yaml"))
    )
    assert nodes == {
        "v_omicron": "([",
        "v_prediction": "([",
        "v_box": "(((",
        "v_coincide": "(((",
        "d_action": "[",
        "u_utility": "{",
    }
    assert set(edges) == OMICRON_EDGES
    assert edges[("d_action", "v_prediction")] == "-.->|predicts|"
    assert {a for e, a in edges.items() if e != ("d_action", "v_prediction")} == {"-->"}
    assert cluster == {"v_prediction"}


def test_transparent_newcomb_prediction_given_observation() -> None:
    s = newcomb.load(ROOT / "scenarios/transparent_newcomb.yaml")
    text = to_dot(s)
    nodes, edges, cluster = dot_structure(text)
    assert set(edges) == {
        ("d_action", "v_prediction"),
        ("v_prediction", "v_box"),
        ("v_box", "d_action"),
        ("d_action", "u_utility"),
        ("v_box", "u_utility"),
    }
    assert "style=dashed" in edges[("d_action", "v_prediction")]
    assert cluster == {"v_prediction"}
    assert "given box = full (accuracy q)" in nodes["v_prediction"]
    mnodes, medges, mcluster = mermaid_structure(to_mermaid(s))
    assert set(medges) == set(edges) and mcluster == cluster
    assert mnodes["v_box"] == "(((" and mnodes["d_action"] == "["


def test_select_and_correlate() -> None:
    s = newcomb.load(ROOT / "scenarios/omicron_consistent.yaml")
    nodes, edges, cluster = dot_structure(to_dot(s))
    assert cluster == {"v_prediction", "v_hide"}  # selected values are the predictor's
    assert "selected: false | true" in nodes["v_hide"]
    assert ("v_hide", "v_coincide") in edges
    lesion = newcomb.load(ROOT / "scenarios/smoking_lesion.yaml")
    nodes, edges, cluster = dot_structure(to_dot(lesion))
    assert cluster == set()
    assert "subgraph" not in to_dot(lesion) and "subgraph" not in to_mermaid(lesion)
    assert "dir=none" in edges[("v_lesion", "d_action")]
    assert ("v_lesion", "v_cancer") in edges


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_scenario_diagram_is_well_formed(path: Path) -> None:
    s = newcomb.load(path)
    d = diagram(s)
    ids = [n.id for n in d.nodes]
    assert len(ids) == len(set(ids)) == len(s.variables) + 2
    assert {e.tail for e in d.edges} | {e.head for e in d.edges} <= set(ids)
    for v in s.variables:
        if isinstance(v, Prediction):
            assert any(
                e.kind == "prediction" and e.tail == "d_action" and e.head == f"v_{v.name}"
                for e in d.edges
            )
    for o in s.observes:
        assert any(e.kind == "information" and e.tail == f"v_{o}" for e in d.edges)
    dnodes, dedges, dcluster = dot_structure(to_dot(d))
    mnodes, medges, mcluster = mermaid_structure(to_mermaid(d))
    assert set(dnodes) == set(mnodes) == set(ids)
    assert set(dedges) == set(medges) == {(e.tail, e.head) for e in d.edges}
    assert dcluster == mcluster == {n.id for n in d.nodes if n.predictor}


NASTY = ['a"]; evil -> x [l="', "b\\N\\l<br>#quot;`", "</div> &\nc"]  # under 60 in all


def nasty_scenario() -> Scenario:
    return Scenario(
        name='Hostile "name" } ];\n-->',
        actions=NASTY,
        variables=[
            Prediction(name="p", accuracy=1),
            Select(name="s", options=['x"]', "y{z}", 'w")']),
            Value(name="v", expr="s == 'x\"]'"),
        ],
        utility="(action == 'b\\\\N\\\\l<br>#quot;`') + (v == true)",
    )


def test_dot_escapes_text_from_the_file() -> None:
    text = to_dot(nasty_scenario())
    for line in text.splitlines():
        plain = line.replace("\\\\", "").replace('\\"', "")
        assert plain.count('"') % 2 == 0, line  # every string closed on its line
    nodes, edges, _ = dot_structure(text)
    assert set(nodes) == {"v_p", "v_s", "v_v", "d_action", "u_utility"}
    assert len(edges) == len(diagram(nasty_scenario()).edges)
    assert "evil" not in {t for t, _ in edges}
    assert '\\"]; evil -> x [l=\\"' in text
    assert "b\\\\N\\\\l" in text  # no Graphviz label escapes survive
    assert all(line.startswith(("digraph", " ", "}")) for line in text.splitlines())


def test_mermaid_escapes_text_from_the_file() -> None:
    text = to_mermaid(nasty_scenario())
    body = text.split("flowchart LR\n", 1)[1]
    nodes, edges, _ = mermaid_structure(text)
    assert set(nodes) == {"v_p", "v_s", "v_v", "d_action", "u_utility"}
    assert len(edges) == len(diagram(nasty_scenario()).edges)
    for line in body.splitlines():
        m = re.search(r'"(.*)"', line)
        if m:
            inner = m[1]
            assert '"' not in inner and "`" not in inner
            assert "<" not in inner.replace("<br>", "")
    assert "#35;quot;" in body and "#lt;/div#gt;" in body and "#38;" in body
    title = text.splitlines()[1]
    assert title == 'title: "Hostile \\"name\\" } ]; -->"'


def cli(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_cli_dot_and_mermaid() -> None:
    path = str(ROOT / "scenarios/omicron.yaml")
    s = newcomb.load(path)
    assert cli("graph", path) == (0, to_dot(s), "")
    assert cli("graph", path, "--format", "mermaid") == (0, to_mermaid(s), "")


def test_cli_graph_errors_are_one_line() -> None:
    code, out, err = cli("graph", str(ROOT / "scenarios/omicron.yaml"), "--format", "png")
    assert code == 2 and out == ""
    assert err == "error: --format 'png': expected one of dot, mermaid, svg\n"
    code, out, err = cli("graph", str(ROOT / "tests/bad/two_kinds.yaml"))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "two_kinds.yaml:" in err and "expected exactly one of" in err


def test_svg_without_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    graphviz = pytest.importorskip("graphviz")

    def missing(self: object, *args: object, **kwargs: object) -> bytes:
        raise graphviz.ExecutableNotFound(("dot",))

    monkeypatch.setattr(graphviz.Source, "pipe", missing)
    code, out, err = cli("graph", str(ROOT / "scenarios/omicron.yaml"), "--format", "svg")
    assert (code, out, err) == (2, "", f"error: {SVG_MISSING}\n")
    assert "apt-get install graphviz" in err and "--format dot" in err


def test_svg_without_the_graphviz_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz raises ImportError
    with pytest.raises(UsageError, match="needs Graphviz's 'dot' program"):
        to_svg(newcomb.load(ROOT / "scenarios/omicron.yaml"))


def test_svg_with_dot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    graphviz = pytest.importorskip("graphviz")
    seen: list[tuple[str, object]] = []

    def pipe(self: Any, *args: object, **kwargs: object) -> bytes:
        seen.append((self.source, kwargs.get("format")))
        return b"<svg/>"

    monkeypatch.setattr(graphviz.Source, "pipe", pipe)
    path = str(ROOT / "scenarios/omicron.yaml")
    assert cli("graph", path, "-f", "svg") == (0, "<svg/>", "")
    out = tmp_path / "omicron.svg"
    assert cli("graph", path, "-f", "svg", "-o", str(out)) == (0, "", "")
    assert out.read_text() == "<svg/>"
    assert seen == [(to_dot(newcomb.load(path)), "svg")] * 2


def test_graph_is_lazy() -> None:
    import subprocess

    code = "import newcomb.graph, sys; print('graphviz' in sys.modules, 'rich' in sys.modules)"
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert r.stdout.split() == ["False", "False"]


def test_help_and_reference_list_the_new_commands() -> None:
    reference = (ROOT / "docs" / "reference" / "cli.md").read_text()
    code, out, _ = cli("--help")
    assert code == 0
    for command in ("graph", "schema"):
        assert re.search(rf"│ {command} ", out), command
        assert f"## `newcomb {command}`" in reference
    code, out, _ = cli("compare", "--help")
    assert code == 0 and "--latex" in out
    assert "| `--latex` |" in reference


def test_svg_through_the_real_graphviz() -> None:
    """Unmocked: an SVG drawing where Graphviz's dot is installed, the message where not."""
    import shutil

    pytest.importorskip("graphviz")
    s = newcomb.load(ROOT / "scenarios/omicron.yaml")
    try:
        svg = to_svg(s)
    except UsageError as e:
        assert str(e) == SVG_MISSING
        assert shutil.which("dot") is None
    else:
        assert "<svg" in svg and "omicron" in svg and "predictor" in svg
