"""Compiled sweeps agree with solving each point exactly."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

import newcomb
from newcomb.series import leading
from newcomb.sweep import parse_grid, sweep
from newcomb.theories import builtin_theories
from newcomb.thresholds import policies_at, verdict_key
from newcomb.world import Model


@pytest.mark.parametrize(
    ("path", "grid"),
    [
        ("scenarios/newcomb.yaml", "q=0:1:2001"),
        ("scenarios/transparent_newcomb.yaml", "q=0:1:1999"),
        ("scenarios/omicron.yaml", "p=0:1:101"),
        ("scenarios/xor_blackmail.yaml", "p=1/10:9/10:81"),
        # mixed equilibria, whose probabilities move with the parameter
        ("scenarios/death_in_damascus.yaml", "flight=-2000000:2000000:81"),
        ("scenarios/death_in_damascus_coin.yaml", "price=-600000:600000:49"),
        ("scenarios/psychopath_button.yaml", "base=0:1:41"),
        ("scenarios/murder_lesion.yaml", "base=0:1:41"),
        ("scenarios/adversarial_offer.yaml", "q=0:1:61"),
    ],
)
def test_sample_of_points_equals_per_point_exact_solving(path: str, grid: str) -> None:
    s = newcomb.load(path)
    g = parse_grid(grid)
    result = sweep(s, builtin_theories(), g)
    theories = {t.name: t for t in builtin_theories()}
    sample = sorted({0, g.count - 1, *range(0, g.count, max(1, g.count // 17))})
    for col in result.columns:
        for k in sample:
            x = g.point(k)
            m = Model(s.with_parameters(**{g.parameter: x}))
            exact = tuple(theories[col.theory].decide(m).policies)  # type: ignore[union-attr]
            region = col.thresholds.regions[int(col.region[k])]
            here = tuple(_reindex(m, result.model, pi) for pi in exact)
            assert verdict_key(region.policies) == verdict_key(here), (col.theory, x)
            if not region.point:  # the policies shown hold at x: mixtures as formulas in it
                assert policies_at(region.shown, g.parameter, x) == here, (col.theory, x)
            v = newcomb.query.value(m, exact[0]) if exact else None
            got = float(col.values[k])
            if v is None:
                assert got != got  # NaN where undefined
            else:
                assert got == pytest.approx(float(leading(v)), rel=1e-12, abs=1e-9), (col.theory, x)


def _reindex(src: Model, dst: Model, pi: tuple[tuple[F, ...], ...]) -> tuple[tuple[F, ...], ...]:
    from newcomb.thresholds import _translate

    return _translate(src, dst, pi)


def test_threshold_points_are_hit_exactly() -> None:
    s = newcomb.load("scenarios/newcomb.yaml")
    result = sweep(s, builtin_theories(), parse_grid("q=0:1:2001"))
    edt = next(c for c in result.columns if c.theory == "EDT")
    k = 1001  # q = 1001/2000 exactly
    assert result.grid.point(k) == F(1001, 2000)
    region = edt.thresholds.regions[int(edt.region[k])]
    assert region.point and len(region.policies or ()) == 2
    assert edt.region[k - 1] != edt.region[k] != edt.region[k + 1]


def test_bad_grids() -> None:
    for spec in ("q", "q=0:1", "q=1:0:5", "q=a:1:5", "q=0:1:0"):
        with pytest.raises(newcomb.UsageError):
            parse_grid(spec)
