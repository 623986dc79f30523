"""apply at scale: worker processes, the run manifest (resume, --force, --list), Ctrl+C."""

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from workbench.batch import apply as apply_module
from workbench.batch.apply import main
from workbench.batch.inputs import discover_inputs
from workbench.batch.manifest import MANIFEST_NAME, Manifest
from workbench.batch.parallel import run_in_workers, threads_per_worker
from workbench.core import default_pipeline
from workbench.io.maps import ExportOptions

ARGS = ["--preset", "sobel_x", "--preset", "gaussian_3", "--activation", "relu",
        "--pool", "max:2", "--format", "npy,png"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    images = tmp_path / "images"
    images.mkdir()
    for i in range(5):
        cv2.imwrite(str(images / f"img{i}.png"), rng.integers(0, 256, (30 + i, 40, 3), np.uint8))
    writer = cv2.VideoWriter(str(images / "clip.mp4"), cv2.VideoWriter.fourcc(*"mp4v"), 10,
                             (32, 24))
    for i in range(4):
        writer.write(np.full((24, 32, 3), 40 * i, np.uint8))
    writer.release()
    return images


def sources(folder: Path) -> list[Path]:
    """The image folder and the video (folders contribute their images only)."""
    return [folder, folder / "clip.mp4"]


def outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name != MANIFEST_NAME}


def run(argv, capsys):
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err.strip().splitlines()


def test_workers_write_the_same_bytes_as_a_serial_run(folder, tmp_path, capsys):
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    assert run([*sources(folder), *ARGS, "--out", serial, "--workers", "1"], capsys)[0] == 0
    code, lines = run([*sources(folder), *ARGS, "--out", parallel, "--workers", "2"], capsys)
    assert code == 0, lines
    a, b = outputs(serial), outputs(parallel)
    assert len(a) > 20 and a.keys() == b.keys()
    assert all(a[name] == b[name] for name in a)
    assert "6 of 6 input(s) ok, 0 failed, 0 skipped" in lines[-1]


def test_a_rerun_skips_what_is_complete_and_force_recomputes(folder, tmp_path, capsys):
    out = tmp_path / "out"
    assert run([*sources(folder), *ARGS, "--out", out, "--workers", "1"], capsys)[0] == 0
    first = outputs(out)
    os.utime(folder / "img2.png", ns=(1, 1))  # changed since: computed again
    code, lines = run([*sources(folder), *ARGS, "--out", out, "--workers", "1", "--overwrite"],
                      capsys)
    assert code == 0 and "1 of 1 input(s) ok, 0 failed, 5 skipped" in lines[-1]
    assert lines[0].startswith("[1/1] img2.png ... ok")
    code, lines = run([*sources(folder), *ARGS, "--out", out, "--workers", "1", "--force"], capsys)
    assert code == 0 and "6 of 6 input(s) ok, 0 failed, 0 skipped" in lines[-1]
    assert outputs(out) == first
    # A different pipeline is a different run: nothing is skipped.
    code, lines = run([*sources(folder), "--preset", "sobel_y", "--format", "npy", "--out", out,
                       "--workers", "1", "--list"], capsys)
    assert code == 0 and "6 input(s) to compute, 0 to skip" in lines[-1]


def test_list_prints_the_plan_and_writes_nothing(folder, tmp_path, capsys):
    out = tmp_path / "out"
    code, lines = run([*sources(folder), folder / "nope.png", *ARGS, "--out", out, "--list"],
                      capsys)
    assert code == 0 and not out.exists()
    assert any(line.endswith("clip.mp4: compute (video)") for line in lines)
    assert "img0.png: compute (image)" in lines
    assert any(line.endswith("nope.png: error: no such file or folder") for line in lines)
    assert lines[-1].startswith("7 input(s) to compute, 0 to skip; formats npy, png")


def test_ctrl_c_leaves_no_partial_files_and_a_rerun_continues(folder, tmp_path, capsys,
                                                             monkeypatch):
    out = tmp_path / "out"
    real = apply_module.process_item
    calls = []

    def interrupted_third(item, *args, **kwargs):
        calls.append(item.label)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(item, *args, **kwargs)

    monkeypatch.setattr(apply_module, "process_item", interrupted_third)
    code, lines = run([*sources(folder), *ARGS, "--out", out, "--workers", "1"], capsys)
    assert code == 130 and any("Interrupted" in line for line in lines)
    manifest, warning = Manifest.load(out)
    assert warning == "" and len(manifest.records) == 2
    assert not [p for p in out.iterdir() if ".tmp" in p.name or p.name.startswith(".~")]
    monkeypatch.setattr(apply_module, "process_item", real)
    code, lines = run([*sources(folder), *ARGS, "--out", out, "--workers", "1"], capsys)
    assert code == 0 and "4 of 4 input(s) ok, 0 failed, 2 skipped" in lines[-1]


def test_a_corrupt_input_is_reported_and_the_rest_finish_in_workers(folder, tmp_path, capsys):
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    code, lines = run([*sources(folder), *ARGS, "--out", tmp_path / "out", "--workers", "2"],
                      capsys)
    assert code == 1
    assert any("broken.png ... FAILED:" in line for line in lines)
    assert "6 of 7 input(s) ok, 1 failed" in "\n".join(lines)


class _KillsItsWorker(str):
    """A label that ends the process that unpickles it: a worker dying mid-task."""

    def __reduce__(self):
        return (os._exit, (3,))


def test_a_worker_that_dies_loses_only_its_own_input(folder, tmp_path):
    items = discover_inputs([str(folder), str(folder / "clip.mp4")])
    from dataclasses import replace

    items[1] = replace(items[1], label=_KillsItsWorker(items[1].label))
    out = tmp_path / "out"
    options = ExportOptions(out, ("npy",), ("pooled",))
    reports = run_in_workers(items, default_pipeline(), options, 2)
    assert [r.ok for r in reports] == [i != 1 for i in range(len(items))]
    assert "worker process died" in reports[1].message
    names = {p.name for p in out.iterdir()}
    for report in reports:
        assert all(Path(p).name in names for p in report.outputs)


def test_a_video_split_into_frame_ranges_gives_the_serial_files(folder, tmp_path, capsys):
    serial = tmp_path / "serial"
    assert run([folder / "clip.mp4", *ARGS, "--out", serial, "--workers", "1"], capsys)[0] == 0
    items = discover_inputs([str(folder / "clip.mp4")])
    out = tmp_path / "split"
    options = ExportOptions(out, ("npy", "png"), ("input", "conv", "activated", "pooled"))
    from workbench.batch.apply import build_parser, build_pipeline

    pipeline = build_pipeline(build_parser().parse_args([str(folder), *ARGS, "--out", "x"]))
    (report,) = run_in_workers(items, pipeline, options, 2, chunk_frames=3)
    assert report.ok and report.frames == 4
    assert outputs(out) == outputs(serial)


def test_threads_are_shared_out_between_workers():
    assert threads_per_worker(2, cores=2) == 1
    assert threads_per_worker(1, cores=2) == 2
    assert threads_per_worker(3, cores=8) == 2
    assert threads_per_worker(4, cores=2) == 1


distributed = pytest.importorskip("distributed", reason="the cluster extra is not installed")


def test_a_local_dask_cluster_writes_the_same_bytes_and_splits_videos(folder, tmp_path,
                                                                      capsys, monkeypatch):
    from workbench.batch import cluster

    serial, dask_out = tmp_path / "serial", tmp_path / "dask"
    assert run([*sources(folder), *ARGS, "--out", serial, "--workers", "1"], capsys)[0] == 0
    seen = []
    real = cluster.video_ranges
    monkeypatch.setattr(cluster, "video_ranges",
                        lambda item, chunk=2: seen.append(item.kind) or real(item, 2))
    code, lines = run([*sources(folder), *ARGS, "--out", dask_out, "--dask", "--workers", "2"],
                      capsys)
    assert code == 0, lines
    a, b = outputs(serial), outputs(dask_out)
    assert a.keys() == b.keys() and all(a[n] == b[n] for n in a)
    assert real(discover_inputs([str(folder / "clip.mp4")])[0], 2) == [(0, 2), (2, 4)]
    assert "6 of 6 input(s) ok" in lines[-1]
    # A re-run on the cluster skips everything the manifest records.
    code, lines = run([*sources(folder), *ARGS, "--out", dask_out, "--dask", "--workers", "2"],
                      capsys)
    assert code == 0 and "0 of 0 input(s) ok, 0 failed, 6 skipped" in lines[-1]


def test_a_killed_dask_worker_is_retried_and_nothing_is_lost(tmp_path):
    import signal
    import threading
    import time

    from dask.distributed import Client, LocalCluster

    from workbench.batch.cluster import run_on_cluster

    rng = np.random.default_rng(1)
    images = tmp_path / "many"
    images.mkdir()
    for i in range(40):
        cv2.imwrite(str(images / f"p{i:02d}.png"), rng.integers(0, 256, (200, 240), np.uint8))
    items = discover_inputs([str(images)])
    out = tmp_path / "out"
    options = ExportOptions(out, ("npy",), ("pooled",))
    killed = {}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        pids = list(client.run(os.getpid).values())

        def kill_a_worker_mid_run():
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if out.is_dir() and any(out.iterdir()):
                    os.kill(pids[0], signal.SIGKILL)
                    killed["at"] = time.monotonic()
                    return
                time.sleep(0.002)

        thread = threading.Thread(target=kill_a_worker_mid_run)
        thread.start()
        reports = run_on_cluster(items, default_pipeline(), options,
                                 scheduler=cluster.scheduler_address)
        finished = time.monotonic()
        thread.join()
    assert "at" in killed and killed["at"] < finished  # a worker died during the run
    assert all(r.ok for r in reports), [r.message for r in reports if not r.ok]
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 4 * len(items)  # every input's 4 pooled maps, nothing partial
    assert not [n for n in names if n.startswith(".")]
