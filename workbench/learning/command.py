"""``conv-workbench train``: learn kernels headless, write the bank JSON and a loss log.

``train detective`` recovers a hidden kernel from the map it makes on an image;
``train cnn`` trains the small CNN on a bundled data set. Both print progress, and the
learned filters load in the window (Filters > Open bank) and in ``apply --bank``.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from workbench.core.image import image_to_chw
from workbench.core.pipeline import Filter, PipelineError
from workbench.core.train import OPTIMIZERS
from workbench.io.atomic import write_text
from workbench.io.bank import load_bank, save_bank
from workbench.io.images import limit_size, read_image
from workbench.learning.cnn import CnnSpec, evaluate, initial_network, learned_bank
from workbench.learning.datasets import DATASETS, DatasetUnavailable, load_dataset
from workbench.learning.detective import HIDDEN_PRESETS, STARTS, detective_problem
from workbench.resources import sample_path


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (np.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Build the ``train`` parser.

    Returns
    -------
    argparse.ArgumentParser
        With the sub-commands ``detective`` and ``cnn``.
    """
    parser = argparse.ArgumentParser(
        prog="conv-workbench train",
        description="Learn filters by gradient descent (gradients equal to PyTorch autograd).")
    sub = parser.add_subparsers(dest="what", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--optimizer", choices=OPTIMIZERS, default=None,
                        help="update rule (default: sgd with momentum 0.9 for the detective, "
                             "adam for the cnn)")
    common.add_argument("--lr", type=_positive_float, default=None,
                        help="learning rate (default: detective 2/curvature for SGD, 0.05 for "
                             "Adam; cnn 0.01)")
    common.add_argument("--seed", type=int, default=0, help="seed (runs are deterministic)")
    common.add_argument("--out", metavar="BANK.json", help="write the learned filters here")
    common.add_argument("--log", metavar="LOSS.csv", help="write the loss of every step here")
    common.add_argument("--force", action="store_true", help="overwrite --out / --log")
    common.add_argument("--quiet", action="store_true", help="print only the summary")

    det = sub.add_parser("detective", parents=[common],
                         help="recover a hidden kernel from its feature map")
    target = det.add_mutually_exclusive_group()
    target.add_argument("--hidden", default="sobel_x", metavar="PRESET",
                        help=f"preset to hide ({', '.join(HIDDEN_PRESETS)}; default sobel_x)")
    target.add_argument("--hidden-bank", metavar="BANK.json",
                        help="hide the first filter of this bank instead")
    target.add_argument("--target", metavar="IMAGE",
                        help="learn the filter that turns the input into this image")
    det.add_argument("--image", metavar="PATH",
                     help="input image (default: the built-in camera sample)")
    det.add_argument("--max-side", type=_positive_int, default=512,
                     help="shrink the input to this side first (default 512)")
    det.add_argument("--kernel", type=_positive_int, default=3,
                     help="learned kernel size with --target (default 3)")
    det.add_argument("--start", choices=STARTS, default="zeros")
    det.add_argument("--steps", type=_positive_int, default=300)

    cnn = sub.add_parser("cnn", parents=[common], help="train the small CNN on a data set")
    cnn.add_argument("--dataset", choices=tuple(DATASETS), default="digits")
    cnn.add_argument("--filters", type=_positive_int, default=8, help="filters of block 1")
    cnn.add_argument("--filters2", type=int, default=16,
                     help="filters of block 2 (0: one block only)")
    cnn.add_argument("--kernel", type=_positive_int, default=3)
    cnn.add_argument("--epochs", type=_positive_int, default=6)
    cnn.add_argument("--batch-size", type=_positive_int, default=32)
    return parser


def _write_outputs(args: argparse.Namespace, bank: object, rows: list[list[object]],
                   header: list[str]) -> None:
    if args.out:
        save_bank(args.out, bank, overwrite=args.force)  # type: ignore[arg-type]
        print(f"wrote {args.out}")
    if args.log:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(rows)
        write_text(args.log, buffer.getvalue(), overwrite=args.force)
        print(f"wrote {args.log}")


def _check_targets(args: argparse.Namespace) -> None:
    for option in ("out", "log"):
        path = getattr(args, option)
        if path and Path(path).exists() and not args.force:
            raise FileExistsError(f"{path} exists; pass --force to overwrite it")


def _detective(args: argparse.Namespace) -> int:
    image_path = Path(args.image) if args.image else sample_path("camera")
    pixels = limit_size(read_image(image_path), args.max_side)
    image = image_to_chw(pixels, "gray")
    if args.target:
        target_pixels = read_image(args.target)
        target = image_to_chw(target_pixels, "gray")[0]
        problem = detective_problem(image, target_image=target,
                                    kernel_size=(args.kernel, args.kernel),
                                    start=args.start, seed=args.seed)
    elif args.hidden_bank:
        bank = load_bank(args.hidden_bank)
        hidden: Filter | str = bank.layers[0].filters[0]
        problem = detective_problem(image, hidden, start=args.start, seed=args.seed)
    else:
        problem = detective_problem(image, args.hidden, start=args.start, seed=args.seed)
    trainer = problem.trainer(optimizer=args.optimizer or "sgd", lr=args.lr, seed=args.seed)
    rows: list[list[object]] = []
    t0 = time.perf_counter()
    last = None
    for _ in range(args.steps):
        last = trainer.step()
        error = problem.weight_error(last.pipeline)
        rows.append([last.step, f"{last.loss:.9g}", "" if error is None else f"{error:.9g}"])
        if not args.quiet and (last.step % 50 == 0 or last.step == args.steps):
            extra = "" if error is None else f"  max |w - hidden| {error:.2e}"
            print(f"step {last.step:5d}  loss {last.loss:.3e}{extra}")
    assert last is not None
    seconds = time.perf_counter() - t0
    learned = last.pipeline.layers[0].filters[0]
    np.set_printoptions(precision=4, suppress=True)
    print(f"{args.steps} steps in {seconds:.2f} s on a {image.shape[2]}x{image.shape[1]} "
          f"image; learned kernel:\n{learned.weight[0]}")
    error = problem.weight_error(last.pipeline)
    if error is not None:
        print(f"largest difference from the hidden kernel: {error:.2e}")
    _write_outputs(args, last.pipeline, rows, ["step", "loss", "max_weight_error"])
    return 0


def _cnn(args: argparse.Namespace) -> int:
    from workbench.core.train import Trainer

    data = load_dataset(args.dataset, seed=args.seed)
    spec = CnnSpec(filters1=args.filters, filters2=args.filters2, kernel=args.kernel,
                   epochs=args.epochs, batch_size=args.batch_size, lr=args.lr or 0.01,
                   optimizer=args.optimizer or "adam", seed=args.seed)
    pipeline, head = initial_network(spec, data.image_size, data.classes)
    trainer = Trainer(pipeline, data.train_x, data.train_y, loss="cross_entropy", head=head,
                      optimizer=spec.optimizer, lr=spec.lr, batch_size=spec.batch_size,
                      seed=spec.seed)
    steps_per_epoch = max(1, len(data.train_x) // spec.batch_size)
    rows: list[list[object]] = []
    t0 = time.perf_counter()
    for epoch in range(1, spec.epochs + 1):
        losses = []
        for _ in range(steps_per_epoch):
            step = trainer.step()
            losses.append(step.loss)
            rows.append([step.step, epoch, f"{step.loss:.9g}", f"{step.accuracy:.6g}", ""])
        test = evaluate(trainer, data.test_x, data.test_y)
        rows[-1][-1] = f"{test.accuracy:.6g}"
        if not args.quiet:
            print(f"epoch {epoch}/{spec.epochs}  train loss {np.mean(losses):.4f}  "
                  f"test accuracy {test.accuracy:.1%}  ({time.perf_counter() - t0:.1f} s)")
    test = evaluate(trainer, data.test_x, data.test_y)
    print(f"{data.name}: test accuracy {test.accuracy:.1%} on {len(data.test_y)} images "
          f"after {spec.epochs} epochs ({time.perf_counter() - t0:.1f} s)")
    _write_outputs(args, learned_bank(trainer.pipeline), rows,
                   ["step", "epoch", "loss", "batch_accuracy", "test_accuracy"])
    return 0


def main(argv: Sequence[str]) -> int:
    """Run ``conv-workbench train``.

    Parameters
    ----------
    argv : sequence of str
        Arguments after ``train``.

    Returns
    -------
    int
        0 on success, 1 if training or writing failed, 2 on a usage error.
    """
    args = build_parser().parse_args(list(argv))
    try:
        _check_targets(args)
        return _detective(args) if args.what == "detective" else _cnn(args)
    except (DatasetUnavailable, FileExistsError) as exc:
        print(f"conv-workbench train: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError, PipelineError, FloatingPointError, KeyError) as exc:
        print(f"conv-workbench train: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("conv-workbench train: interrupted", file=sys.stderr)
        return 130
