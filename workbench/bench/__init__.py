"""Benchmarks, outside the import tree: nothing in the package imports them but the CLI.

:mod:`workbench.bench.compare` times the core against OpenCV, SciPy and PyTorch
(``conv-workbench bench``). The live benchmark streams video through the real window, so it
is GUI code and lives at :mod:`workbench.gui.live.bench` (``conv-workbench bench --live``).
"""
