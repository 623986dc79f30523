from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workbench.core import get_preset
from workbench.io.errors import LoadError
from workbench.io.kernel_text import format_kernel, load_kernel, parse_kernel, save_kernel


@pytest.mark.parametrize("suffix", [".csv", ".txt"])
def test_round_trip_is_exact_float32(tmp_path: Path, suffix: str) -> None:
    rng = np.random.default_rng(11)
    kernel = (rng.standard_normal((5, 3)) * 10.0 ** rng.integers(-9, 9, (5, 3))).astype(np.float32)
    kernel[0, 0] = -3.0
    path = save_kernel(tmp_path / f"k{suffix}", kernel)
    back = load_kernel(path)
    assert back.dtype == np.float32 and back.tobytes() == kernel.tobytes()


def test_imagej_style_text() -> None:
    assert format_kernel(get_preset("laplacian").kernel) == "0 1 0\n1 -4 1\n0 1 0\n"
    assert format_kernel(get_preset("box_blur_3").kernel, "csv").splitlines()[0] == \
        "0.11111111,0.11111111,0.11111111"
    # ImageJ's default Convolve kernel, tab and space separated, with blank lines around
    text = "\n-1 -1 -1 -1 -1\n-1\t-1 -1 -1 -1\n-1 -1 24 -1 -1\n-1 -1 -1 -1 -1\n-1 -1 -1 -1 -1\n\n"
    kernel = parse_kernel(text)
    assert kernel.shape == (5, 5) and kernel[2, 2] == 24 and kernel.sum() == 0


def test_header_line_is_skipped_like_imagej() -> None:
    np.testing.assert_array_equal(parse_kernel("c1 c2\n1 2\n3 4\n"), [[1, 2], [3, 4]])
    np.testing.assert_array_equal(parse_kernel("a,b\n1,2\n"), [[1, 2]])
    np.testing.assert_array_equal(parse_kernel("1.5e-1, -.5 ,+2\n", "csv"),
                                  np.float32([[0.15, -0.5, 2]]))


def test_ragged_rows_name_the_line(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="^line 4 has 2 values but line 1 has 3$"):
        parse_kernel("1 2 3\n4 5 6\n\n7 8\n")
    (tmp_path / "k.csv").write_text("1,2\n3,4\n5,6,7\n")
    with pytest.raises(LoadError, match=r"k.csv: line 3 has 3 values but line 1 has 2"):
        load_kernel(tmp_path / "k.csv")


@pytest.mark.parametrize(("text", "fmt", "message"), [
    ("1 2\n3 x\n", "txt", "line 2, column 2: 'x' is not a number"),
    ("1,,2\n", "csv", "line 1, column 2: an empty value is not a number"),
    ("1 2\nnan 1\n", "txt", "line 2, column 1: 'nan' is not a finite number"),
    ("1 1e39\n", "txt", "line 1, column 2: '1e39' is too large for a float32 weight"),
    ("1 2\nc d\n", "txt", "line 2, column 1: 'c' is not a number"),
    ("\n\n", "txt", "no numbers found"),
    ("title\n", "txt", "no numbers found"),
])
def test_invalid_text_names_line_and_column(text: str, fmt: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_kernel(text, fmt)


def test_format_rejects_bad_kernels() -> None:
    with pytest.raises(ValueError, match="non-finite"):
        format_kernel([[1e39]])
    with pytest.raises(ValueError, match="2-D"):
        format_kernel(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="non-finite"):
        format_kernel([[np.inf]])
    assert format_kernel(np.ones((1, 2, 2))) == "1 1\n1 1\n"


def test_non_text_file_and_existing_target(tmp_path: Path, listing) -> None:
    (tmp_path / "k.txt").write_bytes(b"\xff\xfe1 2")
    with pytest.raises(LoadError, match="not a text file"):
        load_kernel(tmp_path / "k.txt")
    before = listing(tmp_path)
    with pytest.raises(FileExistsError):
        save_kernel(tmp_path / "k.txt", [[1.0]])
    assert listing(tmp_path) == before


def test_file_and_cell_readers_share_one_float32_bound() -> None:
    from workbench.core.arrays import FLOAT32_OVERFLOW
    from workbench.core.kernel_ops import parse_kernel_text, parse_value

    f32_max = float(np.finfo(np.float32).max)
    # Above float32's largest value but rounding down to it: the kernel file reader used to
    # refuse this (bound finfo.max) while a typed cell accepted it (bound: rounds to inf).
    between = f32_max * (1 + 2.0**-26)
    assert f32_max < between < FLOAT32_OVERFLOW
    text = f"1 {between!r}\n"
    assert parse_kernel(text, "txt").tolist() == parse_kernel_text(text).tolist()
    assert parse_kernel(text, "txt")[0, 1] == np.float32(f32_max) == np.float32(parse_value(
        repr(between)))
    for too_big in (FLOAT32_OVERFLOW, 1e39):
        with pytest.raises(ValueError, match="too large for a float32"):
            parse_value(repr(too_big))
        with pytest.raises(ValueError, match="too large for a float32"):
            parse_kernel(f"1 {too_big!r}\n", "txt")
        with pytest.raises(ValueError, match="too large for a float32"):
            parse_kernel_text(f"1 {too_big!r}")
