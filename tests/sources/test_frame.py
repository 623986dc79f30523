from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from workbench.sources import Frame, Size, as_rgb8


def rgb(h: int = 4, w: int = 6) -> np.ndarray:
    return np.arange(h * w * 3, dtype=np.uint8).reshape(h, w, 3)


def test_frame_holds_read_only_rgb_and_reports_size() -> None:
    frame = Frame(rgb(), index=3, timestamp=1.5)
    assert frame.size == Size(6, 4)
    assert frame.size.width == 6 and str(frame.size) == "6x4"
    assert frame.source_time is None and frame.seq == 0
    assert not frame.image.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        frame.image[0, 0, 0] = 1
    with pytest.raises(AttributeError):
        frame.index = 4  # type: ignore[misc]


def test_frame_copy_owns_its_pixels() -> None:
    frame = Frame(rgb(), 0, 0.0, source_time=0.25, seq=7)
    copy = frame.copy()
    assert not np.shares_memory(copy.image, frame.image)
    np.testing.assert_array_equal(copy.image, frame.image)
    assert (copy.index, copy.timestamp, copy.source_time, copy.seq) == (0, 0.0, 0.25, 7)


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros((4, 6), np.uint8), "shape"),
        (np.zeros((4, 6, 4), np.uint8), "shape"),
        (np.zeros((0, 6, 3), np.uint8), "shape"),
        (np.zeros((4, 6, 3), np.float32), "dtype"),
        (np.zeros((4, 6, 3), np.uint8)[:, ::2], "C-contiguous"),
        ([[[0, 0, 0]]], "numpy array"),
    ],
)
def test_frame_rejects_anything_but_contiguous_rgb8(image: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Frame(image, 0, 0.0)  # type: ignore[arg-type]


def test_as_rgb8_swaps_bgr() -> None:
    bgr = np.zeros((2, 3, 3), np.uint8)
    bgr[..., 0] = 200  # blue in OpenCV order
    out = as_rgb8(bgr, channel_order="bgr")
    assert out.dtype == np.uint8 and out.shape == (2, 3, 3) and out.flags.c_contiguous
    assert out[0, 0].tolist() == [0, 0, 200]


def test_as_rgb8_passes_rgb8_through_without_copy() -> None:
    image = rgb()
    assert as_rgb8(image) is image


@pytest.mark.parametrize("shape", [(4, 6), (4, 6, 1)])
def test_as_rgb8_replicates_gray(shape: tuple[int, ...]) -> None:
    gray = np.full(shape, 77, np.uint8)
    out = as_rgb8(gray)
    assert out.shape == (4, 6, 3)
    assert (out == 77).all()


@pytest.mark.parametrize(("order", "expected"), [("rgb", [10, 20, 30]), ("bgr", [30, 20, 10])])
def test_as_rgb8_drops_alpha(order: str, expected: list[int]) -> None:
    image = np.zeros((2, 2, 4), np.uint8)
    image[...] = (10, 20, 30, 0)
    assert as_rgb8(image, channel_order=order)[1, 1].tolist() == expected  # type: ignore[arg-type]


def test_as_rgb8_scales_16_bit_float_and_bool() -> None:
    sixteen = np.array([[0, 257, 32896, 65535]], np.uint16)
    assert as_rgb8(sixteen)[0, :, 0].tolist() == [0, 1, 128, 255]
    floats = np.array([[-1.0, 0.5, 2.0, np.nan]], np.float64)
    assert as_rgb8(floats)[0, :, 0].tolist() == [0, 128, 255, 0]
    assert as_rgb8(np.array([[True, False]]))[0, :, 0].tolist() == [255, 0]


@pytest.mark.parametrize(
    ("image", "kwargs", "message"),
    [
        (np.zeros((2, 2), np.int32), {}, "dtype"),
        (np.zeros((2, 2, 2), np.uint8), {}, "shape"),
        (np.zeros((2, 2, 3, 1), np.uint8), {}, "shape"),
        (np.zeros((0, 2), np.uint8), {}, "empty"),
        (np.zeros((2, 2, 3), np.uint8), {"channel_order": "rgba"}, "channel_order"),
    ],
)
def test_as_rgb8_names_the_problem(image: np.ndarray, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        as_rgb8(image, **kwargs)


@given(
    hnp.arrays(
        dtype=st.sampled_from([np.uint8, np.uint16, np.float32, np.bool_]),
        shape=st.one_of(
            hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=7),
            st.tuples(st.integers(1, 7), st.integers(1, 7), st.sampled_from([1, 3, 4])),
        ),
    ),
    st.sampled_from(["rgb", "bgr"]),
)
def test_as_rgb8_always_yields_a_valid_frame_image(image: np.ndarray, order: str) -> None:
    out = as_rgb8(image, channel_order=order)  # type: ignore[arg-type]
    assert out.shape == (*image.shape[:2], 3)
    Frame(out.copy(), 0, 0.0)
