"""Benchmark ``conv-workbench apply`` at data-set scale: serial, worker processes, Dask.

``python benchmarks/apply_scale.py [--images 2000] [--video-seconds 60] [--workers 2]``

Generates 512x512 images and a 640x480 video, then runs the same 4-filter bank (ReLU, 2x2
max pool, NPY + PNG of the pooled maps) serially, with ``--workers N`` and on an N-worker
Dask LocalCluster, each into a fresh folder; prints images/s, frames/s and the speed-up,
checks that the three output sets are identical bit for bit, and compares the cost per
image with a plain ``cv2.filter2D`` loop computing the same maps (no files written).
Check the load average it prints: another busy process on a 2-core machine skews every
number.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

BANK = ["--preset", "sobel_x", "--preset", "sobel_y", "--preset", "laplacian",
        "--preset", "gaussian_3", "--activation", "relu", "--pool", "max:2"]
OUTPUT = ["--format", "npy,png", "--stages", "pooled"]


def make_inputs(folder: Path, images: int, video_seconds: float) -> tuple[Path, Path]:
    """Write the images and the video; return their paths."""
    rng = np.random.default_rng(0)
    image_dir = folder / "images"
    image_dir.mkdir()
    base = rng.integers(0, 256, (512, 512), np.uint8)
    for i in range(images):
        cv2.imwrite(str(image_dir / f"img{i:05d}.png"), np.roll(base, i, axis=1))
    video = folder / "clip.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"mp4v"), 30, (640, 480))
    for i in range(int(30 * video_seconds)):
        frame = np.zeros((480, 640, 3), np.uint8)
        cv2.circle(frame, (int(320 + 200 * np.sin(i / 20)), 240), 60, (255, 255, 255), -1)
        writer.write(frame)
    writer.release()
    return image_dir, video


def run_apply(inputs: list[Path], out: Path, extra: list[str]) -> float:
    """Run apply in a fresh process; return the wall time in seconds."""
    command = [sys.executable, "-m", "workbench", "apply", *map(str, inputs), *BANK, *OUTPUT,
               "--out", str(out), *extra]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"apply failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds


def digest(folder: Path) -> str:
    """Hash every output file's name and bytes."""
    h = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if not path.name.startswith("."):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def cv2_loop_seconds(image_dir: Path, count: int) -> float:
    """Time the same maps with cv2.filter2D per image (no files written)."""
    from workbench.core import get_preset

    kernels = [get_preset(k).kernel.astype(np.float32)
               for k in ("sobel_x", "sobel_y", "laplacian", "gaussian_3")]
    start = time.perf_counter()
    for path in sorted(image_dir.iterdir())[:count]:
        gray = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE).astype(np.float32) / 255
        for k in kernels:
            conv = np.maximum(cv2.filter2D(gray, -1, k, borderType=cv2.BORDER_CONSTANT), 0)
            cv2.resize(conv, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_NEAREST)
    return (time.perf_counter() - start) / count


def main() -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--video-seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    print(f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}; "
          f"{args.images} images 512x512, a {args.video_seconds:g} s 640x480 video")
    with tempfile.TemporaryDirectory(prefix="apply-scale-") as tmp:
        folder = Path(tmp)
        image_dir, video = make_inputs(folder, args.images, args.video_seconds)
        frames = int(30 * args.video_seconds)
        runs = [("serial", ["--workers", "1"]),
                (f"--workers {args.workers}", ["--workers", str(args.workers)])]
        if not args.no_dask:
            runs.append((f"Dask LocalCluster ({args.workers})",
                         ["--dask", "--workers", str(args.workers)]))
        results = []
        for name, extra in runs:
            out_images, out_video = folder / f"out-{len(results)}", folder / f"vid-{len(results)}"
            image_s = run_apply([image_dir], out_images, extra)
            video_s = run_apply([video], out_video, extra)
            results.append((name, image_s, video_s, digest(out_images) + digest(out_video)))
            shutil.rmtree(out_images)
            shutil.rmtree(out_video)
        base_images, base_video = results[0][1], results[0][2]
        print(f"{'run':<24}{'images/s':>10}{'speed-up':>10}{'video fps':>11}{'speed-up':>10}"
              f"  same bytes")
        for name, image_s, video_s, fingerprint in results:
            print(f"{name:<24}{args.images / image_s:>10.1f}{base_images / image_s:>10.2f}"
                  f"{frames / video_s:>11.1f}{base_video / video_s:>10.2f}"
                  f"  {fingerprint == results[0][3]}")
        loop = cv2_loop_seconds(image_dir, min(args.images, 300))
        best = min(r[1] for r in results) / args.images
        print(f"cost per image: apply {best * 1e3:.1f} ms (best run, reading + computing + "
              f"writing NPY and PNG) vs plain cv2.filter2D loop {loop * 1e3:.1f} ms "
              "(reading + computing only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
