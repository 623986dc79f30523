"""Fault tolerance of ``conv-workbench apply``: bad inputs, signals, stale temp files."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from workbench.batch import apply as apply_module
from workbench.batch import main
from workbench.batch import process as process_module
from workbench.batch.manifest import MANIFEST_NAME
from workbench.resources import sample_path

ROOT = Path(__file__).resolve().parents[2]


def _images(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"img{i:02d}.png"
        shutil.copy(sample_path("vertical_line_8x8"), path)
        paths.append(path)
    return paths


def _run(args: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    code = main([*args, "--workers", "1"], stderr=err)
    return code, err.getvalue()


def _numba_typing_error() -> Exception:
    from numba.core.errors import TypingError

    return TypingError("Failed in nopython mode pipeline (step: nopython frontend)")


@pytest.mark.parametrize("make_error", [
    lambda: cv2.error("OpenCV(4.9) resize.cpp:4152: error: (-215:Assertion failed)"),
    MemoryError,
    _numba_typing_error,
    lambda: PermissionError(13, "Permission denied", "/x/out.png"),
    lambda: OSError(5, "Input/output error"),
    lambda: os.fsdecode(b"bad\xff.png").encode("utf-8"),
    lambda: RecursionError("maximum recursion depth exceeded"),
], ids=["cv2", "memory", "numba", "permission", "oserror", "unicode", "recursion"])
def test_one_failing_input_does_not_stop_the_run(tmp_path, monkeypatch, make_error):
    paths = _images(tmp_path / "in", 3)
    real = process_module._process_image

    def flaky(pixels, source, pipeline, options):
        if source == "img01":
            error = make_error()  # the unicode case raises while being built
            raise error
        return real(pixels, source, pipeline, options)

    monkeypatch.setattr(process_module, "_process_image", flaky)
    code, err = _run([str(paths[0].parent), "--preset", "sobel_x", "--out",
                      str(tmp_path / "o"), "--format", "npy", "--stages", "conv"])
    assert code == 1
    assert "Traceback" not in err
    assert "2 of 3 input(s) ok, 1 failed" in err
    failed = err.split("Failed:\n", 1)[1].splitlines()
    assert len(failed) == 1 and failed[0].startswith("  img01.png: ")
    assert len(failed[0]) > len("  img01.png: ")
    assert sorted(p.name for p in (tmp_path / "o").glob("*.npy")) == [
        "img00_L1_Sobel_x_conv.npy", "img02_L1_Sobel_x_conv.npy"]


def test_memory_error_message_is_a_sentence(tmp_path, monkeypatch):
    paths = _images(tmp_path / "in", 1)

    def boom(*_args):
        raise MemoryError

    monkeypatch.setattr(process_module, "_process_image", boom)
    code, err = _run([*map(str, paths), "--preset", "sobel_x", "--out", str(tmp_path / "o")])
    assert code == 1
    assert "img00.png: not enough memory to process it" in err


# ---------------------------------------------------------------- signals


def _start_run(tmp_path: Path, count: int, workers: int = 1
               ) -> tuple[subprocess.Popen[str], list[str]]:
    paths = _images(tmp_path / "in", count)
    out = tmp_path / "out"
    script = (
        "import signal, sys, time\n"
        # A background job (CI) inherits SIGINT ignored; a terminal's Ctrl+C is not.
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from workbench.batch import process\n"
        "real = process._process_image\n"
        "def slow(*a):\n"
        "    time.sleep(0.15)\n"
        "    return real(*a)\n"
        "process._process_image = slow\n"
        "from workbench.batch import main\n"
        "sys.exit(main(sys.argv[1:]))\n")
    args = [*map(str, paths), "--preset", "sobel_x", "--out", str(out), "--format", "npy",
            "--stages", "conv", "--workers", str(workers)]
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", NUMBA_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-c", script, *args], cwd=ROOT, env=env,
                            stderr=subprocess.PIPE, text=True)
    return proc, args


def _wait_first_output(proc: subprocess.Popen[str], out: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if out.is_dir() and any(p.suffix == ".npy" and not p.name.startswith(".~")
                                for p in out.iterdir()):
            return
        if proc.poll() is not None:
            pytest.fail(f"the run ended early: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.02)
    proc.kill()
    pytest.fail("no output appeared")


@pytest.mark.parametrize(("signum", "rc", "workers"), [
    (signal.SIGTERM, 143, 1), (signal.SIGINT, 130, 1), (signal.SIGTERM, 143, 2)],
    ids=["sigterm", "sigint", "sigterm-workers"])
def test_signal_stops_cleanly_and_a_rerun_continues(tmp_path, signum, rc, workers):
    count = 20 if workers == 1 else 200  # workers do not sleep (the patch is not theirs)
    proc, args = _start_run(tmp_path, count, workers)
    out = tmp_path / "out"
    try:
        _wait_first_output(proc, out)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == rc, err
    assert "Traceback" not in err
    done = len(list(out.glob("*.npy")))
    assert 1 <= done < count
    assert f"Interrupted after {done} of {count} input(s)." in err
    assert [p.name for p in out.iterdir() if p.name.startswith(".~")] == []
    assert json.loads((out / MANIFEST_NAME).read_text())  # saved, so a re-run continues
    code, rest = _run(args[:-2])
    assert code == 0, rest
    assert f"{count - done} of {count - done} input(s) ok, 0 failed, {done} skipped" in rest
    assert len(list(out.glob("*.npy"))) == count


def test_sigterm_handler_is_restored_after_the_run(tmp_path):
    paths = _images(tmp_path / "in", 1)
    before = signal.getsignal(signal.SIGTERM)
    code, _ = _run([*map(str, paths), "--preset", "sobel_x", "--out", str(tmp_path / "o")])
    assert code == 0
    assert signal.getsignal(signal.SIGTERM) is before


def test_terminated_inside_main_returns_143(tmp_path, monkeypatch):
    paths = _images(tmp_path / "in", 3)
    real = process_module._process_image

    def term_on_second(pixels, source, pipeline, options):
        if source == "img01":
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)  # the handler raises before this ends
        return real(pixels, source, pipeline, options)

    monkeypatch.setattr(process_module, "_process_image", term_on_second)
    code, err = _run([*map(str, paths), "--preset", "sobel_x", "--out", str(tmp_path / "o"),
                      "--format", "npy", "--stages", "conv"])
    assert code == 143
    assert "Interrupted after 1 of 3 input(s)." in err
    assert "Traceback" not in err


# ---------------------------------------------------------------- stale temp files


def test_stale_temp_files_are_swept_at_start(tmp_path):
    paths = _images(tmp_path / "in", 1)
    out = tmp_path / "o"
    out.mkdir()
    ours = [out / ".~0123abcd-img00_L1_conv_f1_sobel_x.npy", out / ".~deadbeef.npy"]
    users = [out / ".~lock.report.odt#", out / "notes.txt", out / ".~0123abcd"[:-1]]
    old = time.time() - 3600
    for path in ours + users:
        path.write_bytes(b"x")
        os.utime(path, (old, old))
    code, err = _run([*map(str, paths), "--preset", "sobel_x", "--out", str(out)])
    assert code == 0, err
    assert not any(p.exists() for p in ours)
    assert all(p.exists() for p in users)
    assert f"Removed 2 stale temporary file(s) left in {out}" in err


def test_fresh_temp_files_are_not_swept(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    fresh = out / ".~0123abcd-x.png"
    fresh.write_bytes(b"x")
    assert apply_module.sweep_temp_files(out, before=time.time() - 60) == []
    assert fresh.exists()


# ---------------------------------------------------------------- usage errors


def test_same_padding_with_stride_is_a_usage_error(tmp_path, monkeypatch):
    paths = _images(tmp_path / "in", 1)
    read: list[object] = []
    monkeypatch.setattr(process_module, "load_image", lambda *a: read.append(a))
    code, err = _run([*map(str, paths), "--preset", "sobel_x", "--padding", "same",
                      "--stride", "2", "--out", str(tmp_path / "o")])
    assert code == 2
    assert err.startswith("conv-workbench apply: error: layer 1: padding='same' requires "
                          "stride 1")
    assert read == [] and not (tmp_path / "o").exists()


@pytest.mark.parametrize(("text", "words"), [
    ("[" * 200_000 + "]" * 200_000, "nested too deeply"),
    ('{"format": "conv-workbench-bank", "x": 1e999999, "y": ' + "9" * 100_000 + "}", ""),
], ids=["deep", "huge-number"])
def test_hostile_bank_is_a_usage_error(tmp_path, text, words):
    paths = _images(tmp_path / "in", 1)
    bank = tmp_path / "bank.json"
    bank.write_text(text)
    code, err = _run([*map(str, paths), "--bank", str(bank), "--out", str(tmp_path / "o")])
    assert code == 2, err
    assert err.startswith("conv-workbench apply: error: cannot load the bank")
    assert words in err
    assert "Traceback" not in err and err.count("\n") == 1


# ---------------------------------------------------------------- hostile inputs


def test_non_finite_float_tiff_is_refused(tmp_path):
    good = _images(tmp_path / "in", 1)[0]
    bad = tmp_path / "in" / "nan.tif"
    pixels = np.ones((8, 8), np.float32)
    pixels[2, 3] = np.nan
    pixels[4, 4] = np.inf
    assert cv2.imwrite(str(bad), pixels)
    code, err = _run([str(bad), str(good), "--preset", "sobel_x", "--out",
                      str(tmp_path / "o"), "--format", "npy"])
    assert code == 1
    assert "nan.tif: " in err and "NaN or infinite values" in err
    assert "1 of 2 input(s) ok, 1 failed" in err
    assert not list((tmp_path / "o").glob("nan_*"))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("name", ["pipe.png", "pipe.avi"])
def test_fifo_input_is_refused_without_opening(tmp_path, name):
    good = _images(tmp_path / "in", 1)[0]
    fifo = tmp_path / name
    os.mkfifo(fifo)
    script = ("import sys\nfrom workbench.batch import main\nsys.exit(main(sys.argv[1:]))\n")
    proc = subprocess.run([sys.executable, "-c", script, str(fifo), str(good), "--preset",
                           "sobel_x", "--out", str(tmp_path / "o"), "--workers", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert f"{fifo}: FAILED: a named pipe (FIFO), not a regular file" in proc.stderr \
        or f"{name} ... FAILED: " in proc.stderr
    assert "named pipe (FIFO)" in proc.stderr
    assert "1 of 2 input(s) ok, 1 failed" in proc.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_fifo_bank_is_refused_without_opening(tmp_path):
    good = _images(tmp_path / "in", 1)[0]
    fifo = tmp_path / "bank.json"
    os.mkfifo(fifo)
    script = ("import sys\nfrom workbench.batch import main\nsys.exit(main(sys.argv[1:]))\n")
    proc = subprocess.run([sys.executable, "-c", script, str(good), "--bank", str(fifo),
                           "--out", str(tmp_path / "o"), "--workers", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("conv-workbench apply: error: cannot load the bank: ")
    assert "named pipe (FIFO), not a regular file" in proc.stderr


# ---------------------------------------------------------------- TIFF metadata


def test_tiff_pages_carry_imagej_metadata_and_the_pipeline(tmp_path):
    import tifffile

    from workbench.core import from_json
    from workbench.io.formats import read_array

    paths = _images(tmp_path / "in", 1)
    out = tmp_path / "o"
    code, err = _run([*map(str, paths), "--preset", "sobel_x", "--mode", "rgb", "--out",
                      str(out), "--format", "tiff,npy", "--stages", "input,conv"])
    assert code == 0, err
    conv = out / "img00_L1_Sobel_x_conv.tif"
    expected = np.load(out / "img00_L1_Sobel_x_conv.npy")
    with tifffile.TiffFile(conv) as tif:
        description = tif.pages[0].description
        meta = tif.imagej_metadata
        assert tif.pages[0].tags["Software"].value == "Conv Workbench"
    assert description.startswith("ImageJ=1.11a\nimages=1\n")
    assert meta["stage"] == "conv" and meta["layer"] == 1 and meta["filter"] == "Sobel x"
    assert meta["min"] == pytest.approx(float(expected.min()))
    assert meta["max"] == pytest.approx(float(expected.max()))
    assert meta["max"] > meta["min"]
    assert meta["Labels"] == "L1 Sobel x conv"
    assert from_json(meta["pipeline"]).layers[0].filters[0].name == "Sobel x"
    assert "value range: " in meta["Info"]
    np.testing.assert_array_equal(read_array(conv), expected)
    rgb = out / "img00_L0_rgb_input.tif"
    with tifffile.TiffFile(rgb) as tif:
        meta = tif.imagej_metadata
        assert len(tif.pages) == 3
        assert tif.pages[0].description.startswith("ImageJ=1.11a\nimages=3\n")
    assert meta["Labels"] == ["input R", "input G", "input B"]
    assert meta["stage"] == "input" and meta["layer"] == 0
    assert read_array(rgb).shape[0] == 3


def test_gray_input_tiff_keeps_its_shape_and_metadata(tmp_path):
    import tifffile

    from workbench.io.formats import read_array

    paths = _images(tmp_path / "in", 1)
    out = tmp_path / "o"
    code, err = _run([*map(str, paths), "--preset", "sobel_x", "--out", str(out),
                      "--format", "tiff,npy", "--stages", "input"])
    assert code == 0, err
    gray = out / "img00_L0_gray_input.tif"
    expected = np.load(out / "img00_L0_gray_input.npy")
    with tifffile.TiffFile(gray) as tif:
        meta = json.loads(tif.pages[0].description)
    assert meta["shape"] == list(expected.shape) and meta["stage"] == "input"
    assert meta["min"] == pytest.approx(float(expected.min()))
    assert meta["max"] == pytest.approx(float(expected.max()))
    assert json.loads(meta["pipeline"])["layers"]
    assert read_array(gray).tobytes() == expected.tobytes()


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="needs byte file names")
def test_non_utf8_file_name_is_processed_and_a_rerun_skips_it(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    bad = Path(os.fsdecode(os.fsencode(folder) + b"/bad\xff.png"))
    shutil.copy(sample_path("vertical_line_8x8"), bad)
    good = _images(folder, 1)[0]
    out = tmp_path / "o"
    args = [str(bad), str(good), "--preset", "sobel_x", "--out", str(out), "--format",
            "npy,tiff", "--stages", "conv"]
    code, err = _run(args)
    assert code == 0, err
    assert "2 of 2 input(s) ok" in err
    assert sorted(p.name for p in out.glob("bad*")) == ["bad_L1_Sobel_x_conv.npy",
                                                        "bad_L1_Sobel_x_conv.tif"]
    code, err = _run(args)
    assert code == 0 and "0 failed, 2 skipped" in err
