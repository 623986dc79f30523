"""Reading image files: the one path the window, the still source and ``apply`` share."""

from __future__ import annotations

import resource
import struct
import time
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from workbench.batch.apply import main as apply_main
from workbench.core import image_to_chw, run_pipeline
from workbench.io import images
from workbench.io.images import (
    ImageLoadError,
    declared_size,
    limit_size,
    limited_size,
    load_image,
    read_image,
)
from workbench.io.maps import STAGES, ExportOptions, load_maps_npz, select_maps
from workbench.sources import StillImageSource, as_rgb8


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


# ---------------------------------------------------------------- hand-made files


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def _png_header(width: int, height: int, color_type: int = 0) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8,
                                                                  color_type, 0, 0, 0))


def palette_png(index: np.ndarray, palette: np.ndarray, alpha: bytes | None = None) -> bytes:
    """Encode an 8-bit palette PNG (OpenCV cannot write one)."""
    h, w = index.shape
    rows = b"".join(b"\x00" + row.tobytes() for row in index.astype(np.uint8))
    data = _png_header(w, h, color_type=3) + _chunk(b"PLTE", palette.astype(np.uint8).tobytes())
    if alpha is not None:
        data += _chunk(b"tRNS", alpha)
    return data + _chunk(b"IDAT", zlib.compress(rows)) + _chunk(b"IEND", b"")


def exif_rotated_jpeg(bgr: np.ndarray) -> bytes:
    """A JPEG whose EXIF orientation (6) says: rotate 90 degrees clockwise to display."""
    jpeg = cv2.imencode(".jpg", bgr)[1].tobytes()
    tiff = (b"MM\x00*\x00\x00\x00\x08" + struct.pack(">H", 1)
            + struct.pack(">HHIHH", 0x0112, 3, 1, 6, 0) + struct.pack(">I", 0))
    app1 = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpeg[2:]


RNG = np.random.default_rng(7)
H, W = 37, 53  # odd sizes, so the size limit really resamples


def _write(path: Path, pixels: np.ndarray) -> Path:
    assert cv2.imwrite(str(path), pixels)
    return path


FILES = {
    "gray8.png": lambda p: _write(p, RNG.integers(0, 256, (H, W), dtype=np.uint8)),
    "rgb8.png": lambda p: _write(p, RNG.integers(0, 256, (H, W, 3), dtype=np.uint8)),
    "gray16.png": lambda p: _write(p, RNG.integers(0, 65536, (H, W), dtype=np.uint16)),
    "rgb16.png": lambda p: _write(p, RNG.integers(0, 65536, (H, W, 3), dtype=np.uint16)),
    "rgba8.png": lambda p: _write(p, RNG.integers(0, 256, (H, W, 4), dtype=np.uint8)),
    "rgba16.png": lambda p: _write(p, RNG.integers(0, 65536, (H, W, 4), dtype=np.uint16)),
    "palette.png": lambda p: p.write_bytes(palette_png(
        RNG.integers(0, 16, (H, W)), RNG.integers(0, 256, (16, 3)))) and p,
    "palette_alpha.png": lambda p: p.write_bytes(palette_png(
        RNG.integers(0, 16, (H, W)), RNG.integers(0, 256, (16, 3)), bytes(range(0, 256, 16))))
        and p,
    "tiff16.tif": lambda p: _write(p, RNG.integers(0, 65536, (H, W, 3), dtype=np.uint16)),
    "gray_float.tif": lambda p: _write(p, RNG.random((H, W), dtype=np.float32)),
    "exif.jpg": lambda p: p.write_bytes(exif_rotated_jpeg(
        RNG.integers(0, 256, (H, W, 3), dtype=np.uint8))) and p,
}


@pytest.fixture(scope="module")
def image_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("images")
    return {name: make(folder / name) for name, make in FILES.items()}


# ---------------------------------------------------------------- the pixel policy


def test_policy_depth_gray_alpha_palette_orientation(image_files: dict[str, Path]) -> None:
    def pixels(name: str) -> np.ndarray:
        return read_image(image_files[name])

    assert pixels("gray8.png").shape == (H, W) and pixels("gray8.png").dtype == np.uint8
    assert pixels("gray16.png").dtype == np.uint16 and pixels("rgb16.png").shape == (H, W, 3)
    assert len(np.unique(pixels("gray16.png"))) > 256  # 16-bit levels kept, not quantised
    stored = cv2.imread(str(image_files["rgba16.png"]), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(pixels("rgba16.png"), stored[:, :, 2::-1])  # alpha dropped
    palette = pixels("palette_alpha.png")
    assert palette.shape == (H, W, 3) and palette.dtype == np.uint8  # expanded to RGB
    assert pixels("gray_float.tif").dtype == np.float32
    assert pixels("exif.jpg").shape == (W, H, 3)  # turned upright by its EXIF orientation
    assert all(pixels(name).flags.c_contiguous for name in FILES)


@pytest.mark.parametrize("name", ["gray16.png", "rgba8.png", "palette.png", "exif.jpg"])
def test_still_source_frames_are_the_same_pixels_as_rgb8(image_files: dict[str, Path],
                                                          name: str) -> None:
    with StillImageSource(image_files[name]) as source:
        frame = source.read()
    assert frame is not None
    np.testing.assert_array_equal(frame.image, as_rgb8(read_image(image_files[name])))


# ---------------------------------------------------------------- window == apply


def _window_chw(path: Path, mode: str, max_side: int | None) -> np.ndarray:
    """What the window computes on (``MainWindow._prepare_input``)."""
    return image_to_chw(load_image(path).limited(max_side), mode)  # type: ignore[arg-type]


@pytest.mark.parametrize("max_side", [None, 20])
@pytest.mark.parametrize("mode", ["gray", "rgb"])
def test_apply_and_window_give_identical_maps(image_files: dict[str, Path], tmp_path: Path,
                                              mode: str, max_side: int | None) -> None:
    out = tmp_path / "out"
    args = [*map(str, image_files.values()), "--preset", "sobel_x", "--preset", "gaussian_3",
            "--mode", mode, "--padding", "same", "--activation", "relu", "--pool", "max:2",
            "--out", str(out), "--format", "npz"]
    if max_side is not None:
        args += ["--max-side", str(max_side)]
    assert apply_main(args) == 0
    for name, path in image_files.items():
        archive = load_maps_npz(out / f"{path.stem}_maps.npz")
        chw = _window_chw(path, mode, max_side)
        expected = select_maps(run_pipeline(chw, archive.pipeline), archive.pipeline,
                               ExportOptions(out, ("npz",), STAGES))
        assert sorted(archive.maps) == sorted(item.key for item in expected), name
        for item in expected:
            assert archive.maps[item.key].dtype == np.float32
            assert np.array_equal(archive.maps[item.key], item.array), (name, item.key)
        if max_side is not None:
            assert max(chw.shape[1:]) == max_side, name


def test_16_bit_files_are_not_computed_on_8_bit_levels(image_files: dict[str, Path],
                                                       tmp_path: Path) -> None:
    path = image_files["gray16.png"]
    assert apply_main([str(path), "--preset", "identity", "--out", str(tmp_path),
                       "--format", "npz", "--stages", "input"]) == 0
    computed = load_maps_npz(tmp_path / "gray16_maps.npz").maps["input"]
    pixels = read_image(path)
    assert np.array_equal(computed, image_to_chw(pixels, "gray"))
    assert not np.array_equal(computed, image_to_chw(as_rgb8(pixels), "gray"))


# ---------------------------------------------------------------- the pixel limit


def _no_decoding(*args: object) -> None:
    raise AssertionError("the file was decoded")


def _forged_jpeg(width: int, height: int) -> bytes:
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return (b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0
            + b"\xff\xc2" + struct.pack(">H", len(sof) + 2) + sof + b"\xff\xd9")


def _forged_bmp(width: int, height: int) -> bytes:
    return b"BM" + bytes(16) + struct.pack("<ii", width, -height) + bytes(28)


@pytest.mark.parametrize(("suffix", "content"), [
    (".png", _png_header(40000, 40000) + _chunk(b"IEND", b"")),
    (".jpg", _forged_jpeg(40000, 40000)),
    (".bmp", _forged_bmp(40000, 40000)),
])
def test_huge_declared_size_is_refused_before_decoding(tmp_path: Path, monkeypatch, suffix: str,
                                                       content: bytes) -> None:
    path = tmp_path / f"huge{suffix}"
    path.write_bytes(content)
    assert declared_size(content) == (40000, 40000)
    monkeypatch.setattr(images.cv2, "imdecode", _no_decoding)
    with pytest.raises(ImageLoadError, match=r"huge.* 40000x40000 pixels \(1600 megapixels\); "
                                             r"at most 100 megapixels"):
        load_image(path)


def test_huge_png_is_refused_quickly_and_small(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    path.write_bytes(_png_header(40000, 40000, color_type=2) + _chunk(b"IEND", b""))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with pytest.raises(ImageLoadError, match="40000x40000"):
        read_image(path)
    assert time.perf_counter() - start < 0.5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB


def test_pixel_limit_applies_to_decoded_formats_too(image_files: dict[str, Path]) -> None:
    assert read_image(image_files["tiff16.tif"], max_pixels=H * W).shape == (H, W, 3)
    with pytest.raises(ImageLoadError, match=f"{H}x{W} pixels"):
        read_image(image_files["tiff16.tif"], max_pixels=H * W - 1)  # TIFF: checked after decode
    with pytest.raises(ImageLoadError, match=f"{H}x{W} pixels"):
        load_image(image_files["gray8.png"], max_pixels=100)


@pytest.mark.parametrize("content", [b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0\x00",
                                     b"\xff\xd8\x00\x00", b"GIF89a", b"BM"])
def test_declared_size_of_unknown_or_truncated_headers_is_none(content: bytes) -> None:
    assert declared_size(content) is None


def test_limits_accept_none_and_reject_bad_values() -> None:
    pixels = np.zeros((30, 10), np.uint16)
    assert limit_size(pixels, None) is pixels and limited_size((30, 10), None) == (30, 10)
    assert limit_size(pixels, 15).shape == (15, 5) and limit_size(pixels, 15).dtype == np.uint16
    for bad in (0, -1, True, 2.5):
        with pytest.raises(ValueError, match="max_side must be a positive integer"):
            limited_size((30, 10), bad)  # type: ignore[arg-type]
