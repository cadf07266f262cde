"""newcomb: a decision-theory engine for Newcomb-like problems.

Describe a problem with a predictor in it (as YAML or as Python objects), and see what causal,
evidential and functional decision theory do, what each gets, and whether the predictor the
problem describes can exist at all for that agent.
"""

from __future__ import annotations

from .errors import LimitError, NewcombError, ScenarioError, UsageError
from .io import dumps, load, loads
from .model import (
    Chance,
    Correlate,
    Policy,
    Prediction,
    Predictor,
    Scenario,
    Select,
    Value,
)
from .report import ScenarioReport, analyse
from .simulate import simulate
from .theories import CDT, EDT, FDT, Decision, Theory, as_theory
from .world import Limits, Model

__version__ = "0.1.0"

__all__ = [
    "CDT",
    "EDT",
    "FDT",
    "Chance",
    "Correlate",
    "Decision",
    "LimitError",
    "Limits",
    "Model",
    "NewcombError",
    "Policy",
    "Prediction",
    "Predictor",
    "Scenario",
    "ScenarioError",
    "ScenarioReport",
    "Select",
    "Theory",
    "UsageError",
    "Value",
    "__version__",
    "analyse",
    "as_theory",
    "dumps",
    "load",
    "loads",
    "simulate",
]
