"""Small labelled image sets that need no download: scikit-learn's digits and bars/edges.

Every set is ``(N, 1, S, S)`` float32 in [0, 1] with integer labels, split into a
training and a test part by a seeded shuffle (stratified, so every class is in both).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from workbench.core.arrays import FloatArray


class DatasetUnavailable(RuntimeError):
    """A data set needs a package that is not installed (the message says which)."""


@dataclass(frozen=True)
class Dataset:
    """Images and labels, split into a training and a test part."""

    name: str
    classes: tuple[str, ...]
    train_x: FloatArray
    train_y: np.ndarray
    test_x: FloatArray
    test_y: np.ndarray

    @property
    def image_size(self) -> int:
        """Side S of the square images."""
        return int(self.train_x.shape[-1])


def _split(name: str, classes: tuple[str, ...], x: FloatArray, y: np.ndarray,
           test_fraction: float, seed: int) -> Dataset:
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie between 0 and 1, got {test_fraction}")
    rng = np.random.default_rng(seed)
    train_idx: list[np.ndarray] = []
    test_idx: list[np.ndarray] = []
    for label in range(len(classes)):
        idx = rng.permutation(np.flatnonzero(y == label))
        n_test = max(1, round(len(idx) * test_fraction))
        test_idx.append(idx[:n_test])
        train_idx.append(idx[n_test:])
    tr = rng.permutation(np.concatenate(train_idx))
    te = np.sort(np.concatenate(test_idx))
    return Dataset(name, classes, np.ascontiguousarray(x[tr]), y[tr].astype(np.int64),
                   np.ascontiguousarray(x[te]), y[te].astype(np.int64))


def _upsample(images: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of ``(N, h, w)`` images to ``size`` x ``size`` (pixel centres kept)."""
    n, h, w = images.shape
    if (h, w) == (size, size):
        return images

    def axis(n_in: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pos = np.clip((np.arange(size) + 0.5) * n_in / size - 0.5, 0, n_in - 1)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, (pos - lo).astype(np.float32)

    ylo, yhi, fy = axis(h)
    xlo, xhi, fx = axis(w)
    rows = images[:, ylo] * (1 - fy)[None, :, None] + images[:, yhi] * fy[None, :, None]
    out: np.ndarray = rows[:, :, xlo] * (1 - fx) + rows[:, :, xhi] * fx
    return out.astype(np.float32)


def digits(size: int = 16, *, test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """Scikit-learn's bundled 8x8 handwritten digits (1797 images, 10 classes).

    Parameters
    ----------
    size : int, optional
        Side the images are (bilinearly) upsampled to; 8 keeps them as they are.
    test_fraction : float, optional
        Part of every class held out for testing.
    seed : int, optional
        Seed of the split.

    Returns
    -------
    Dataset
        Pixels scaled to [0, 1].

    Raises
    ------
    DatasetUnavailable
        If scikit-learn is not installed (``pip install "conv-workbench[learn]"``).
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise DatasetUnavailable(
            "the digits data set comes with scikit-learn, which is not installed: "
            "pip install \"conv-workbench[learn]\"") from None
    data = load_digits()
    images = (np.asarray(data.images, np.float32) / 16.0)
    x = _upsample(images, int(size))[:, None]
    classes = tuple(str(k) for k in range(10))
    return _split("digits", classes, x, np.asarray(data.target), test_fraction, seed)


BAR_CLASSES: tuple[str, ...] = ("horizontal bar", "vertical bar", "diagonal bar",
                                "horizontal edge", "vertical edge", "diagonal edge")


def bars_and_edges(count: int = 1200, size: int = 16, *, test_fraction: float = 0.2,
                   seed: int = 0, noise: float = 0.1) -> Dataset:
    """Generate bars and edges at random positions and jittered orientations.

    Six classes: a bright bar or a dark-to-bright edge, horizontal, vertical or
    diagonal (either diagonal), each rotated by up to +-12 degrees, with Gaussian noise.

    Parameters
    ----------
    count : int, optional
        Number of images (spread evenly over the classes).
    size : int, optional
        Image side in pixels.
    test_fraction : float, optional
        Part of every class held out for testing.
    seed : int, optional
        Seed of the images and of the split.
    noise : float, optional
        Standard deviation of the added noise.

    Returns
    -------
    Dataset
        Pixels clipped to [0, 1].
    """
    if count < 2 * len(BAR_CLASSES) or size < 4:
        raise ValueError(f"need at least {2 * len(BAR_CLASSES)} images of side >= 4")
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % len(BAR_CLASSES)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) - (size - 1) / 2
    images = np.empty((count, size, size), np.float32)
    for i, label in enumerate(labels):
        orientation = label % 3
        base = (0.0, 90.0, rng.choice((45.0, 135.0)))[orientation]
        theta = np.deg2rad(base + rng.uniform(-12, 12))
        # distance from a line through a random offset, along the line's normal
        normal = -np.sin(theta) * xx + np.cos(theta) * yy
        offset = rng.uniform(-size / 4, size / 4)
        d = normal - offset
        if label < 3:
            width = rng.uniform(1.0, size / 6)
            picture = np.exp(-(d / width) ** 2)
        else:
            picture = 1.0 / (1.0 + np.exp(-d / rng.uniform(0.4, 1.2)))
        picture = 0.2 + 0.6 * picture + rng.normal(0, noise, picture.shape)
        images[i] = np.clip(picture, 0, 1)
    return _split("bars and edges", BAR_CLASSES, images[:, None], labels, test_fraction, seed)


DATASETS: dict[str, tuple[str, Callable[..., Dataset]]] = {
    "digits": ("Handwritten digits (scikit-learn, 1797 images, 16x16)", digits),
    "bars": ("Bars and edges (generated, 1200 images, 16x16)", bars_and_edges),
}


def load_dataset(key: str, *, seed: int = 0) -> Dataset:
    """Load a data set by its key in :data:`DATASETS`.

    Parameters
    ----------
    key : {"digits", "bars"}
        Which set.
    seed : int, optional
        Seed of the split (and of the generated images).

    Returns
    -------
    Dataset
        The set.

    Raises
    ------
    KeyError
        For an unknown key.
    DatasetUnavailable
        If the set needs a package that is not installed.
    """
    if key not in DATASETS:
        raise KeyError(f"unknown data set {key!r}; choose one of {', '.join(DATASETS)}")
    return DATASETS[key][1](seed=seed)
