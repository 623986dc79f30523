"""Shared test setup: hypothesis profiles and the optional-PyTorch fixture.

Profiles (choose with ``HYPOTHESIS_PROFILE``; ``ci`` is the default): ``ci`` runs 80
examples per property, ``dev`` 20 for quick local loops, ``thorough`` 1000.
"""

import os

import pytest
from hypothesis import settings

# Tests call the core from the main thread and from the GUI's compute thread; spinning
# OpenMP teams of the two threads would fight over 2 cores (like the app, see gui/app.py).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

settings.register_profile("ci", max_examples=80, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=20, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def torch():
    """The ``torch`` module; tests using it are skipped where PyTorch is not installed."""
    return pytest.importorskip("torch")
