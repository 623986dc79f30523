"""Gradient descent over a :class:`~workbench.core.pipeline.Pipeline` (+ a dense head).

The forward pass runs the core's own batched ops (conv, activation, pooling) and keeps
what the backward pass needs; :mod:`workbench.core.backward` gives the gradients (equal
to ``torch.autograd``), :mod:`workbench.core.optim` the updates. A :class:`Trainer` is
stateful so a window can pause it, change the learning rate or edit a weight between
two steps; :func:`train` is the same loop as a generator for scripts and notebooks.

Every enabled filter of every layer is learned (disabled filters are left as they are
and, as in :func:`~workbench.core.pipeline.run_pipeline`, take no part); the filters of
a layer must share one kernel size. Runs are deterministic for a given ``seed``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from workbench.core.activations import activate
from workbench.core.arrays import FloatArray, as_float32
from workbench.core.backward import (
    activation_backward,
    avg_pool2d_backward,
    conv2d_gradients,
    global_avg_pool2d_backward,
    global_max_pool2d_backward,
    max_pool2d_backward,
    min_pool2d_backward,
)
from workbench.core.conv import conv2d, plan_conv2d
from workbench.core.im2col import (
    Unrolled,
    can_unroll,
    unrolled_conv2d,
    unrolled_conv2d_backward,
)
from workbench.core.losses import mse_loss, softmax, softmax_cross_entropy
from workbench.core.optim import SGD, Adam
from workbench.core.pipeline import Filter, Layer, Pipeline, PipelineError, Pool
from workbench.core.pooling import (
    avg_pool2d,
    global_avg_pool2d,
    global_max_pool2d,
    max_pool2d,
    min_pool2d,
)

LOSSES: tuple[str, ...] = ("mse", "cross_entropy")
OPTIMIZERS: tuple[str, ...] = ("adam", "sgd")


@dataclass(frozen=True, eq=False)
class DenseHead:
    """A fully connected classifier on the flattened output of the last layer.

    ``logits = features @ weight.T + bias`` with ``weight`` ``(K, D)`` and ``bias``
    ``(K,)``; ``classes`` names the K outputs.
    """

    weight: FloatArray
    bias: FloatArray
    classes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        weight = as_float32(self.weight, "weight")
        bias = as_float32(self.bias, "bias")
        if weight.ndim != 2 or bias.shape != (weight.shape[0],):
            raise ValueError(f"a dense head needs weight (K, D) and bias (K,), got "
                             f"{weight.shape} and {bias.shape}")
        object.__setattr__(self, "weight", weight.copy())
        object.__setattr__(self, "bias", bias.copy())
        classes = tuple(str(c) for c in self.classes) or tuple(
            str(k) for k in range(weight.shape[0]))
        if len(classes) != weight.shape[0]:
            raise ValueError(f"{len(classes)} class names for {weight.shape[0]} outputs")
        object.__setattr__(self, "classes", classes)

    @classmethod
    def initial(cls, features: int, classes: int | tuple[str, ...], *,
                seed: int = 0) -> DenseHead:
        """Make a head with Glorot-uniform weights and zero bias.

        Parameters
        ----------
        features : int
            Length D of the flattened features.
        classes : int or tuple of str
            Number of outputs, or their names.
        seed : int, optional
            Seed of the random weights.

        Returns
        -------
        DenseHead
            The new head.
        """
        names = tuple(str(k) for k in range(classes)) if isinstance(classes, int) else classes
        limit = float(np.sqrt(6.0 / (features + len(names))))
        rng = np.random.default_rng(seed)
        weight = rng.uniform(-limit, limit, (len(names), features)).astype(np.float32)
        return cls(weight, np.zeros(len(names), np.float32), names)


@dataclass(frozen=True)
class TrainStep:
    """What one optimisation step gives: its number, loss and the weights after it."""

    step: int
    epoch: int
    loss: float
    pipeline: Pipeline
    head: DenseHead | None
    seconds: float
    accuracy: float | None = None


@dataclass
class _LayerCache:
    x: FloatArray
    z: FloatArray
    a: FloatArray
    unrolled: Unrolled | None


def _trainable(layer: Layer, index: int) -> list[Filter]:
    filters = list(layer.enabled_filters)
    if not filters:
        raise PipelineError("no enabled filters to learn", index)
    if len({f.weight.shape for f in filters}) != 1:
        raise PipelineError("every enabled filter of a layer needs the same kernel size and "
                            "channel count to be learned together", index)
    return filters


def _conv_args(layer: Layer) -> dict[str, Any]:
    return {"stride": layer.stride, "padding": layer.padding, "dilation": layer.dilation,
            "groups": layer.groups, "padding_mode": layer.padding_mode, "flip": layer.flip}


def _pool_forward(a: FloatArray, pool: Pool) -> FloatArray:
    if pool.kind == "none":
        return a
    if pool.kind == "global_max":
        return global_max_pool2d(a)
    if pool.kind == "global_avg":
        return global_avg_pool2d(a)
    if pool.kind == "avg":
        return avg_pool2d(a, pool.size, stride=pool.stride, padding=pool.padding,
                          ceil_mode=pool.ceil_mode)
    func = max_pool2d if pool.kind == "max" else min_pool2d
    return func(a, pool.size, stride=pool.stride, padding=pool.padding, ceil_mode=pool.ceil_mode)


def _pool_backward(grad: FloatArray, a: FloatArray, pool: Pool) -> FloatArray:
    if pool.kind == "none":
        return grad
    if pool.kind == "global_max":
        return global_max_pool2d_backward(grad, a)
    if pool.kind == "global_avg":
        return global_avg_pool2d_backward(grad, a)
    if pool.kind == "avg":
        return avg_pool2d_backward(grad, a, pool.size, stride=pool.stride, padding=pool.padding,
                                   ceil_mode=pool.ceil_mode)
    func = max_pool2d_backward if pool.kind == "max" else min_pool2d_backward
    return func(grad, a, pool.size, stride=pool.stride, padding=pool.padding,
                ceil_mode=pool.ceil_mode)


class Trainer:
    """Learn the weights of a pipeline (and an optional dense head) by gradient descent.

    Parameters
    ----------
    pipeline : Pipeline
        The layers to learn; its current weights are the starting point.
    inputs : array_like
        ``(N, C, H, W)`` training inputs.
    targets : array_like
        For ``loss="mse"`` the wanted output of the last stage of the last layer,
        ``(N, F, H_out, W_out)``; for ``"cross_entropy"`` integer class labels ``(N,)``.
    loss : {"mse", "cross_entropy"}, optional
        Mean squared error on the maps, or softmax cross-entropy on the head's logits
        (needs ``head``).
    head : DenseHead, optional
        Classifier on the flattened output of the last layer.
    optimizer : {"adam", "sgd"}, optional
        Update rule (``torch.optim.Adam`` / ``torch.optim.SGD``).
    lr : float, optional
        Learning rate.
    momentum : float, optional
        SGD momentum.
    batch_size : int, optional
        Mini-batch size; by default every step sees all inputs. Batches are drawn from
        a shuffled order, reshuffled every epoch, from ``seed``.
    seed : int, optional
        Seed of the shuffling.
    train_bias : bool, optional
        Learn the conv biases too (else they keep their values).

    Raises
    ------
    ValueError
        On inconsistent shapes or arguments (the message says which).
    PipelineError
        If a layer cannot be learned or run on the inputs.
    """

    def __init__(self, pipeline: Pipeline, inputs: Any, targets: Any, *, loss: str = "mse",
                 head: DenseHead | None = None, optimizer: str = "adam", lr: float = 0.01,
                 momentum: float = 0.9, batch_size: int | None = None, seed: int = 0,
                 train_bias: bool = True) -> None:
        self._train_bias = bool(train_bias)
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
        if loss == "cross_entropy" and head is None:
            raise ValueError("loss='cross_entropy' needs a dense head")
        if not pipeline.layers:
            raise ValueError("the pipeline has no layer to learn")
        x = as_float32(inputs, "inputs")
        if x.ndim != 4 or x.shape[0] == 0:
            raise ValueError(f"inputs must be a non-empty (N, C, H, W) array, got {x.shape}")
        self._inputs = x
        if loss == "cross_entropy":
            labels = np.asarray(targets)
            if labels.shape != (x.shape[0],) or not np.issubdtype(labels.dtype, np.integer):
                raise ValueError(f"targets must be {x.shape[0]} integer labels, got "
                                 f"{labels.shape} {labels.dtype}")
            assert head is not None
            if labels.min() < 0 or labels.max() >= head.weight.shape[0]:
                raise ValueError(f"labels must lie in 0..{head.weight.shape[0] - 1}")
            self._targets: np.ndarray = labels.astype(np.int64)
        else:
            self._targets = as_float32(targets, "targets")
        self._loss = loss
        self._seed = int(seed)
        self._batch_size = x.shape[0] if batch_size is None else int(batch_size)
        if self._batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self._momentum = float(momentum)
        self._optimizer_name = ""
        self._lr = float(lr)
        self._optimizer: SGD | Adam
        self._load(pipeline, head)
        self.set_optimizer(optimizer, lr)
        self._step = 0
        self._epoch = 0
        self._order = np.arange(x.shape[0])
        self._cursor = x.shape[0]
        self._rng = np.random.default_rng(self._seed)
        out = self._forward(x[:1])[0]
        if loss == "mse" and self._targets.shape[1:] != out.shape[1:]:
            raise ValueError(f"targets {self._targets.shape[1:]} do not match the output "
                             f"{out.shape[1:]} of the last stage")
        if loss == "mse" and self._targets.shape[0] != x.shape[0]:
            raise ValueError(f"{self._targets.shape[0]} targets for {x.shape[0]} inputs")

    # ------------------------------------------------------------ state

    def _load(self, pipeline: Pipeline, head: DenseHead | None) -> None:
        self._pipeline = pipeline
        self._weights: list[FloatArray] = []
        self._biases: list[FloatArray] = []
        for index, layer in enumerate(pipeline.layers):
            filters = _trainable(layer, index)
            self._weights.append(np.stack([f.weight for f in filters]).astype(np.float32))
            self._biases.append(np.array([f.bias for f in filters], np.float32))
        self._head_weight = None if head is None else head.weight.copy()
        self._head_bias = None if head is None else head.bias.copy()
        self._classes = () if head is None else head.classes

    def _restore(self, values: list[FloatArray]) -> None:
        for param, value in zip(self._params(), values, strict=True):
            param[...] = value

    def _params(self) -> list[FloatArray]:
        params: list[FloatArray] = []
        for w, b in zip(self._weights, self._biases, strict=True):
            params += [w, b]
        if self._head_weight is not None and self._head_bias is not None:
            params += [self._head_weight, self._head_bias]
        return params

    @property
    def step_count(self) -> int:
        """Steps taken so far."""
        return self._step

    @property
    def lr(self) -> float:
        """The learning rate of the next step."""
        return self._lr

    def set_optimizer(self, name: str, lr: float | None = None) -> None:
        """Switch the update rule (its state starts afresh) and/or the learning rate.

        Parameters
        ----------
        name : {"adam", "sgd"}
            Update rule.
        lr : float, optional
            New learning rate; by default the current one.
        """
        if name not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")
        lr = self._lr if lr is None else float(lr)
        if not (np.isfinite(lr) and lr > 0):
            raise ValueError(f"the learning rate must be a positive number, got {lr}")
        if name == self._optimizer_name:
            self.set_lr(lr)
            return
        self._lr = lr
        self._optimizer_name = name
        self._optimizer = Adam(lr) if name == "adam" else SGD(lr, momentum=self._momentum)

    def set_lr(self, lr: float) -> None:
        """Change the learning rate from the next step on (optimiser state is kept).

        Parameters
        ----------
        lr : float
            Positive learning rate.
        """
        lr = float(lr)
        if not (np.isfinite(lr) and lr > 0):
            raise ValueError(f"the learning rate must be a positive number, got {lr}")
        self._lr = lr
        self._optimizer.lr = lr

    def set_pipeline(self, pipeline: Pipeline, head: DenseHead | None = None) -> None:
        """Continue from edited weights (same layer shapes); the optimiser state is kept.

        Parameters
        ----------
        pipeline : Pipeline
            The edited pipeline: same layers, filter counts and kernel shapes.
        head : DenseHead, optional
            An edited head; by default the current one is kept.
        """
        old = [w.shape for w in self._weights]
        keep_head = (self._head_weight, self._head_bias)
        self._load(pipeline, self.head if head is None else head)
        if [w.shape for w in self._weights] != old:
            raise ValueError("set_pipeline needs the same layers and kernel shapes; "
                             "start a new Trainer for a different network")
        if head is None and keep_head[0] is not None:
            self._head_weight, self._head_bias = keep_head

    @property
    def pipeline(self) -> Pipeline:
        """The pipeline with the current weights."""
        layers = []
        for li, layer in enumerate(self._pipeline.layers):
            weights, biases = self._weights[li], self._biases[li]
            filters = list(layer.filters)
            j = 0
            for i, f in enumerate(filters):
                if f.enabled:
                    filters[i] = replace(f, weight=weights[j].copy(), bias=float(biases[j]))
                    j += 1
            layers.append(replace(layer, filters=tuple(filters)))
        return replace(self._pipeline, layers=tuple(layers))

    @property
    def head(self) -> DenseHead | None:
        """The dense head with the current weights (none without a head)."""
        if self._head_weight is None or self._head_bias is None:
            return None
        return DenseHead(self._head_weight, self._head_bias, self._classes)

    # ------------------------------------------------------------ passes

    def _forward(self, x: FloatArray) -> tuple[FloatArray, list[_LayerCache]]:
        caches: list[_LayerCache] = []
        current = x
        for li, layer in enumerate(self._pipeline.layers):
            try:
                args = _conv_args(layer)
                unrolled: Unrolled | None = None
                plan = plan_conv2d(current[:1], self._weights[li], None, **args)
                if can_unroll(layer.groups, current.shape, self._weights[li].shape,
                              plan.out_size):
                    z, unrolled = unrolled_conv2d(current, self._weights[li],
                                                  self._biases[li], **args)
                else:
                    z = conv2d(current, self._weights[li], self._biases[li], **args)
                a = activate(layer.activation, z, negative_slope=layer.negative_slope)
                p = _pool_forward(a, layer.pool)
            except ValueError as exc:
                raise PipelineError(str(exc), li) from exc
            caches.append(_LayerCache(current, z, a, unrolled))
            current = p
        return current, caches

    def _logits(self, features: FloatArray) -> FloatArray:
        assert self._head_weight is not None and self._head_bias is not None
        flat = features.reshape(features.shape[0], -1)
        if flat.shape[1] != self._head_weight.shape[1]:
            raise ValueError(f"the dense head takes {self._head_weight.shape[1]} features, "
                             f"the last layer gives {flat.shape[1]}")
        return np.ascontiguousarray(flat @ self._head_weight.T + self._head_bias,
                                    dtype=np.float32)

    def predict(self, inputs: Any) -> FloatArray:
        """Run the current weights on ``inputs`` ``(N, C, H, W)``.

        Parameters
        ----------
        inputs : array_like
            Batch of inputs.

        Returns
        -------
        numpy.ndarray
            Class probabilities ``(N, K)`` with a head, else the last stage's maps.
        """
        x = as_float32(inputs, "inputs")
        out, _ = self._forward(x)
        if self._head_weight is None:
            return out
        return softmax(self._logits(out))

    def _next_batch(self) -> np.ndarray:
        n = self._inputs.shape[0]
        if self._batch_size >= n:
            self._epoch += 1
            return self._order
        if self._cursor + self._batch_size > n:
            self._order = self._rng.permutation(n)
            self._cursor = 0
            self._epoch += 1
        idx = self._order[self._cursor:self._cursor + self._batch_size]
        self._cursor += self._batch_size
        return idx

    def loss_and_grads(self, x: FloatArray, targets: np.ndarray
                       ) -> tuple[float, list[FloatArray], float | None, FloatArray]:
        """Loss, gradients of every parameter, batch accuracy and the output on a batch.

        Parameters
        ----------
        x : numpy.ndarray
            ``(N, C, H, W)`` inputs.
        targets : numpy.ndarray
            Maps or labels for ``x`` (as given to the constructor).

        Returns
        -------
        tuple
            ``(loss, grads, accuracy, output)``: ``grads`` in the order weight, bias
            per layer, then the head's; ``accuracy`` only with a head; ``output`` the
            last stage's maps.
        """
        out, caches = self._forward(x)
        accuracy: float | None = None
        head_grads: list[FloatArray] = []
        if self._loss == "cross_entropy":
            assert self._head_weight is not None
            logits = self._logits(out)
            loss, g_logits = softmax_cross_entropy(logits, targets)
            accuracy = float(np.mean(np.argmax(logits, axis=1) == targets))
            flat = out.reshape(out.shape[0], -1)
            head_grads = [np.ascontiguousarray(g_logits.T @ flat, dtype=np.float32),
                          g_logits.sum(axis=0).astype(np.float32)]
            grad = np.ascontiguousarray((g_logits @ self._head_weight).reshape(out.shape),
                                        dtype=np.float32)
        else:
            loss, grad = mse_loss(out, targets)
        grads: list[FloatArray] = []
        for li in range(len(self._pipeline.layers) - 1, -1, -1):
            layer, cache = self._pipeline.layers[li], caches[li]
            grad = _pool_backward(grad, cache.a, layer.pool)
            grad = activation_backward(layer.activation, grad, cache.z,
                                       negative_slope=layer.negative_slope)
            if cache.unrolled is not None:
                gx, gw, gb = unrolled_conv2d_backward(grad, cache.unrolled, need_input=li > 0)
            else:
                gx, gw, gb = conv2d_gradients(grad, cache.x, self._weights[li],
                                              need_input=li > 0, **_conv_args(layer))
            grads = [gw, gb if self._train_bias else np.zeros_like(gb)] + grads
            if gx is not None:
                grad = gx
        return float(loss), grads + head_grads, accuracy, out

    def step(self) -> TrainStep:
        """Take one optimisation step on the next mini-batch.

        Returns
        -------
        TrainStep
            The step number, the loss before the update and the weights after it.
        """
        t0 = time.perf_counter()
        idx = self._next_batch()
        x = self._inputs if len(idx) == self._inputs.shape[0] else self._inputs[idx]
        targets = self._targets if len(idx) == self._inputs.shape[0] else self._targets[idx]
        loss, grads, accuracy, _ = self.loss_and_grads(x, targets)
        backup = [p.copy() for p in self._params()]
        if not np.isfinite(loss):
            raise FloatingPointError(
                f"the loss became {loss} at step {self._step + 1}: lower the learning rate")
        params = self._params()
        with np.errstate(over="ignore", invalid="ignore"):
            self._optimizer.step(params, grads)
        if not all(np.isfinite(p).all() for p in params):
            self._restore(backup)
            raise FloatingPointError(
                f"the weights overflowed at step {self._step + 1}: lower the learning rate")
        self._step += 1
        return TrainStep(self._step, self._epoch, loss, self.pipeline, self.head,
                         time.perf_counter() - t0, accuracy)


def train(pipeline: Pipeline, inputs: Any, targets: Any, *, steps: int = 100,
          loss: str = "mse", head: DenseHead | None = None, optimizer: str = "adam",
          lr: float = 0.01, momentum: float = 0.9, batch_size: int | None = None,
          seed: int = 0) -> Iterator[TrainStep]:
    """Learn a pipeline's weights; yield the progress of every step.

    Parameters
    ----------
    pipeline : Pipeline
        Starting weights (see :class:`Trainer` for what is learned).
    inputs, targets : array_like
        Training data, as for :class:`Trainer`.
    steps : int, optional
        Number of optimisation steps.
    loss, head, optimizer, lr, momentum, batch_size, seed
        As for :class:`Trainer`.

    Yields
    ------
    TrainStep
        Step number, epoch, loss, the current pipeline (and head) and the step time.

    Examples
    --------
    >>> import numpy as np
    >>> from workbench.core import conv2d, get_preset
    >>> rng = np.random.default_rng(0)
    >>> x = rng.random((1, 1, 32, 32), dtype=np.float32)
    >>> target = conv2d(x, get_preset("sobel_x").kernel[None, None])
    >>> start = Pipeline("gray", (Layer((Filter("learned", np.zeros((1, 3, 3))),)),))
    >>> last = list(train(start, x, target, steps=400, lr=0.05))[-1]
    >>> bool(last.loss < 1e-6)
    True
    """
    trainer = Trainer(pipeline, inputs, targets, loss=loss, head=head, optimizer=optimizer,
                      lr=lr, momentum=momentum, batch_size=batch_size, seed=seed)
    for _ in range(int(steps)):
        yield trainer.step()
