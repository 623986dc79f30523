from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from workbench.sources import Size, SourceError, StillImageSource


def test_array_source_delivers_once_by_default() -> None:
    image = np.zeros((10, 20, 3), np.uint8)
    image[..., 0] = 255
    source = StillImageSource(image)
    image[...] = 0  # the source took a copy
    assert source.size == Size(20, 10) and not source.is_live
    with source:
        frame = source.read()
        assert frame is not None and frame.image[0, 0].tolist() == [255, 0, 0]
        assert source.read() is None


def test_repeat_delivers_the_same_pixels_again() -> None:
    source = StillImageSource(np.zeros((4, 4), np.uint8), repeat=True, fps=5)
    source.open()
    frames = [source.read() for _ in range(3)]
    assert [f.index for f in frames] == [0, 1, 2]  # type: ignore[union-attr]
    assert frames[0].image is frames[2].image  # type: ignore[union-attr]


def test_file_source_converts_16_bit_gray(tmp_path: Path) -> None:
    path = tmp_path / "deep.png"
    assert cv2.imwrite(str(path), np.full((6, 8), 65535, np.uint16))
    source = StillImageSource(path)
    assert source.size is None
    source.open()
    assert source.size == Size(8, 6)
    frame = source.read()
    assert frame is not None and (frame.image == 255).all()
    assert "deep.png" in source.description


def test_file_source_swaps_bgr_and_drops_alpha(tmp_path: Path) -> None:
    path = tmp_path / "rgba.png"
    bgra = np.zeros((3, 3, 4), np.uint8)
    bgra[...] = (255, 0, 0, 128)  # blue, half transparent
    assert cv2.imwrite(str(path), bgra)
    with StillImageSource(path) as source:
        frame = source.read()
    assert frame is not None and frame.image[1, 1].tolist() == [0, 0, 255]


@pytest.mark.parametrize("content", [None, b"", b"not an image at all"])
def test_unreadable_files_raise_naming_the_file(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "broken.png"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SourceError, match="broken.png"):
        StillImageSource(path).open()
