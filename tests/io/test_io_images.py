import cv2
import numpy as np
import pytest

from workbench.core import image_to_chw
from workbench.io.images import ImageLoadError, limit_size, limited_size, load_image


@pytest.mark.parametrize(("name", "pixels"), [
    ("gray8.png", np.arange(12, dtype=np.uint8).reshape(3, 4) * 20),
    ("gray16.png", np.arange(12, dtype=np.uint16).reshape(3, 4) * 5000),
    ("rgb8.png", np.arange(36, dtype=np.uint8).reshape(3, 4, 3) * 7),
    ("rgba8.png", np.arange(48, dtype=np.uint8).reshape(3, 4, 4) * 5),
    ("rgb16.tif", np.arange(36, dtype=np.uint16).reshape(3, 4, 3) * 1800),
])
def test_bit_depths_and_channels_load(tmp_path, name, pixels):
    path = tmp_path / name
    bgr = pixels if pixels.ndim == 2 else cv2.cvtColor(
        pixels, cv2.COLOR_RGB2BGR if pixels.shape[2] == 3 else cv2.COLOR_RGBA2BGRA)
    assert cv2.imwrite(str(path), bgr)
    loaded = load_image(path)
    assert loaded.pixels.dtype == pixels.dtype
    expected = pixels[:, :, :3] if pixels.ndim == 3 else pixels  # alpha dropped
    np.testing.assert_array_equal(loaded.pixels, expected)  # channels back in RGB order
    chw = image_to_chw(loaded.pixels, "rgb")
    assert chw.shape == (3, 3, 4) and chw.dtype == np.float32
    assert 0.0 <= chw.min() and chw.max() <= 1.0
    assert loaded.size == (3, 4)
    assert name in loaded.describe(1024)


@pytest.mark.parametrize(("content", "message"), [
    (b"this is not an image", "not an image format"),
    (b"", "the file is empty"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not an image format"),
])
def test_corrupt_files_raise_a_readable_error(tmp_path, content, message):
    path = tmp_path / "broken.png"
    path.write_bytes(content)
    with pytest.raises(ImageLoadError, match=message):
        load_image(path)


def test_missing_file(tmp_path):
    with pytest.raises(ImageLoadError, match="cannot read"):
        load_image(tmp_path / "nope.png")


def test_float_image_with_nan_is_rejected(tmp_path):
    path = tmp_path / "nan.tif"
    data = np.ones((4, 4), np.float32)
    data[1, 1] = np.nan
    assert cv2.imwrite(str(path), data)
    with pytest.raises(ImageLoadError, match="NaN"):
        load_image(path)


def test_large_images_are_shrunk_with_the_aspect_ratio_kept():
    big = np.zeros((4000, 3000, 3), np.uint8)
    big[:2000] = 255
    small = limit_size(big, 1024)
    assert small.shape == (1024, 768, 3) and small.dtype == np.uint8
    assert small[0, 0, 0] == 255 and small[-1, 0, 0] == 0
    assert limit_size(big[:10, :10], 1024) is not None
    assert limited_size((10, 10), 1024) == (10, 10)
    with pytest.raises(ValueError, match="max_side must be a positive integer"):
        limited_size((10, 10), 0)


def test_describe_mentions_the_size_used(tmp_path):
    path = tmp_path / "wide.png"
    cv2.imwrite(str(path), np.zeros((100, 400), np.uint8))
    assert load_image(path).describe(200) == "wide.png — 100x400 uint8 gray, shrunk to 50x200"
