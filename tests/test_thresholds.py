"""Exact thresholds in one parameter, cross-checked against solving at points."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

import newcomb
from newcomb.theories import CDT, EDT, FDT, Theory
from newcomb.thresholds import thresholds, verdict_key
from newcomb.world import Model


def test_newcomb_thresholds() -> None:
    s = newcomb.load("scenarios/newcomb.yaml")
    assert thresholds(s, CDT(), "q").points == ()
    for theory in (EDT(), FDT()):
        th = thresholds(s, theory, "q")
        assert th.points == (F(1001, 2000),)
        valid = [r for r in th.regions if r.policies is not None]
        assert (valid[0].lo, valid[0].lo_closed) == (0, True)
        assert (valid[-1].hi, valid[-1].hi_closed) == (1, True)
        invalid = [r for r in th.regions if r.policies is None]
        assert [(r.lo, r.hi) for r in invalid] == [(None, 0), (1, None)]


def test_transparent_newcomb_fdt_threshold() -> None:
    th = thresholds(newcomb.load("scenarios/transparent_newcomb.yaml"), FDT(), "q")
    assert F(1000, 1999) in th.points  # q·1e6 + (1−q)·1e3 = q·1e3 + (1−q)·1001000


@pytest.mark.parametrize("theory", [CDT(), EDT(), FDT()], ids=lambda t: t.name)
@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("scenarios/newcomb.yaml", "q"),
        ("scenarios/transparent_newcomb.yaml", "q"),
        ("scenarios/omicron.yaml", "p"),
    ],
)
def test_regions_agree_with_solving_at_points(path: str, param: str, theory: Theory) -> None:
    s = newcomb.load(path)
    th = thresholds(s, theory, param)
    for r in th.regions:
        if r.policies is None or r.lo is None or r.hi is None:
            continue
        probes = [r.lo + (r.hi - r.lo) * F(k, 7) for k in range(1, 7)] if not r.point else [r.lo]
        for x in probes:
            m = Model(s.with_parameters(**{param: x}))
            got = tuple(theory.decide(m).policies)  # type: ignore[union-attr]
            assert verdict_key(got) == verdict_key(r.policies), (x, r)


def test_unknown_parameter() -> None:
    with pytest.raises(newcomb.ScenarioError, match="no parameter named 'z'"):
        thresholds(newcomb.load("scenarios/newcomb.yaml"), EDT(), "z")
