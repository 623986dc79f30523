"""Check that a ``--screenshot`` PNG shows a real window, not an empty or failed one.

Used by the packaging smoke tests (``.ci/run``)::

    python packaging/check_screenshot.py OUT.png

Exits 1 with the reason when the file is missing, smaller than 10 kB, smaller than
800x500 pixels, or a single colour.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

MIN_BYTES = 10_000
MIN_WIDTH, MIN_HEIGHT = 800, 500


def problems(path: Path) -> list[str]:
    """Return what is wrong with a screenshot, empty if it looks like the window.

    Parameters
    ----------
    path : pathlib.Path
        The PNG written by ``conv-workbench --screenshot``.

    Returns
    -------
    list of str
        One message per failed check.
    """
    if not path.is_file():
        return [f"{path}: missing"]
    found = []
    size = path.stat().st_size
    if size < MIN_BYTES:
        found.append(f"{path}: {size} bytes, expected at least {MIN_BYTES}")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        return [*found, f"{path}: not a readable image"]
    height, width = image.shape[:2]
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        found.append(f"{path}: {width}x{height} pixels, expected at least "
                     f"{MIN_WIDTH}x{MIN_HEIGHT}")
    colours = np.unique(image.reshape(-1, image.shape[2]), axis=0)
    if len(colours) < 2:
        found.append(f"{path}: a single colour")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Check the screenshots named on the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        PNG paths; defaults to ``sys.argv[1:]``.

    Returns
    -------
    int
        0 if every file passes, 1 otherwise.
    """
    paths = [Path(arg) for arg in (sys.argv[1:] if argv is None else argv)]
    failed = [message for path in paths for message in problems(path)]
    for message in failed:
        print(message, file=sys.stderr)
    for path in paths:
        if not failed:
            print(f"ok {path} ({path.stat().st_size // 1024} kB)")
    return 1 if failed or not paths else 0


if __name__ == "__main__":
    sys.exit(main())
