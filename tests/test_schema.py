"""The JSON Schema of the scenario format (newcomb.schema, ``newcomb schema``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from newcomb import io
from newcomb.cli import app
from newcomb.errors import key_text
from newcomb.schema import DIALECT, scenario_schema

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))

# Files in tests/bad whose mistake is in the structure (a key, a type, a kind, a count), which
# the schema must refuse. The other bad files are refused by newcomb for reasons a schema cannot
# state (an expression that does not parse, an unknown name, an observed variable that depends
# on the act, YAML newcomb refuses before any structure exists).
STRUCTURALLY_BROKEN = [
    "accuracy_list",
    "action_not_string",
    "actions_not_list",
    "chance_list",
    "correlate_no_prior",
    "duplicate_action",
    "expression_too_long",
    "missing_actions",
    "missing_utility",
    "name_not_string",
    "no_kind",
    "not_a_mapping",
    "observes_string",
    "on_paradox_unknown",
    "on_paradox_yes",
    "one_action",
    "parameter_boolean",
    "parameters_list",
    "reserved_variable",
    "scalar_document",
    "select_empty",
    "table_unknown_key",
    "two_kinds",
    "unknown_predictor_key",
    "unknown_top_key",
    "unknown_variable_key",
    "value_null",
    "variables_list",
    "version_2",
    "version_string",
]
# ... and some that are well-formed structurally: the schema must accept them, since what is
# wrong with them is newcomb's to find.
STRUCTURALLY_SOUND = [
    "predicts_not_action",  # a name: a decision point's, as far as the schema can tell
    "action_in_accuracy",
    "forward_reference",
    "given_not_observed",
    "lambda",
    "observe_after_action",
    "unknown_name",
]


def plain_data(path: Path) -> Any:
    """The file as plain data, read exactly as newcomb reads it (YAML 1.2 scalars, no tags,
    no aliases), with mapping keys as strings, as JSON and the YAML language server see them."""
    data, _ = io.load_data(path)
    return keys_as_text(data)


def keys_as_text(x: Any) -> Any:
    if isinstance(x, dict):
        return {key_text(k): keys_as_text(v) for k, v in x.items()}
    if isinstance(x, list):
        return [keys_as_text(v) for v in x]
    return x


@pytest.fixture(scope="module")
def validator() -> Any:
    schema = scenario_schema()
    jsonschema.Draft202012Validator.check_schema(schema)  # a valid draft 2020-12 schema
    return jsonschema.Draft202012Validator(schema)


def test_schema_is_draft_2020_12_and_closed() -> None:
    s = scenario_schema()
    assert s["$schema"] == DIALECT == "https://json-schema.org/draft/2020-12/schema"
    assert set(s["properties"]) == io._TOP
    assert s["additionalProperties"] is False
    kinds = {d["required"][0] for k, d in s["$defs"].items() if k in _KIND_DEFS}
    assert kinds == set(io._KINDS)
    for k in _KIND_DEFS:
        d = s["$defs"][k]
        assert d["additionalProperties"] is False
        assert set(d["properties"]) == {d["required"][0]} | io._KINDS[d["required"][0]]


_KIND_DEFS = ("chance", "value", "prediction", "select", "correlate", "decide")


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_bundled_scenario_validates(validator: Any, path: Path) -> None:
    errors = [e.message for e in validator.iter_errors(plain_data(path))]
    assert errors == []


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_what_newcomb_writes_validates(validator: Any, path: Path, tmp_path: Path) -> None:
    out = tmp_path / path.name
    out.write_text(io.dumps(io.load(path)), encoding="utf-8")
    assert [e.message for e in validator.iter_errors(plain_data(out))] == []


@pytest.mark.parametrize("name", STRUCTURALLY_BROKEN)
def test_structurally_broken_files_fail(validator: Any, name: str) -> None:
    path = ROOT / "tests" / "bad" / f"{name}.yaml"
    with pytest.raises(Exception):  # noqa: B017 - newcomb refuses it too, whatever the error
        io.load(path)
    assert list(validator.iter_errors(plain_data(path))), f"{name} passed the schema"


@pytest.mark.parametrize("name", STRUCTURALLY_SOUND)
def test_mistakes_in_expressions_are_not_the_schemas(validator: Any, name: str) -> None:
    path = ROOT / "tests" / "bad" / f"{name}.yaml"
    assert list(validator.iter_errors(plain_data(path))) == []


def test_table_expressions_and_labels(validator: Any) -> None:
    doc = {
        "newcomb": 1,
        "name": "t",
        "actions": ["a", "b"],
        "variables": {
            "x": {"chance": {"x0": "1/2", "x1": {"lookup": ["action"], "table": {"a": 1}}}},
            "y": {"select": [True, 3, "s"]},
        },
        "utility": {"lookup": ["x", "action"], "table": {"x0": {"a": 1}}, "default": 0},
    }
    assert list(validator.iter_errors(doc)) == []
    doc["utility"] = {"lookup": [], "table": {}}
    assert list(validator.iter_errors(doc))
    doc["utility"] = 1
    doc["variables"]["y"] = {"select": [1.5]}
    assert list(validator.iter_errors(doc))


def test_cli_prints_the_schema() -> None:
    r = CliRunner().invoke(app, ["schema"])
    assert r.exit_code == 0 and r.stderr == ""
    assert json.loads(r.stdout) == scenario_schema()
    assert r.stdout.startswith('{\n  "$schema": "https://json-schema.org/draft/2020-12/schema"')
