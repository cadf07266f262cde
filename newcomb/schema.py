"""A JSON Schema (draft 2020-12) of the scenario file format, for editors and other tools.

``newcomb schema`` prints :func:`scenario_schema`. Pointed at from a scenario file with the YAML
language server's modeline (``# yaml-language-server: $schema=./newcomb.schema.json``), it gives
VS Code and other editors completion of keys, hover text and checking as you type.

The schema describes the file's **structure**, exactly as :mod:`newcomb.io` reads it (the
top-level keys, the five variable kinds and their keys, the predictor, expressions as strings,
numbers, booleans or table expressions, labels, names). What it cannot say is left to newcomb,
which checks it when the file is read or compiled: whether an expression parses and names only
earlier variables, whether probabilities sum to 1, whether a table is nested once per name in
its ``lookup``, whether ``given`` lists exactly the observed variables. A file the schema refuses
is refused by newcomb too; the converse does not hold. See ``docs/reference/file-format.md``.
"""

from __future__ import annotations

import keyword
from typing import Any

from .expr import MAX_SOURCE, MAX_TABLE_NAMES
from .model import _IDENT, _RESERVED, MAX_NAME, PARADOX_RULES

__all__ = ["DIALECT", "scenario_schema"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/$defs/{name}"}


def _nullable(schema: Schema) -> Schema:
    return {"anyOf": [{"type": "null"}, schema]}


def _defs() -> dict[str, Schema]:
    """The named pieces: names, labels, expressions, tables, distributions, the five kinds."""
    refused = sorted(set(keyword.kwlist) | _RESERVED)
    return {
        "name": {
            "description": "An identifier: a letter, then letters, digits or _ (not a Python "
            "keyword, not reserved), at most 100 characters.",
            "type": "string",
            "pattern": _IDENT.pattern,
            "maxLength": MAX_NAME,
            "not": {"enum": refused},
        },
        "label": {
            "description": "A value a variable can take: a string, true/false or an integer.",
            "type": ["string", "boolean", "integer"],
        },
        "formula": {
            "description": "An expression in newcomb's expression language, or a number or "
            "boolean.",
            "anyOf": [
                {"type": "string", "minLength": 1, "maxLength": MAX_SOURCE},
                {"type": "number"},
                {"type": "boolean"},
            ],
        },
        "expression": {
            "description": "A formula or a table expression.",
            "anyOf": [_ref("formula"), _ref("table")],
        },
        "table": {
            "description": "A table expression: the value looked up by the values of some names.",
            "type": "object",
            "properties": {
                "lookup": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_TABLE_NAMES,
                    "uniqueItems": True,
                    "items": {"anyOf": [_ref("name"), {"const": "action"}]},
                },
                "table": _ref("table_level"),
                "default": _ref("formula"),
            },
            "required": ["lookup", "table"],
            "additionalProperties": False,
        },
        "table_level": {
            "description": "One level of a table: values of a name mapped to the next level, "
            "or, at the last level, to formulas.",
            "type": "object",
            "additionalProperties": {"anyOf": [_ref("formula"), _ref("table_level")]},
        },
        "distribution": {
            "description": "Labels mapped to probabilities (expressions).",
            "type": "object",
            "minProperties": 1,
            "additionalProperties": _ref("expression"),
        },
        "chance": _kind("chance", "A finite distribution.", {"chance": _ref("distribution")}),
        "value": _kind("value", "A deterministic expression.", {"value": _ref("expression")}),
        "prediction": _kind(
            "predicts",
            "A prediction of the agent's action, self-referential or, with given, of the act on "
            "a hypothetical observation.",
            {
                "predicts": {
                    "description": "action, or the name of a decision point (decide variable).",
                    "$ref": "#/$defs/name_or_action",
                },
                "accuracy": {
                    "description": "The probability that the prediction is right: one "
                    "expression, or a mapping from each action (the act predicted) to one.",
                    "anyOf": [
                        _ref("expression"),
                        {
                            "type": "object",
                            "minProperties": 2,
                            "propertyNames": {"type": "string", "minLength": 1},
                            "additionalProperties": _ref("expression"),
                        },
                    ],
                },
                "given": _nullable({"type": "object", "additionalProperties": _ref("label")}),
            },
        ),
        "select": _kind(
            "select",
            "A value the predictor chooses together with its prediction.",
            {
                "select": {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": _ref("label"),
                }
            },
        ),
        "correlate": _kind(
            "correlate",
            "A variable correlated with the act: P(value | act) per action, and its prior.",
            {
                "correlate": {
                    "type": "object",
                    "minProperties": 1,
                    "additionalProperties": _ref("distribution"),
                },
                "prior": _ref("distribution"),
            },
            also=("prior",),
        ),
        "decide": _kind(
            "decide",
            "A decision point; points sharing an information-set name form one information set.",
            {
                "decide": _ref("name"),
                "observes": _nullable(
                    {"type": "array", "uniqueItems": True, "items": _ref("name")}
                ),
                "actions": {
                    "type": "array",
                    "minItems": 2,
                    "uniqueItems": True,
                    "items": {"type": "string", "minLength": 1},
                },
                "when": _ref("expression"),
            },
        ),
        "name_or_action": {"anyOf": [_ref("name"), {"const": "action"}]},
        "variable": {
            "description": "A variable: exactly one of chance, value, predicts, select, "
            "correlate, decide.",
            "oneOf": [
                _ref(k) for k in ("chance", "value", "prediction", "select", "correlate", "decide")
            ],
        },
    }


def _kind(key: str, description: str, properties: Schema, also: tuple[str, ...] = ()) -> Schema:
    return {
        "description": description,
        "type": "object",
        "properties": properties,
        "required": [key, *also],
        "additionalProperties": False,
    }


def _top() -> Schema:
    """The top-level keys (``io._TOP``), with the required ones."""
    return {
        "newcomb": {"description": "The format version.", "const": 1},
        "name": {"type": "string", "pattern": "\\S"},
        "summary": {"type": "string"},
        "description": {"type": "string"},
        "references": {"type": "array", "items": {"type": "string"}},
        "parameters": _nullable(
            {
                "type": "object",
                "propertyNames": _ref("name"),
                "additionalProperties": {
                    "description": "An exact number (1/2, 0.99, 1e6) or an expression of "
                    "earlier parameters.",
                    "anyOf": [{"type": "number"}, {"type": "string"}, _ref("table")],
                },
            }
        ),
        "actions": {
            "description": "The agent's options.",
            "type": "array",
            "minItems": 2,
            "uniqueItems": True,
            "items": {"type": "string", "minLength": 1},
        },
        "variables": {
            "description": "Variable names mapped to their specs, in order.",
            "type": "object",
            "propertyNames": _ref("name"),
            "additionalProperties": _ref("variable"),
        },
        "observes": _nullable({"type": "array", "uniqueItems": True, "items": _ref("name")}),
        "utility": _ref("expression"),
        "predictor": {
            "type": "object",
            "properties": {
                "prefer": _nullable(_ref("expression")),
                "on_paradox": {"enum": list(PARADOX_RULES)},
            },
            "additionalProperties": False,
        },
        "physical": _ref("name"),
    }


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file (format version 1) as plain data.

    Examples
    --------
    >>> s = scenario_schema()
    >>> s["$schema"]
    'https://json-schema.org/draft/2020-12/schema'
    >>> s["required"]
    ['newcomb', 'name', 'actions', 'variables', 'utility']
    """
    return {
        "$schema": DIALECT,
        "title": "newcomb scenario",
        "description": "A Newcomb-like problem for newcomb (scenario file format version 1). "
        "See docs/reference/file-format.md.",
        "type": "object",
        "properties": _top(),
        "required": ["newcomb", "name", "actions", "variables", "utility"],
        "additionalProperties": False,
        "$defs": _defs(),
    }
