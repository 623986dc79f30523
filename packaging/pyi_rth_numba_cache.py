"""PyInstaller runtime hook: give numba (and Python's bytecode) a writable per-user cache.

A frozen app cannot write ``__pycache__`` next to its modules (the bundle may be read-only
and is replaced by every update), so compiled kernels (``@njit(cache=True)``) go to
``$XDG_CACHE_HOME/conv-workbench/numba`` (default ``~/.cache/conv-workbench/numba``) and the
bytecode of the app's modules (shipped as ``.py``, see the spec) to ``.../pycache``. numba
keys a frozen app's cache entries on a hash of the executable, so a rebuilt bundle
recompiles instead of loading stale code. An explicit ``NUMBA_CACHE_DIR`` is respected.
"""

import os
import sys

if getattr(sys, "frozen", False):
    _base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    _cache = os.path.join(_base, "conv-workbench")
    if not os.environ.get("NUMBA_CACHE_DIR"):
        os.environ["NUMBA_CACHE_DIR"] = os.path.join(_cache, "numba")
    if sys.pycache_prefix is None:
        # The bootloader turns bytecode writing off; with the prefix it goes to the cache.
        sys.pycache_prefix = os.path.join(_cache, "pycache")
        sys.dont_write_bytecode = False
