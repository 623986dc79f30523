"""Generate the small teaching input images shipped in ``resources/samples/``.

The images are drawn deterministically from integer coordinates (no anti-aliasing, no
randomness), so running the script again reproduces the committed PNGs pixel for pixel::

    python packaging/make_teaching_images.py            # (re)write the PNGs
    python packaging/make_teaching_images.py --check    # exit 1 if a committed PNG differs

All images are single-channel 8-bit grayscale. They are made by this project and dedicated to
the public domain (CC0 1.0), see ``resources/LICENSES.md``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

DEFAULT_OUT_DIR = Path(__file__).resolve().parent.parent / "resources" / "samples"

# A stroke with a soft flag at the top and a slight slant at the foot, like an MNIST "1"
# scaled down; the grays are the anti-aliasing a pen stroke leaves at this size.
DIGIT_ONE_4X4 = np.array(
    [
        [0, 128, 255, 0],
        [0, 32, 255, 0],
        [0, 0, 255, 0],
        [0, 64, 224, 0],
    ],
    dtype=np.uint8,
)

# Intensities differ per shape so edge responses also show that magnitude follows contrast.
SHAPES_SIZE = 256
RECTANGLE_VALUE = 255
CIRCLE_VALUE = 192
TRIANGLE_VALUE = 128
LINE_VALUE = 255


def vertical_line_8x8() -> np.ndarray:
    """Return the 8x8 vertical-line image of the Keras ``Conv2D`` worked example.

    Returns
    -------
    image : (8, 8) uint8 ndarray
        Columns 3 and 4 are 255, every other pixel is 0.

    Notes
    -----
    Convolved ("valid", stride 1) with the 3x3 vertical-line detector ``[[0, 1, 0]] * 3`` after
    scaling by 1/255, every row of the 6x6 output is ``[0, 0, 3, 3, 0, 0]``.

    Examples
    --------
    >>> vertical_line_8x8()[0]
    array([  0,   0,   0, 255, 255,   0,   0,   0], dtype=uint8)
    """
    image = np.zeros((8, 8), dtype=np.uint8)
    image[:, 3:5] = 255
    return image


def digit_one_4x4() -> np.ndarray:
    """Return a 4x4 grayscale handwritten-style digit "1".

    Returns
    -------
    image : (4, 4) uint8 ndarray
        A copy of :data:`DIGIT_ONE_4X4`.
    """
    return DIGIT_ONE_4X4.copy()


def checkerboard(size: int = 64, square: int = 8) -> np.ndarray:
    """Return a black-and-white checkerboard.

    Parameters
    ----------
    size : int, optional
        Height and width in pixels.
    square : int, optional
        Side of one square in pixels; the top-left square is black.

    Returns
    -------
    image : (size, size) uint8 ndarray
        Values 0 and 255 only.

    Raises
    ------
    ValueError
        If ``size`` or ``square`` is not a positive integer.

    Examples
    --------
    >>> checkerboard(4, 2)
    array([[  0,   0, 255, 255],
           [  0,   0, 255, 255],
           [255, 255,   0,   0],
           [255, 255,   0,   0]], dtype=uint8)
    """
    if size < 1:
        raise ValueError(f"size must be a positive integer, got {size}")
    if square < 1:
        raise ValueError(f"square must be a positive integer, got {square}")
    rows, cols = np.indices((size, size))
    return (((rows // square + cols // square) % 2) * 255).astype(np.uint8)


def shapes() -> np.ndarray:
    """Return a 256x256 image of simple shapes and lines for edge and line detectors.

    Returns
    -------
    image : (256, 256) uint8 ndarray
        On a black background: a filled rectangle (top left, 255), a filled circle
        (top right, 192), a filled triangle (bottom left, 128) and one-pixel lines at 0, 90,
        45 and 135 degrees (bottom right, 255).
    """
    image = np.zeros((SHAPES_SIZE, SHAPES_SIZE), dtype=np.uint8)
    # LINE_8 everywhere: anti-aliased drawing would smear the exact 0/45/90 degree steps
    # that the line-detector kernels are meant to pick out.
    cv2.rectangle(image, (20, 32), (107, 95), RECTANGLE_VALUE, thickness=-1, lineType=cv2.LINE_8)
    cv2.circle(image, (191, 64), 40, CIRCLE_VALUE, thickness=-1, lineType=cv2.LINE_8)
    triangle = np.array([[64, 144], [20, 232], [108, 232]], dtype=np.int32)
    cv2.fillPoly(image, [triangle], TRIANGLE_VALUE, lineType=cv2.LINE_8)
    for start, end in [
        ((152, 148), (244, 148)),  # 0 degrees
        ((148, 156), (148, 244)),  # 90 degrees
        ((160, 224), (224, 160)),  # 45 degrees, rising to the right
        ((208, 208), (240, 240)),  # 135 degrees
    ]:
        cv2.line(image, start, end, LINE_VALUE, thickness=1, lineType=cv2.LINE_8)
    return image


TEACHING_IMAGES: dict[str, Callable[[], np.ndarray]] = {
    "vertical_line_8x8.png": vertical_line_8x8,
    "digit_one_4x4.png": digit_one_4x4,
    "checkerboard.png": checkerboard,
    "shapes.png": shapes,
}


def write_images(out_dir: Path) -> list[Path]:
    """Write every teaching image as PNG into a directory.

    Parameters
    ----------
    out_dir : pathlib.Path
        Destination directory; created if missing.

    Returns
    -------
    list of pathlib.Path
        The files written, in :data:`TEACHING_IMAGES` order.

    Raises
    ------
    OSError
        If OpenCV fails to write a file.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in TEACHING_IMAGES.items():
        path = out_dir / name
        if not cv2.imwrite(str(path), make()):
            raise OSError(f"cv2.imwrite failed for {path}")
        written.append(path)
    return written


def find_mismatches(out_dir: Path) -> list[str]:
    """Compare the PNGs in a directory with freshly generated images.

    Parameters
    ----------
    out_dir : pathlib.Path
        Directory holding the committed PNGs.

    Returns
    -------
    list of str
        One message per missing or differing file; empty when all match.
    """
    problems = []
    for name, make in TEACHING_IMAGES.items():
        path = out_dir / name
        stored = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if stored is None:
            problems.append(f"{path}: missing or unreadable")
        elif not np.array_equal(stored, make()):
            problems.append(f"{path}: differs from the generated image")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line interface.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; defaults to ``sys.argv[1:]``.

    Returns
    -------
    int
        Process exit status: 0 on success, 1 if ``--check`` found differences.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=DEFAULT_OUT_DIR,
        help=f"destination directory (default: {DEFAULT_OUT_DIR})",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if the PNGs in --out-dir differ from the generated images",
    )
    args = parser.parse_args(argv)
    if args.check:
        problems = find_mismatches(args.out_dir)
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    for path in write_images(args.out_dir):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
