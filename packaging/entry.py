"""Entry script of the PyInstaller bundle (``packaging/conv-workbench.spec``).

The numba cache directory is set by the runtime hook ``pyi_rth_numba_cache.py``, which runs
before this script.
"""

import multiprocessing
import sys

from workbench.cli import main

if __name__ == "__main__":
    # `apply --workers N` starts spawn workers: in a frozen app they re-run this executable.
    multiprocessing.freeze_support()
    sys.exit(main())
