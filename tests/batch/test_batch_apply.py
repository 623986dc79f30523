from __future__ import annotations

import re
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from workbench.batch import UsageError, main, parse_pool
from workbench.batch.inputs import discover_inputs
from workbench.batch.manifest import MANIFEST_NAME
from workbench.core import Pool, default_pipeline, image_to_chw, preset_filter, run_pipeline
from workbench.io.bank import save_bank
from workbench.io.images import limit_size, read_image
from workbench.io.maps import load_maps_npz
from workbench.resources import sample_path

PROGRESS = re.compile(
    r"^\[\s*\d+/\d+\] \S.* \.\.\. (ok(, \d+ frames)? \(\d+(\.\d)? m?s\)|FAILED: .+?)"
    r"( · [\d.e+]+ inputs/s · ETA \d+(\.\d)? m?s)?$")


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """A folder with two sample images, one in a subfolder, and a 12-frame video."""
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(sample_path("digit_one_4x4"), folder / "digit.png")
    shutil.copy(sample_path("vertical_line_8x8"), folder / "line.png")
    shutil.copy(sample_path("checkerboard"), folder / "sub" / "board.png")
    (folder / "notes.txt").write_text("not an image")
    writer = cv2.VideoWriter(str(tmp_path / "clip.avi"), cv2.VideoWriter.fourcc(*"MJPG"), 10,
                             (32, 24))
    assert writer.isOpened()
    for i in range(12):
        frame = np.full((24, 32, 3), 20 * i, np.uint8)
        frame[:, 10:14] = 255
        writer.write(frame)
    writer.release()
    return folder


def _run(args: list[str], capsys) -> tuple[int, list[str]]:
    if "--workers" not in args:  # in input order, in this process (workers: test_batch_parallel)
        args = [*args, "--workers", "1"]
    code = main(args)
    err = capsys.readouterr().err
    return code, err.splitlines()


def test_folder_run_matches_the_core_and_reports_progress(inputs: Path, tmp_path: Path,
                                                          capsys) -> None:
    out = tmp_path / "out"
    code, lines = _run([str(inputs), "--preset", "sobel_x", "--preset", "sobel_y",
                        "--activation", "relu", "--pool", "max:2", "--out", str(out),
                        "--format", "npz,png,montage"], capsys)
    assert code == 0
    assert len(lines) == 3
    assert all(PROGRESS.match(line) for line in lines[:2]), lines
    assert lines[0].startswith("[1/2] digit.png ... ok (")
    assert lines[2].startswith("Done in ") and "2 of 2 input(s) ok, 0 failed" in lines[2]
    assert f"{2 * (7 + 2)} file(s) written to {out}" in lines[2]  # 7 PNGs, NPZ, montage
    names = sorted(p.name for p in out.iterdir())
    assert "digit_maps.npz" in names and "line_montage.png" in names
    assert "digit_L1_Sobel_y_pooled.png" in names
    # the exported values are the core's output on the image as the window loads it
    pipeline = default_pipeline()
    archive = load_maps_npz(out / "line_maps.npz")
    layer = archive.pipeline.layers[0]
    assert layer.activation == "relu" and layer.pool == Pool("max", 2)
    result = run_pipeline(image_to_chw(read_image(inputs / "line.png"), "gray"),
                          archive.pipeline)
    assert archive.maps["input"].tobytes() == result.input.tobytes()
    assert archive.maps["L1_Sobel_x_pooled"].tobytes() == result.layers[0].pooled[0].tobytes()
    assert pipeline.input_mode == archive.pipeline.input_mode


def test_recursive_and_name_clashes(inputs: Path, tmp_path: Path) -> None:
    shutil.copy(sample_path("digit_one_4x4"), inputs / "sub" / "digit.png")
    shutil.copy(sample_path("digit_one_4x4"), inputs / "line.bmp")
    items = discover_inputs([inputs], recursive=True)
    assert [(i.label, i.source) for i in items] == [
        ("digit.png", "digit"), ("line.bmp", "line_bmp"), ("line.png", "line_png"),
        ("sub/board.png", "sub_board"), ("sub/digit.png", "sub_digit")]
    flat = discover_inputs([inputs, inputs / "digit.png"])
    assert [i.source for i in flat] == ["digit", "line_bmp", "line_png"]


def test_video_every_nth_frame(inputs: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    code, lines = _run([str(tmp_path / "clip.avi"), "--preset", "vertical_line", "--out",
                        str(out), "--format", "npy", "--stages", "pooled", "--every", "5"],
                       capsys)
    assert code == 0, lines
    assert PROGRESS.match(lines[0]) and ", 3 frames (" in lines[0]
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        f"clip_f{i:06d}_L1_Vertical_line_pooled.npy" for i in (0, 5, 10)]


def test_bad_inputs_are_reported_and_skipped(inputs: Path, tmp_path: Path, capsys) -> None:
    (inputs / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    out = tmp_path / "out"
    code, lines = _run([str(inputs), str(inputs / "notes.txt"), str(tmp_path / "missing.png"),
                        "--preset", "sobel_x", "--out", str(out), "--format", "npy",
                        "--workers", "1"], capsys)  # in order, one process
    assert code == 1
    assert lines[0].startswith("[1/5] broken.png ... FAILED: ") and "could not be decoded" in \
        lines[0]
    assert lines[1].startswith("[2/5] digit.png ... ok")
    assert "notes.txt ... FAILED: not an image or video file" in lines[3]
    assert "missing.png ... FAILED: no such file or folder" in lines[4]
    assert "2 of 5 input(s) ok, 3 failed" in lines[5]
    assert lines[6] == "Failed:" and len(lines) == 10
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith("."))[0] == \
        "digit_L0_gray_input.npy"


def test_existing_outputs_need_overwrite(inputs: Path, tmp_path: Path, capsys) -> None:
    args = [str(inputs / "digit.png"), "--preset", "sobel_x", "--out", str(tmp_path / "o"),
            "--format", "npy"]
    assert _run(args, capsys)[0] == 0
    code, lines = _run(args, capsys)  # complete in the run manifest: skipped
    assert code == 0 and "0 of 0 input(s) ok, 0 failed, 1 skipped" in lines[-1]
    (tmp_path / "o" / MANIFEST_NAME).unlink()  # without it, existing files are never replaced
    code, lines = _run(args, capsys)
    assert code == 1 and "already exists (use --overwrite to replace it)" in lines[0]
    assert _run([*args, "--overwrite"], capsys)[0] == 0
    assert _run([*args, "--force"], capsys)[0] == 0


def test_pipeline_errors_are_per_input(inputs: Path, tmp_path: Path, capsys) -> None:
    code, lines = _run([str(inputs / "digit.png"), str(inputs / "line.png"), "--preset", "gabor",
                        "--out", str(tmp_path / "o"), "--format", "npy"], capsys)
    assert code == 1  # the 7x7 Gabor does not fit the 4x4 digit, but fits the 8x8 line
    assert "digit.png ... FAILED: layer 1:" in lines[0] and "line.png ... ok" in lines[1]


def test_bank_file_and_max_side(inputs: Path, tmp_path: Path, capsys) -> None:
    bank = save_bank(tmp_path / "bank.json", default_pipeline("rgb"))
    out = tmp_path / "o"
    code, _ = _run([str(inputs / "sub" / "board.png"), "--bank", str(bank), "--max-side", "40",
                    "--out", str(out), "--format", "npz"], capsys)
    assert code == 0
    archive = load_maps_npz(out / "board_maps.npz")
    assert archive.pipeline == default_pipeline("rgb")
    pixels = read_image(inputs / "sub" / "board.png")
    expected = image_to_chw(limit_size(pixels, 40), "rgb")
    assert max(archive.maps["input"].shape) == 40 and archive.maps["input"].shape[0] == 3
    assert archive.maps["input"].tobytes() == expected.tobytes()


def test_bank_may_be_a_workspace(inputs: Path, tmp_path: Path, capsys) -> None:
    from workbench.io.workspace import SourceSpec, Workspace, save_workspace

    pipeline = default_pipeline()
    save_workspace(tmp_path / "w.json", Workspace(SourceSpec("sample", sample_key="camera"),
                                                  pipeline))
    out = tmp_path / "o"
    code, _ = _run([str(inputs / "line.png"), "--bank", str(tmp_path / "w.json"), "--out",
                    str(out), "--format", "npz"], capsys)
    assert code == 0
    assert load_maps_npz(out / "line_maps.npz").pipeline == pipeline


def test_groups_adapt_preset_slices(inputs: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "o"
    code, lines = _run([str(inputs / "line.png"), "--preset", "sobel_x", "--preset", "sobel_y",
                        "--preset", "laplacian", "--mode", "rgb", "--groups", "3", "--out",
                        str(out), "--format", "npz"], capsys)
    assert code == 0, lines
    layer = load_maps_npz(out / "line_maps.npz").pipeline.layers[0]
    assert layer.groups == 3 and layer.filters[0].weight.shape == (1, 3, 3)
    assert layer.filters[0] == preset_filter("sobel_x")


@pytest.mark.parametrize(("extra", "message"), [
    (["--preset", "sobel_q"], "unknown preset 'sobel_q'"),
    (["--preset", "sobel_x", "--pool", "max:2:x3"], "--pool part 'x3' not understood"),
    (["--preset", "sobel_x", "--pool", "median:2"], "--pool kind must be one of"),
    (["--preset", "sobel_x", "--stride", "a"], "--stride must be N or N,M"),
    (["--preset", "sobel_x", "--padding", "-1"], "padding must be"),
    (["--preset", "sobel_x", "--format", "png,gif"], "--format takes a comma-separated list"),
    (["--preset", "sobel_x", "--stages", "raw"], "--stages takes"),
    (["--preset", "sobel_x", "--pattern", "{source}_{chanel}.{ext}"],
     r"unknown placeholder \{chanel\}"),
    (["--preset", "sobel_x", "--every", "0"], "--every must be at least 1"),
    (["--preset", "sobel_x", "--max-side", "0"], "--max-side must be at least 1"),
    (["--bank", "BANK", "--stride", "2"], "--stride only apply to --preset banks"),
    (["--bank", "BANK", "--mode", "gray"], "--mode gray does not match the bank's"),
    (["--bank", "MISSING"], "cannot load the bank"),
    (["--bank", "BROKEN"], "cannot load the bank: .*not valid JSON"),
])
def test_usage_errors_exit_2_and_process_nothing(inputs: Path, tmp_path: Path, capsys,
                                                 extra: list[str], message: str) -> None:
    save_bank(tmp_path / "bank.json", default_pipeline("rgb"))
    (tmp_path / "broken.json").write_text('{"schema_version": 1, "lay')
    names = {"BANK": tmp_path / "bank.json", "MISSING": tmp_path / "missing.json",
             "BROKEN": tmp_path / "broken.json"}
    extra = [str(names.get(a, a)) for a in extra]
    out = tmp_path / "o"
    code, lines = _run([str(inputs), *extra, "--out", str(out)], capsys)
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith("conv-workbench apply: error: ")
    assert re.search(message, lines[0]), lines[0]
    assert not out.exists()


def test_argparse_errors_and_help(tmp_path: Path, capsys) -> None:
    assert main(["x.png", "--out", str(tmp_path)]) == 2  # neither --bank nor --preset
    assert "one of the arguments --bank --model --preset is required" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert "every N-th frame" in capsys.readouterr().out


def test_out_must_be_a_folder(inputs: Path, tmp_path: Path, capsys) -> None:
    (tmp_path / "file").write_text("x")
    code, lines = _run([str(inputs), "--preset", "sobel_x", "--out", str(tmp_path / "file")],
                       capsys)
    assert code == 2 and "is a file, not a folder" in lines[0]


@pytest.mark.parametrize(("spec", "pool"), [
    ("max:2", Pool("max", 2)),
    ("avg:2x3", Pool("avg", (2, 3))),
    ("min:3:s2", Pool("min", 3, 2)),
    ("max:3:s2x1:p1:ceil", Pool("max", 3, (2, 1), 1, True)),
    ("max", Pool("max", 2)),
    ("global_avg", Pool("global_avg")),
])
def test_parse_pool(spec: str, pool: Pool) -> None:
    assert parse_pool(spec) == pool


def test_parse_pool_rejects_bad_padding() -> None:
    with pytest.raises(UsageError, match="at most half the window"):
        parse_pool("max:2:p2")
    with pytest.raises(UsageError, match="--pool: pool size"):
        parse_pool("avg:0")
