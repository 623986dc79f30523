"""A small CNN to train on the bundled data sets: conv -> ReLU -> max pool (x1 or x2) -> dense.

The conv layers are an ordinary :class:`~workbench.core.pipeline.Pipeline`, so once
trained they go straight into the workbench ("use these filters") and every view,
explanation and export works on them; the dense head stays with the trainer.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from workbench.core.arrays import FloatArray
from workbench.core.pipeline import Filter, Layer, Pipeline, Pool
from workbench.core.shapes import conv_output_size, pool_output_size
from workbench.core.train import DenseHead, Trainer


@dataclass(frozen=True)
class CnnSpec:
    """The network and how to train it.

    ``filters2 = 0`` leaves out the second conv block. Kernels are square, padded to
    keep the size ("same"), each block ends in ReLU and a 2x2 max pool.
    """

    filters1: int = 8
    filters2: int = 16
    kernel: int = 3
    epochs: int = 6
    batch_size: int = 32
    lr: float = 0.01
    optimizer: str = "adam"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.filters1 < 1 or self.filters2 < 0:
            raise ValueError("the first block needs >= 1 filter, the second >= 0")
        if self.kernel < 1 or self.kernel % 2 == 0:
            raise ValueError(f"the kernel size must be odd and >= 1, got {self.kernel}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch size must be >= 1")


def _he_filters(count: int, channels: int, k: int, rng: np.random.Generator,
                prefix: str) -> tuple[Filter, ...]:
    std = float(np.sqrt(2.0 / (channels * k * k)))
    return tuple(Filter(f"{prefix}{i + 1}", rng.normal(0, std, (channels, k, k))
                        .astype(np.float32)) for i in range(count))


def initial_network(spec: CnnSpec, image_size: int, classes: tuple[str, ...]
                    ) -> tuple[Pipeline, DenseHead]:
    """Randomly initialised conv blocks (He normal) and a dense head (Glorot uniform).

    Parameters
    ----------
    spec : CnnSpec
        Layer sizes and the seed.
    image_size : int
        Side of the square, single-channel inputs.
    classes : tuple of str
        Names of the outputs.

    Returns
    -------
    tuple
        ``(pipeline, head)``.
    """
    rng = np.random.default_rng(spec.seed)
    pool = Pool("max", (2, 2))
    blocks = [(spec.filters1, 1, "L1 f")]
    if spec.filters2:
        blocks.append((spec.filters2, spec.filters1, "L2 f"))
    layers = []
    side = image_size
    for count, channels, prefix in blocks:
        layers.append(Layer(_he_filters(count, channels, spec.kernel, rng, prefix),
                            padding="same", activation="relu", pool=pool))
        side = pool_output_size(conv_output_size(side, spec.kernel, 1, spec.kernel // 2, 1),
                                2, 2, 0, 1, False)
        if side < 1:
            raise ValueError(f"{image_size}x{image_size} images are too small for "
                             f"{len(blocks)} pooling blocks")
    features = blocks[-1][0] * side * side
    head = DenseHead.initial(features, classes, seed=spec.seed + 1)
    return Pipeline("gray", tuple(layers)), head


@dataclass(frozen=True)
class Evaluation:
    """Accuracy, mean loss and the confusion matrix (rows: true class, columns: predicted)."""

    accuracy: float
    loss: float
    confusion: np.ndarray


def evaluate(trainer: Trainer, x: FloatArray, y: np.ndarray, *,
             batch: int = 256) -> Evaluation:
    """Measure a classifier on held-out data.

    Parameters
    ----------
    trainer : Trainer
        A trainer with a dense head (its current weights are used).
    x : numpy.ndarray
        ``(N, 1, S, S)`` images.
    y : numpy.ndarray
        ``(N,)`` labels.
    batch : int, optional
        Images per forward pass.

    Returns
    -------
    Evaluation
        Accuracy, cross-entropy and the ``(K, K)`` confusion matrix.
    """
    head = trainer.head
    if head is None:
        raise ValueError("evaluate needs a trainer with a dense head")
    k = head.weight.shape[0]
    probs = np.concatenate([trainer.predict(x[i:i + batch]) for i in range(0, len(x), batch)])
    predicted = np.argmax(probs, axis=1)
    confusion = np.zeros((k, k), np.int64)
    np.add.at(confusion, (y, predicted), 1)
    picked = np.clip(probs[np.arange(len(y)), y], 1e-12, None)
    return Evaluation(float(np.mean(predicted == y)), float(-np.mean(np.log(picked))),
                      confusion)


def learned_bank(pipeline: Pipeline) -> Pipeline:
    """Turn the trained conv blocks into a workbench pipeline (grey input, filters renamed).

    Parameters
    ----------
    pipeline : Pipeline
        The conv part of a trained network.

    Returns
    -------
    Pipeline
        Same layers; filters named "learned L<layer> #<n>".
    """
    layers = []
    for li, layer in enumerate(pipeline.layers):
        filters = tuple(replace(f, name=f"learned L{li + 1} #{i + 1}")
                        for i, f in enumerate(layer.filters))
        layers.append(replace(layer, filters=filters))
    return Pipeline("gray", tuple(layers))
