"""The core package as a whole: no GUI imports, public names, doctests, warm-up."""

import doctest
import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import workbench.core

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(m.name for m in pkgutil.walk_packages(workbench.core.__path__,
                                                        "workbench.core."))


def test_importing_the_core_loads_no_gui_or_opencv():
    code = ("import sys, workbench.core; "
            "print(sorted({m.split('.')[0] for m in sys.modules} "
            "& {'PySide6', 'pyqtgraph', 'cv2', 'shiboken6'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO_ROOT,
                         env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_public_names_exist():
    for name in workbench.core.__all__:
        assert hasattr(workbench.core, name), name
    assert len(set(workbench.core.__all__)) == len(workbench.core.__all__)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"


def test_the_public_functions_have_doctests():
    # Every module with public functions shows at least one worked example.
    finder = doctest.DocTestFinder()
    for name in ("activations", "conv", "pooling", "pipeline", "shapes", "geometry", "image",
                 "keras_interop", "presets", "warmup"):
        module = importlib.import_module(f"workbench.core.{name}")
        assert any(t.examples for t in finder.find(module)), name
