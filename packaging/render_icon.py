"""Render the app icon ``resources/icons/app.svg`` to the 256x256 PNG next to it.

The SVG is the source (a 3x3 kernel over an image tile); the PNG is for the window icon and
the ``256x256/apps`` icon of the desktop file::

    python packaging/render_icon.py [--size 256] [--out resources/icons/app.png]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"


def render(svg: Path, out: Path, size: int) -> None:
    """Render an SVG file to a square transparent PNG.

    Parameters
    ----------
    svg : pathlib.Path
        Source SVG.
    out : pathlib.Path
        Destination PNG.
    size : int
        Width and height in pixels.

    Raises
    ------
    OSError
        If the SVG cannot be read or the PNG cannot be written.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise OSError(f"cannot read {svg} as SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(str(out)):
        raise OSError(f"cannot write {out}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line interface.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; defaults to ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svg", type=Path, default=ICONS / "app.svg")
    parser.add_argument("--out", type=Path, default=ICONS / "app.png")
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args(argv)
    render(args.svg, args.out, args.size)
    print(f"wrote {args.out} ({args.size}x{args.size})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
