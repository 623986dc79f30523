"""Choose numba's threading layer before any parallel kernel runs.

The OpenMP layer spins its idle threads after each parallel region; when the GUI's
compute thread and another thread (tests, the hover inspector) both call the core, the
two OpenMP teams fight over the 2 cores and every call slows down ~10x (measured:
0.8 ms -> 8 ms per stage). Every kernel call is serialised by ``conv.KERNEL_LOCK``, so
numba's own ``workqueue`` layer — not safe for concurrent entry — is safe here and
does not spin. ``NUMBA_THREADING_LAYER`` in the environment still wins.
"""

import os

import numba

if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"  # type: ignore[attr-defined]
