"""Loaders facing hostile files: pipes and devices, bombs, empty arrays, lying headers."""

from __future__ import annotations

import io
import json
import os
import resource
import struct
import subprocess
import sys
import threading
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from workbench.core import default_pipeline
from workbench.io import images
from workbench.io.bank import load_bank, parse_bank, save_bank
from workbench.io.bank_arrays import load_bank_npy
from workbench.io.data_input import load_data, read_wav
from workbench.io.errors import LoadError, require_regular_file
from workbench.io.formats import read_array, read_npz
from workbench.io.images import ImageLoadError, load_image, read_image
from workbench.io.kernel_text import load_kernel
from workbench.io.workspace import SourceSpec, Workspace, load_workspace, save_workspace

TIMEOUT = 5.0

# (name, file suffix, loader, the one error type it may raise for bad content)
LOADERS: list[tuple[str, str, Callable[[Path], Any], type[Exception]]] = [
    ("read_image png", ".png", read_image, ImageLoadError),
    ("read_image jpg", ".jpg", read_image, ImageLoadError),
    ("read_image tif", ".tif", read_image, ImageLoadError),
    ("read_image webp", ".webp", read_image, ImageLoadError),
    ("read_image bmp", ".bmp", read_image, ImageLoadError),
    ("load_image", ".png", load_image, ImageLoadError),
    ("load_bank", ".json", load_bank, LoadError),
    ("load_bank_npy", ".npy", lambda p: load_bank_npy(p, "pytorch"), LoadError),
    ("load_data npy", ".npy", load_data, LoadError),
    ("load_data txt", ".txt", load_data, LoadError),
    ("load_data csv", ".csv", load_data, LoadError),
    ("load_data wav", ".wav", load_data, LoadError),
    ("read_wav", ".wav", read_wav, ValueError),
    ("load_workspace", ".json", load_workspace, LoadError),
    ("read_array npy", ".npy", read_array, LoadError),
    ("read_array tif", ".tif", read_array, LoadError),
    ("read_npz", ".npz", read_npz, LoadError),
    ("load_kernel txt", ".txt", load_kernel, LoadError),
    ("load_kernel csv", ".csv", load_kernel, LoadError),
]
LOADER_IDS = [entry[0] for entry in LOADERS]


def _call_with_timeout(func: Callable[[], Any]) -> BaseException | None:
    """Run ``func`` in a thread; fail the test if it is still running after TIMEOUT."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            func()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(TIMEOUT)
    if thread.is_alive():
        return TimeoutError(f"the loader was still running after {TIMEOUT} s")
    return outcome[0]


def _unblock_fifo(path: Path) -> None:
    """Let a reader stuck on the pipe see end-of-file (after a failed test)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return
    os.close(fd)


# --- 1. only regular files -------------------------------------------------------------

SPECIALS = ["fifo", "/dev/zero", "/dev/null", "folder"]


def _special(folder: Path, kind: str, suffix: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"x{suffix}"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        path.symlink_to(kind)
    return path


def _probe_specials(kind: str, folder: Path) -> dict[str, dict[str, Any]]:
    """Run every loader on a special file of ``kind`` (in the child process)."""
    results: dict[str, dict[str, Any]] = {}
    for name, suffix, loader, error in LOADERS:
        path = _special(folder / name.replace(" ", "_"), kind, suffix)
        try:
            exc = _call_with_timeout(lambda: loader(path))  # noqa: B023
        finally:
            if kind == "fifo":
                _unblock_fifo(path)
        results[name] = {"path": str(path), "type": type(exc).__name__, "message": str(exc),
                         "ok": isinstance(exc, LoadError) and isinstance(exc, error)}
    return results


_SPECIAL_RESULTS: dict[str, dict[str, dict[str, Any]]] = {}


def _special_results(kind: str, folder: Path) -> dict[str, dict[str, Any]]:
    """Probe in a child process with a memory limit: a loader reading /dev/zero or stuck on
    a pipe (the bug) must fail the test, not exhaust the machine's memory or hang it."""
    if kind not in _SPECIAL_RESULTS:
        done = subprocess.run([sys.executable, __file__, kind, str(folder)], capture_output=True,
                              text=True, timeout=TIMEOUT * len(LOADERS) + 60, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        _SPECIAL_RESULTS[kind] = json.loads(done.stdout.strip().splitlines()[-1])
    return _SPECIAL_RESULTS[kind]


@pytest.mark.parametrize("kind", SPECIALS)
@pytest.mark.parametrize("name", LOADER_IDS)
def test_special_files_are_refused_before_opening(tmp_path_factory: pytest.TempPathFactory,
                                                  kind: str, name: str) -> None:
    folder = tmp_path_factory.mktemp("special_" + kind.replace("/", "_"))
    result = _special_results(kind, folder)[name]
    assert result["ok"], f"{name} raised {result['type']}: {result['message']}"
    assert result["message"].startswith(result["path"] + ": ")
    assert "not a regular file" in result["message"]


def test_require_regular_file_names_the_kind(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    with pytest.raises(ImageLoadError, match=r"pipe\.png: a named pipe \(FIFO\), not a regular"):
        require_regular_file(fifo, ImageLoadError)
    with pytest.raises(LoadError, match="/dev/zero: a character device, not a regular file"):
        require_regular_file("/dev/zero")
    regular = tmp_path / "ok.png"
    regular.write_bytes(b"x")
    require_regular_file(regular)  # no error
    with pytest.raises(FileNotFoundError):
        require_regular_file(tmp_path / "missing.png")


# --- hostile content x every loader ----------------------------------------------------

def _png_bytes() -> bytes:
    return cv2.imencode(".png", np.arange(64 * 48, dtype=np.uint8).reshape(64, 48))[1].tobytes()


def _npy_bytes() -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ones((2, 1, 3, 3), np.float32))
    return buf.getvalue()


def _npy_header_only(shape: tuple[int, ...]) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f8", "fortran_order": False, "shape": shape})
    return buf.getvalue()


def _wav_header(frames: int) -> bytes:
    """A PCM WAV header declaring ``frames`` 16-bit mono frames, with no data after it."""
    data_size = frames * 2
    return (b"RIFF" + struct.pack("<I", 36 + data_size) + b"WAVEfmt "
            + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
            + b"data" + struct.pack("<I", data_size))


HOSTILE: dict[str, bytes] = {
    "empty": b"",
    "nul bytes": b"\x00" * 300,
    "random bytes": np.random.default_rng(3).integers(0, 256, 4000, dtype=np.uint8).tobytes(),
    "not utf-8": b"\xff\xfe\xfa 1 2 3\n",
    "deep json list": b"[" * 100_000,
    "deep json object": b'{"a":' * 100_000,
    "huge int json": b'{"schema_version": ' + b"9" * 5000 + b"}",
    "truncated png": _png_bytes()[:60],
    "png magic then garbage": b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
    "truncated npy": _npy_bytes()[:100],
    "npy declaring petabytes": _npy_header_only((10**15,)),
    "npy declaring a negative shape": _npy_header_only((-5,)),
    "npy bad header": b"\x93NUMPY\x01\x00\x10\x00{'descr': 'garbage'}\n",
    "truncated zip": b"PK\x03\x04" + b"\x00" * 30,
    "wav declaring 100M frames": _wav_header(100_000_000),
    "wav zero channels": (b"RIFF" + struct.pack("<I", 36) + b"WAVEfmt "
                          + struct.pack("<IHHIIHH", 16, 1, 0, 8000, 0, 0, 16)
                          + b"data" + struct.pack("<I", 0)),
    "tiff magic only": b"II*\x00\xff\xff\xff\x7f",
    "ragged text": b"1 2 3\n4 5\n",
    "nan text": b"1 nan\n2 3\n",
    "huge number text": b"1e999 1\n",
}


@pytest.mark.parametrize("content", list(HOSTILE), ids=list(HOSTILE))
@pytest.mark.parametrize(("name", "suffix", "loader", "error"), LOADERS, ids=LOADER_IDS)
def test_hostile_content_raises_only_the_documented_error(
        tmp_path: Path, content: str, name: str, suffix: str,
        loader: Callable[[Path], Any], error: type[Exception]) -> None:
    path = tmp_path / f"x{suffix}"
    path.write_bytes(HOSTILE[content])
    exc = _call_with_timeout(lambda: loader(path))
    if exc is None:
        return  # some hostile bytes are valid for a lenient format; that is no failure
    assert type(exc) is error or (isinstance(exc, error) and isinstance(exc, LoadError)), \
        f"{name} raised {type(exc).__name__}: {exc}"
    if isinstance(exc, LoadError):
        assert exc.path == str(path) and str(exc).startswith(str(path))


# --- 2. NPZ bombs ----------------------------------------------------------------------

def _patch_central_size(data: bytes, size: int) -> bytes:
    """Make the zip's central directory claim ``size`` uncompressed bytes for its member."""
    pos = data.index(b"PK\x01\x02")
    return data[:pos + 24] + struct.pack("<I", size) + data[pos + 28:]


def _npz_with(member: bytes, name: str = "a.npy") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, member)
    return buf.getvalue()


def _quick_and_small(func: Callable[[], Any]) -> tuple[BaseException | None, float, int]:
    tracemalloc.start()
    start = time.perf_counter()
    try:
        exc = _call_with_timeout(func)
        return exc, time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_npz_bomb_declaring_3_gb_is_refused_from_the_zip_directory(tmp_path: Path) -> None:
    # 3 MB of zeros deflated, then a directory entry claiming 3 GB, as a real bomb has.
    member = _npy_header_only((3_000_000_000 // 8,)) + bytes(3_000_000)
    path = tmp_path / "bomb.npz"
    path.write_bytes(_patch_central_size(_npz_with(member), 3_000_000_000))
    exc, seconds, peak = _quick_and_small(lambda: read_npz(path))
    assert isinstance(exc, LoadError), repr(exc)
    assert "unpacks to 3000000000 bytes" in str(exc) and str(exc).startswith(str(path))
    assert seconds < 2.0 and peak < 50_000_000


def test_npz_member_header_declaring_more_than_stored_is_refused(tmp_path: Path) -> None:
    member = _npy_header_only((3_000_000_000 // 8,)) + bytes(3_000_000)
    path = tmp_path / "liar.npz"
    path.write_bytes(_npz_with(member))
    exc, seconds, peak = _quick_and_small(lambda: read_npz(path))
    assert isinstance(exc, LoadError), repr(exc)
    assert "member 'a.npy'" in str(exc) and "3000000000 bytes" in str(exc)
    assert seconds < 2.0 and peak < 50_000_000


def test_npz_limit_is_configurable_and_valid_archives_still_load(tmp_path: Path) -> None:
    path = tmp_path / "ok.npz"
    np.savez(path, a=np.arange(1000, dtype=np.float64), b=np.array("text"))
    arrays = read_npz(path)
    assert sorted(arrays) == ["a", "b"] and arrays["a"].tolist() == list(range(1000))
    assert str(arrays["b"][()]) == "text"
    with pytest.raises(LoadError, match="at most 1000 bytes are read"):
        read_npz(path, max_bytes=1000)


def test_npz_pickles_and_foreign_members_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "pickle.npz"
    np.savez(path, a=np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(LoadError, match="pickles"):
        read_npz(path)
    other = tmp_path / "other.npz"
    other.write_bytes(_npz_with(b"hello", "readme.txt"))
    with pytest.raises(LoadError, match="'readme.txt' is not an .npy array"):
        read_npz(other)


def test_npy_declaring_petabytes_is_refused_without_allocating(tmp_path: Path) -> None:
    path = tmp_path / "huge.npy"
    path.write_bytes(_npy_header_only((10**15,)))
    for loader in (read_array, load_data, lambda p: load_bank_npy(p, "pytorch")):
        exc, seconds, peak = _quick_and_small(lambda: loader(path))  # noqa: B023
        assert isinstance(exc, LoadError), repr(exc)
        assert "8000000000000000 bytes" in str(exc) and seconds < 2.0 and peak < 50_000_000


# --- 3. empty NPY banks ----------------------------------------------------------------

@pytest.mark.parametrize("layout", [None, "pytorch", "keras"])
@pytest.mark.parametrize("shape", [(0, 1, 3, 3), (1, 0, 3, 3), (1, 1, 0, 3)])
def test_empty_npy_bank_is_a_clear_message(tmp_path: Path, shape: tuple[int, ...],
                                           layout: str | None) -> None:
    path = tmp_path / "bank.npy"
    np.save(path, np.zeros(shape, np.float32))
    with pytest.raises(LoadError) as info:
        load_bank_npy(path, layout)
    assert type(info.value) is LoadError
    assert str(info.value) == (f"{path}: the bank array is empty (shape {shape}); a bank needs "
                               "at least one filter with at least one 1 x 1 slice")


# --- 4. images -------------------------------------------------------------------------

def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(
        ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _png_header(width: int, height: int, depth: int = 8, colour: int = 2) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)
            + _chunk(b"IDAT", zlib.compress(b"\x00" * 8)) + _chunk(b"IEND", b""))


def _tiff_header(width: int, height: int, order: str = "<") -> bytes:
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1),
               (262, 3, 1, 1), (273, 4, 1, 8), (277, 3, 1, 1), (279, 4, 1, 8)]
    magic = b"II" if order == "<" else b"MM"
    ifd = struct.pack(order + "H", len(entries))
    for tag, kind, count, value in entries:
        if kind == 3:
            ifd += struct.pack(order + "HHIHH", tag, kind, count, value, 0)
        else:
            ifd += struct.pack(order + "HHII", tag, kind, count, value)
    return magic + struct.pack(order + "HI", 42, 16) + bytes(8) + ifd + bytes(4)


def _webp_vp8x(width: int, height: int) -> bytes:
    body = bytes(4) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    chunk = b"VP8X" + struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


BIG_HEADERS = {
    "png 8-bit RGB": _png_header(40000, 40000),
    "png 16-bit RGBA": _png_header(40000, 40000, 16, 6),
    "tiff little-endian": _tiff_header(40000, 40000),
    "tiff big-endian": _tiff_header(40000, 40000, ">"),
    "webp VP8X": _webp_vp8x(40000, 40000),
    "bmp": b"BM" + bytes(16) + struct.pack("<ii", 40000, -40000) + bytes(30),
    "jpeg": (b"\xff\xd8" + b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 40000, 40000, 1)
             + bytes(3) + b"\xff\xd9"),
}


@pytest.mark.parametrize("kind", list(BIG_HEADERS), ids=list(BIG_HEADERS))
def test_huge_declared_images_are_refused_before_decoding(tmp_path: Path, kind: str,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    data = BIG_HEADERS[kind]
    assert len(data) <= 128
    path = tmp_path / "big.img"
    path.write_bytes(data)

    def no_decoding(*args: object) -> None:
        raise AssertionError("the image was handed to the decoder")

    monkeypatch.setattr(images.cv2, "imdecode", no_decoding)
    with pytest.raises(ImageLoadError) as info:
        read_image(path)
    assert str(info.value) == (f"{path}: the image is 40000x40000 pixels (1600 megapixels); "
                               "at most 100 megapixels can be opened")


def test_declared_size_reads_real_tiff_and_webp_headers() -> None:
    pixels = np.zeros((37, 53, 3), np.uint8)
    for ext, params in ((".tif", []), (".webp", []), (".webp", [cv2.IMWRITE_WEBP_QUALITY, 101])):
        data = cv2.imencode(ext, pixels, params)[1]
        assert images.declared_size(data) == (37, 53), ext
    assert images.declared_size(_webp_vp8x(300, 200)) == (200, 300)


def _encoded(ext: str) -> bytes:
    rng = np.random.default_rng(5)
    return cv2.imencode(ext, rng.integers(0, 256, (80, 90, 3), dtype=np.uint8))[1].tobytes()


BROKEN_IMAGES = {f"truncated {ext}": _encoded(ext)[: len(_encoded(ext)) // 3]
                 for ext in (".png", ".jpg", ".bmp", ".tif", ".webp")}
BROKEN_IMAGES.update({"zero bytes": b"", "wrong magic": b"GIF87a" + bytes(200),
                      "header only": _png_header(10, 10)[:33]})


@pytest.mark.parametrize("kind", list(BROKEN_IMAGES), ids=list(BROKEN_IMAGES))
def test_broken_images_give_image_load_errors_only(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "broken.png"
    path.write_bytes(BROKEN_IMAGES[kind])
    exc = _call_with_timeout(lambda: read_image(path))
    if kind.startswith("truncated") and exc is None:
        return  # a decoder may fill the missing rows; the pixels are still usable
    assert type(exc) is ImageLoadError, repr(exc)
    assert str(exc).startswith(f"{path}: ")


# --- 5. banks and workspaces -----------------------------------------------------------

def _workspace_file(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    path = tmp_path / "ws.json"
    save_workspace(path, Workspace(SourceSpec("synthetic"), default_pipeline("rgb")))
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    return path


def _bank_file(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    path = tmp_path / "bank.json"
    save_bank(path, default_pipeline("rgb"))
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    return path


def _layer0(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        pipeline = data.get("pipeline", data)
        pipeline["layers"][0][key] = value
    return edit


HUGE = {
    "stride 2**70": (_layer0("stride", [2**70, 1]), "stride 1180591620717411303424 is too large"),
    "groups 10**30": (_layer0("groups", 10**30), f"groups {10**30} is too large"),
    "dilation 2**40": (_layer0("dilation", [1, 2**40]), f"dilation {2**40} is too large"),
    "padding 2**70": (_layer0("padding", [2**70, 0]), "padding 1180591620717411303424 is too"),
    "pool size 2**64": (_layer0("pool", {"kind": "max", "size": [2**64, 2]}),
                        f"pool size {2**64} is too large"),
}


@pytest.mark.parametrize("case", list(HUGE), ids=list(HUGE))
@pytest.mark.parametrize("kind", ["bank", "workspace"])
def test_huge_layer_integers_are_a_clear_message(tmp_path: Path, case: str, kind: str) -> None:
    edit, expected = HUGE[case]
    make, load = (_bank_file, load_bank) if kind == "bank" else (_workspace_file, load_workspace)
    path = make(tmp_path, edit)
    with pytest.raises(LoadError) as info:
        load(path)
    assert str(info.value).startswith(f"{path}: ") and "layer 1: " + expected in str(info.value)


@pytest.mark.parametrize("kind", ["bank", "workspace"])
def test_numbers_too_large_for_float_are_a_clear_message(tmp_path: Path, kind: str) -> None:
    def edit(data: dict[str, Any]) -> None:
        pipeline = data.get("pipeline", data)
        pipeline["layers"][0]["filters"][0]["bias"] = 10**400

    make, load = (_bank_file, load_bank) if kind == "bank" else (_workspace_file, load_workspace)
    path = make(tmp_path, edit)
    with pytest.raises(LoadError, match="a number is too large"):
        load(path)


@pytest.mark.parametrize("text", ["[" * 100_000, '{"a": ' * 100_000, "[" * 100_000 + "]" * 100_000])
def test_deeply_nested_json_is_a_clear_message(tmp_path: Path, text: str) -> None:
    for load in (load_bank, load_workspace):
        path = tmp_path / "deep.json"
        path.write_text(text)
        with pytest.raises(LoadError) as info:
            load(path)
        assert type(info.value) is LoadError and "nested too deeply" in str(info.value)
    with pytest.raises(ValueError, match="nested too deeply"):
        parse_bank(text)


def test_workspace_with_wrong_channel_slices_for_rgb_is_refused(tmp_path: Path) -> None:
    def two_slices(data: dict[str, Any]) -> None:
        layer = data["pipeline"]["layers"][0]
        layer["filters"] = [dict(f, weight=f["weight"][:2]) for f in layer["filters"]]

    path = _workspace_file(tmp_path, two_slices)
    with pytest.raises(LoadError) as info:
        load_workspace(path)
    assert str(info.value) == (f"{path}: pipeline: layer 1: its filters have 2 channel "
                               "slice(s) x groups=1 = 2 input channel(s), but the input "
                               "gives 3")


def test_workspace_with_a_later_layer_mismatch_names_that_layer(tmp_path: Path) -> None:
    def second_layer(data: dict[str, Any]) -> None:
        layers = data["pipeline"]["layers"]
        count = len(layers[0]["filters"])
        weight = np.zeros((count + 1, 1, 1)).tolist()
        layers.append({"filters": [{"name": "mix", "weight": weight, "bias": 0.0}]})

    path = _workspace_file(tmp_path, second_layer)
    with pytest.raises(LoadError, match=r"layer 2: its filters have \d+ channel slice\(s\) "
                                        r"x groups=1 = \d+ input channel\(s\), but layer 1 gives"):
        load_workspace(path)


def test_workspace_with_mixed_slices_in_a_layer_is_refused(tmp_path: Path) -> None:
    def mixed(data: dict[str, Any]) -> None:
        filters = data["pipeline"]["layers"][0]["filters"]
        filters[0]["weight"] = filters[0]["weight"][:1]

    path = _workspace_file(tmp_path, mixed)
    with pytest.raises(LoadError, match=r"layer 1: its filters have different numbers of "
                                        r"channel slices \(1, 3\)"):
        load_workspace(path)


def test_consistent_workspaces_still_load(tmp_path: Path) -> None:
    def disable_one_and_add_layer(data: dict[str, Any]) -> None:
        layers = data["pipeline"]["layers"]
        count = len(layers[0]["filters"])
        layers[0]["filters"][0]["enabled"] = False  # the next layer may read all or enabled
        layers.append({"filters": [{"name": "mix", "weight": np.ones((count, 1, 1)).tolist(),
                                    "bias": 0.0}]})

    path = _workspace_file(tmp_path, disable_one_and_add_layer)
    ws = load_workspace(path)
    first, second = ws.pipeline.layers
    assert second.filters[0].channels == len(first.filters) == 4
    assert len(first.enabled_filters) == 3


if __name__ == "__main__":  # the child of _special_results
    limit = 4 << 30  # a loader reading /dev/zero hits MemoryError instead of the machine
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    print(json.dumps(_probe_specials(sys.argv[1], Path(sys.argv[2]))), flush=True)
    os._exit(0)  # threads stuck on a pipe or a device must not keep the child alive
