"""Hypothesis settings profiles for the property suite.

Three profiles are registered:

``quick``
    The default for a local run: few examples per property, so that the whole property suite
    (``tests/test_properties.py`` and ``tests/test_contract.py``) runs well under a minute.
``ci``
    The thorough run: many more examples per property. It is selected when the environment
    variable ``CI`` is set (as CI services do), or explicitly with ``HYPOTHESIS_PROFILE=ci``.

``explore``
    1,500 examples with a fresh seed each run, to look for new counterexamples locally. The
    ``ci`` profile is derandomized so that a landing never depends on luck.

``HYPOTHESIS_PROFILE`` names a profile and wins over ``CI``. No profile has a deadline: the
engine's exact arithmetic makes the time per example vary too much for one to be meaningful.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "quick",
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
    # The same examples on every run: a landing depends on a green CI, so CI must not flake.
    # Explore new examples locally with HYPOTHESIS_PROFILE=explore.
    derandomize=True,
)
settings.register_profile(
    "explore",
    max_examples=1500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)

settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "quick")
)
