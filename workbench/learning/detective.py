"""The kernel detective: recover a hidden kernel from the feature map it makes.

The hidden kernel (a preset, or a kernel the user typed and then hid) is run on the
image; a learned kernel starts from zeros or small random numbers and is moved by
gradient descent until its map equals the hidden one. Alternatively the target is an
image the user supplies (say an edge map): then the learned kernel is the best linear
filter that turns the input into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.core.arrays import FloatArray, as_float32
from workbench.core.conv import conv2d
from workbench.core.pipeline import Filter, Layer, Pipeline
from workbench.core.presets import get_preset
from workbench.core.train import Trainer

#: Presets offered as hidden kernels (3x3 and 5x5 classics a student can recognise).
HIDDEN_PRESETS: tuple[str, ...] = ("sobel_x", "sobel_y", "vertical_line", "horizontal_line",
                                   "laplacian", "sharpen", "emboss", "box_blur_3", "gaussian_3",
                                   "gaussian_5", "gabor")
STARTS: tuple[str, ...] = ("zeros", "random")


@dataclass(frozen=True)
class DetectiveProblem:
    """A learned layer to start from, the input it sees and the map it must make."""

    start: Pipeline
    inputs: FloatArray
    target: FloatArray
    hidden: Filter | None

    def suggested_lr(self, optimizer: str = "sgd") -> float:
        """Pick a learning rate that converges quickly on this image without diverging.

        Parameters
        ----------
        optimizer : {"sgd", "adam"}, optional
            For SGD with momentum 0.9: ``2 / L`` (L the loss curvature, see
            :func:`patch_curvature`); for Adam, 0.05 (its steps do not scale with L).

        Returns
        -------
        float
            The learning rate, rounded to 2 significant digits.
        """
        if optimizer == "adam":
            return 0.05
        shape = self.start.layers[0].filters[0].kernel_size
        curvature = patch_curvature(self.inputs[0, 0], shape)
        return float(f"{2.0 / max(curvature, 1e-6):.2g}")

    def trainer(self, *, optimizer: str = "sgd", lr: float | None = None,
                seed: int = 0) -> Trainer:
        """Make the :class:`~workbench.core.train.Trainer` that solves this problem.

        Parameters
        ----------
        optimizer : {"sgd", "adam"}, optional
            Update rule (SGD has momentum 0.9).
        lr : float, optional
            Learning rate; by default :meth:`suggested_lr`.
        seed : int, optional
            Seed (the problem has a single batch, so it only matters for ties).

        Returns
        -------
        Trainer
            Mean squared error between the learned and the target map; the bias is
            learned only when the target is an image (a hidden kernel's bias is 0).
        """
        return Trainer(self.start, self.inputs, self.target, loss="mse",
                       optimizer=optimizer, seed=seed,
                       lr=self.suggested_lr(optimizer) if lr is None else lr,
                       train_bias=self.hidden is None)

    def weight_error(self, learned: Pipeline) -> float | None:
        """Largest absolute difference between the learned and the hidden weights.

        Parameters
        ----------
        learned : Pipeline
            The current weights (one layer, one filter).

        Returns
        -------
        float or None
            None when the target is an image (no hidden kernel to compare with).
        """
        if self.hidden is None:
            return None
        weight = learned.layers[0].filters[0].weight
        return float(np.max(np.abs(weight - self.hidden.weight)))


def standardised(image: FloatArray) -> FloatArray:
    """Shift and scale an image to mean 0 and standard deviation 1 (a flat image: mean 0).

    Networks are fed standardised inputs because gradient descent then converges far
    faster: the mean brightness otherwise dominates every patch.

    Parameters
    ----------
    image : numpy.ndarray
        Any float image.

    Returns
    -------
    numpy.ndarray
        float32, same shape.
    """
    centred = image - np.float32(image.mean(dtype=np.float64))
    std = float(centred.std(dtype=np.float64))
    return (centred / np.float32(std) if std > 0 else centred).astype(np.float32)


def patch_curvature(image: FloatArray, kernel_size: tuple[int, int]) -> float:
    """Largest eigenvalue of the MSE loss's Hessian for a kernel of this size on ``image``.

    The loss is quadratic in the weights; its Hessian is twice the covariance of the
    image's patches (estimated from up to ~65k of them).

    Parameters
    ----------
    image : numpy.ndarray
        ``(H, W)`` image.
    kernel_size : tuple of int
        ``(kH, kW)``.

    Returns
    -------
    float
        The curvature L (gradient descent is stable for learning rates below 2 / L).
    """
    kh, kw = kernel_size
    h, w = image.shape
    ho, wo = h - kh + 1, w - kw + 1
    if ho < 1 or wo < 1:
        return 1.0
    # Patches at a subsample of the positions (at most ~65k) estimate the covariance.
    step = max(1, int(np.ceil(np.sqrt(ho * wo / 65536))))
    x = image.astype(np.float64)
    patches = np.stack([x[i:i + ho:step, j:j + wo:step].ravel()
                        for i in range(kh) for j in range(kw)], axis=1)
    cov = patches.T @ patches / patches.shape[0]
    return float(2.0 * np.linalg.eigvalsh(cov).max())


def gray(image_chw: Any) -> FloatArray:
    """Mean over the channels of a ``(C, H, W)`` image, kept as ``(1, H, W)``.

    Parameters
    ----------
    image_chw : array_like
        The image.

    Returns
    -------
    numpy.ndarray
        float32 ``(1, H, W)``.
    """
    x = as_float32(image_chw, "image")
    if x.ndim != 3:
        raise ValueError(f"the image must be (C, H, W), got {x.shape}")
    return x if x.shape[0] == 1 else x.mean(axis=0, keepdims=True, dtype=np.float32)


def resize_map(target: Any, shape: tuple[int, int]) -> FloatArray:
    """Bilinear resize of a 2-D map to ``shape`` (for a target image of another size).

    Parameters
    ----------
    target : array_like
        ``(h, w)`` map.
    shape : tuple of int
        Wanted ``(H, W)``.

    Returns
    -------
    numpy.ndarray
        float32 ``(H, W)``.
    """
    t = as_float32(target, "target")
    if t.ndim != 2:
        raise ValueError(f"the target image must be 2-D, got {t.shape}")
    if t.shape == tuple(shape):
        return t

    def axis(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pos = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
        lo = np.floor(pos).astype(int)
        return lo, np.minimum(lo + 1, n_in - 1), (pos - lo).astype(np.float32)

    ylo, yhi, fy = axis(t.shape[0], shape[0])
    xlo, xhi, fx = axis(t.shape[1], shape[1])
    rows = t[ylo] * (1 - fy)[:, None] + t[yhi] * fy[:, None]
    return np.ascontiguousarray(rows[:, xlo] * (1 - fx) + rows[:, xhi] * fx, dtype=np.float32)


def starting_filter(shape: tuple[int, int, int], start: str = "zeros", *,
                    seed: int = 0) -> Filter:
    """Make the learned filter's first weights: zeros or small uniform random numbers.

    Parameters
    ----------
    shape : tuple of int
        ``(C, kH, kW)``.
    start : {"zeros", "random"}, optional
        How to start.
    seed : int, optional
        Seed of the random start.

    Returns
    -------
    Filter
        Named "learned".
    """
    if start not in STARTS:
        raise ValueError(f"start must be one of {STARTS}, got {start!r}")
    if start == "zeros":
        return Filter("learned", np.zeros(shape, np.float32))
    rng = np.random.default_rng(seed)
    return Filter("learned", rng.uniform(-0.5, 0.5, shape).astype(np.float32))


def detective_problem(image_chw: Any, hidden: Filter | str | None = None, *,
                      target_image: Any = None, kernel_size: tuple[int, int] = (3, 3),
                      start: str = "zeros", seed: int = 0) -> DetectiveProblem:
    """Set up a kernel-detective problem on an image.

    Parameters
    ----------
    image_chw : array_like
        ``(C, H, W)`` input; colour is averaged to grey, and the grey image is
        standardised (:func:`standardised`) before the hidden kernel is run on it.
    hidden : Filter or str, optional
        The kernel to recover (a :class:`Filter`, its first slice is used, or a preset
        key). Give either this or ``target_image``.
    target_image : array_like, optional
        ``(h, w)`` map the learned kernel must produce (resized to the map size);
        the layer then uses ``padding="same"`` so the map keeps the image size.
    kernel_size : tuple of int, optional
        Size of the learned kernel when learning towards a target image.
    start : {"zeros", "random"}, optional
        First weights of the learned kernel.
    seed : int, optional
        Seed of the random start.

    Returns
    -------
    DetectiveProblem
        The start pipeline, the ``(1, 1, H, W)`` input and the ``(1, 1, Ho, Wo)`` target.
    """
    x = standardised(gray(image_chw))[None]
    if (hidden is None) == (target_image is None):
        raise ValueError("give either a hidden kernel or a target image")
    if hidden is not None:
        if isinstance(hidden, str):
            preset = get_preset(hidden)
            hidden = Filter(preset.title, preset.kernel)
        hidden = Filter(hidden.name, hidden.weight[:1], 0.0)
        layer = Layer((starting_filter(hidden.weight.shape, start, seed=seed),))
        target = conv2d(x, hidden.weight[None])
    else:
        shape = (1, int(kernel_size[0]), int(kernel_size[1]))
        layer = Layer((starting_filter(shape, start, seed=seed),), padding="same")
        target = resize_map(target_image, x.shape[2:])[None, None]
    return DetectiveProblem(Pipeline("gray", (layer,)), x, target, hidden)
