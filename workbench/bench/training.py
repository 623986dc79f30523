"""Training workloads of ``conv-workbench bench`` (section T): ours against torch.autograd.

- T1: one epoch of the small digits CNN (8 filters 3x3 -> ReLU -> 2x2 max, 16 filters
  3x3x8 -> ReLU -> 2x2 max, dense 10, softmax cross-entropy, Adam, batches of 32) on
  scikit-learn's 1797 digits at 16x16 (the generated bars-and-edges set where
  scikit-learn is absent).
- T2: 100 kernel-detective steps (one 3x3 filter, MSE, SGD with momentum) on a 512x512
  smooth random image.

Both libraries start from the same weights and see the same batches in the same order;
the final losses are printed beside the times so a broken run cannot hide as a fast one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, cast

import numpy as np

from workbench.core.train import Trainer
from workbench.learning.cnn import CnnSpec, initial_network
from workbench.learning.datasets import Dataset, DatasetUnavailable, bars_and_edges, digits
from workbench.learning.detective import detective_problem

TorchStep = Callable[[], float]


def _dataset(quick: bool) -> Dataset:
    if quick:
        return bars_and_edges(256, 16)
    try:
        return digits(16)
    except DatasetUnavailable:
        return bars_and_edges(1800, 16)


def _epoch_ours(data: Dataset, spec: CnnSpec) -> Callable[[], float]:
    def run() -> float:
        pipeline, head = initial_network(spec, data.image_size, data.classes)
        trainer = Trainer(pipeline, data.train_x, data.train_y, loss="cross_entropy",
                          head=head, lr=spec.lr, batch_size=spec.batch_size, seed=spec.seed)
        steps = max(1, len(data.train_x) // spec.batch_size)
        loss = 0.0
        for _ in range(steps):
            loss = trainer.step().loss
        return loss
    return run


def _epoch_torch(torch: Any, data: Dataset, spec: CnnSpec) -> Callable[[], float]:
    functional = torch.nn.functional
    x_all = torch.from_numpy(data.train_x)
    y_all = torch.from_numpy(data.train_y)

    def run() -> float:
        pipeline, head = initial_network(spec, data.image_size, data.classes)
        params = []
        for layer in pipeline.layers:
            params.append(torch.tensor(np.stack([f.weight for f in layer.filters]),
                                       requires_grad=True))
            params.append(torch.tensor([f.bias for f in layer.filters], requires_grad=True))
        params += [torch.tensor(head.weight, requires_grad=True),
                   torch.tensor(head.bias, requires_grad=True)]
        optimizer = torch.optim.Adam(params, lr=spec.lr)
        order = np.random.default_rng(spec.seed).permutation(len(data.train_x))
        loss_value = 0.0
        for start in range(0, len(order) - spec.batch_size + 1, spec.batch_size):
            idx = torch.from_numpy(order[start:start + spec.batch_size])
            y = x_all[idx]
            for i in range(len(pipeline.layers)):
                y = functional.conv2d(y, params[2 * i], params[2 * i + 1], padding="same")
                y = functional.max_pool2d(functional.relu(y), 2)
            logits = y.reshape(y.shape[0], -1) @ params[-2].T + params[-1]
            loss = functional.cross_entropy(logits, y_all[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_value = float(loss.detach())
        return loss_value
    return run


def _detective_inputs(quick: bool) -> tuple[np.ndarray, Any]:
    side = 64 if quick else 512
    rng = np.random.default_rng(7)
    noise = rng.random((1, side + 4, side + 4), dtype=np.float32)
    # a smooth picture (box-blurred noise): photo-like correlations, no file needed
    image = cast(np.ndarray,
                 sum(noise[:, i:i + side, j:j + side] for i in range(5) for j in range(5)) / 25)
    return image.astype(np.float32), detective_problem(image, "sobel_x")


def _detective_ours(problem: Any, steps: int, lr: float) -> Callable[[], float]:
    def run() -> float:
        trainer = problem.trainer(optimizer="sgd", lr=lr)
        loss = 0.0
        for _ in range(steps):
            loss = trainer.step().loss
        return loss
    return run


def _detective_torch(torch: Any, problem: Any, steps: int, lr: float
                     ) -> Callable[[], float]:
    functional = torch.nn.functional
    x = torch.from_numpy(problem.inputs)
    target = torch.from_numpy(problem.target)

    def run() -> float:
        w = torch.zeros((1, 1, 3, 3), requires_grad=True)
        optimizer = torch.optim.SGD([w], lr=lr, momentum=0.9)
        loss_value = 0.0
        for _ in range(steps):
            loss = functional.mse_loss(functional.conv2d(x, w), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_value = float(loss.detach())
        return loss_value
    return run


def training_rows(torch: Any, quick: bool, repeat: int) -> list[tuple[str, str, str, float,
                                                                     float, float | None]]:
    """Time the training workloads.

    Parameters
    ----------
    torch : module or None
        PyTorch, if installed.
    quick : bool
        Small sizes (smoke test).
    repeat : int
        Timed runs per library (at most 3 for the epoch: it takes seconds).

    Returns
    -------
    list of tuple
        ``(key, workload, library, median_ms, final_loss, ratio)`` rows; ratio is
        ours / theirs (None on our own row).
    """
    rows: list[tuple[str, str, str, float, float, float | None]] = []
    data = _dataset(quick)
    spec = CnnSpec()
    steps = 10 if quick else 100
    _, problem = _detective_inputs(quick)
    side = problem.inputs.shape[-1]
    lr = problem.suggested_lr("sgd")
    works = [
        ("T1", f"1 epoch CNN on {data.name} ({len(data.train_x)} images 16x16)",
         _epoch_ours(data, spec),
         None if torch is None else _epoch_torch(torch, data, spec)),
        ("T2", f"{steps} detective steps on {side}x{side}",
         _detective_ours(problem, steps, lr),
         None if torch is None else _detective_torch(torch, problem, steps, lr)),
    ]
    for key, title, ours, theirs in works:
        ours_ms = 0.0
        for library, fn in (("ours (numba)", ours), ("torch autograd", theirs)):
            if fn is None:
                continue
            fn()  # warm-up (compiles; torch allocates)
            times, loss = [], 0.0
            for _ in range(max(1, min(repeat, 3))):
                t0 = time.perf_counter()
                loss = fn()
                times.append(time.perf_counter() - t0)
                time.sleep(0.3)
            median_ms = float(np.median(times)) * 1e3
            if library.startswith("ours"):
                ours_ms = median_ms
                rows.append((key, title, library, median_ms, loss, None))
            else:
                rows.append((key, title, library, median_ms, loss, ours_ms / median_ms))
    return rows


def format_training(rows: list[tuple[str, str, str, float, float, float | None]]) -> str:
    """Format the training rows as a table.

    Parameters
    ----------
    rows : list of tuple
        From :func:`training_rows`.

    Returns
    -------
    str
        The table.
    """
    lines = [f"{'':3} {'training workload':48} {'library':16} {'median ms':>10} "
             f"{'final loss':>11} {'ours/lib':>9}"]
    for key, title, library, ms, loss, ratio in rows:
        ratio_text = "" if ratio is None else f"{ratio:.2f}x"
        lines.append(f"{key:3} {title:48} {library:16} {ms:10.1f} {loss:11.4g} {ratio_text:>9}")
    return "\n".join(lines)


__all__ = ["format_training", "training_rows"]
