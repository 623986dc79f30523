"""Training runs a window can drive one step at a time and draw between steps.

A run owns its :class:`~workbench.core.train.Trainer` and the history a view draws (the
loss curve, test accuracies); :meth:`snapshot` returns an immutable picture of the run
for the GUI thread. All methods are called from one (worker) thread.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from workbench.core.arrays import FloatArray
from workbench.core.pipeline import Pipeline
from workbench.core.train import Trainer
from workbench.learning.cnn import CnnSpec, Evaluation, evaluate, initial_network
from workbench.learning.datasets import Dataset
from workbench.learning.detective import DetectiveProblem


class _Rate:
    """Steps per second over the last couple of seconds."""

    def __init__(self) -> None:
        self._times: list[float] = []

    def tick(self) -> None:
        now = time.perf_counter()
        self._times.append(now)
        while self._times and now - self._times[0] > 2.0:
            self._times.pop(0)

    @property
    def per_second(self) -> float:
        if len(self._times) < 2:
            return 0.0
        return (len(self._times) - 1) / max(self._times[-1] - self._times[0], 1e-9)


@dataclass(frozen=True)
class DetectiveSnapshot:
    """The kernel detective after some steps."""

    step: int
    losses: FloatArray
    weight: FloatArray
    hidden: FloatArray | None
    weight_error: float | None
    learned_map: FloatArray
    target_map: FloatArray
    steps_per_second: float
    lr: float
    optimizer: str


class DetectiveRun:
    """Gradient descent from a start kernel towards the hidden one (or a target image).

    Parameters
    ----------
    problem : DetectiveProblem
        Start, input and target.
    optimizer : {"sgd", "adam"}, optional
        Update rule (SGD with momentum 0.9).
    lr : float, optional
        Learning rate; by default the problem's suggested one.
    """

    def __init__(self, problem: DetectiveProblem, optimizer: str = "sgd",
                 lr: float | None = None) -> None:
        self.problem = problem
        self._optimizer = optimizer
        self.trainer = problem.trainer(optimizer=optimizer, lr=lr)
        self._losses: list[float] = []
        self._pipeline: Pipeline = problem.start
        self._rate = _Rate()

    def step(self) -> None:
        """Take one step (the loss of the weights before it is recorded)."""
        result = self.trainer.step()
        self._losses.append(result.loss)
        self._pipeline = result.pipeline
        self._rate.tick()

    def set_lr(self, lr: float) -> None:
        """Change the learning rate from the next step on.

        Parameters
        ----------
        lr : float
            Positive learning rate.
        """
        self.trainer.set_lr(lr)

    def set_optimizer(self, name: str) -> None:
        """Switch the update rule (its state starts afresh).

        Parameters
        ----------
        name : {"adam", "sgd"}
            Update rule.
        """
        self._optimizer = name
        self.trainer.set_optimizer(name)

    def set_weight(self, row: int, col: int, value: float) -> None:
        """Edit one learned weight; training continues from it at the next step.

        Parameters
        ----------
        row, col : int
            Tap of the (single-slice) kernel.
        value : float
            New weight.
        """
        layer = self._pipeline.layers[0]
        learned = layer.filters[0]
        weight = learned.weight.copy()
        weight[0, row, col] = value
        edited = replace(layer, filters=(replace(learned, weight=weight),))
        self._pipeline = replace(self._pipeline, layers=(edited,))
        self.trainer.set_pipeline(self._pipeline)

    @property
    def pipeline(self) -> Pipeline:
        """The learned layer as it is now."""
        return self._pipeline

    def snapshot(self) -> DetectiveSnapshot:
        """Picture of the run for a view.

        Returns
        -------
        DetectiveSnapshot
            Losses so far, the kernel, both maps and the error against the hidden kernel.
        """
        learned_map = self.trainer.predict(self.problem.inputs)[0, 0]
        hidden = None if self.problem.hidden is None else self.problem.hidden.weight[0]
        return DetectiveSnapshot(
            len(self._losses), np.asarray(self._losses, np.float64),
            self._pipeline.layers[0].filters[0].weight[0].copy(), hidden,
            self.problem.weight_error(self._pipeline), learned_map,
            self.problem.target[0, 0], self._rate.per_second, self.trainer.lr,
            self._optimizer)


@dataclass(frozen=True)
class CnnSnapshot:
    """The small CNN after some steps."""

    step: int
    epoch: float
    epochs: int
    losses: FloatArray
    batch_accuracy: FloatArray
    test_epochs: FloatArray
    test_accuracy: FloatArray
    confusion: np.ndarray | None
    first_filters: FloatArray
    classes: tuple[str, ...]
    steps_per_second: float
    done: bool


class CnnRun:
    """Mini-batch training of the small CNN with a test evaluation after every epoch.

    Parameters
    ----------
    data : Dataset
        Training and test images.
    spec : CnnSpec
        Network and training settings.
    """

    def __init__(self, data: Dataset, spec: CnnSpec) -> None:
        self.data, self.spec = data, spec
        pipeline, head = initial_network(spec, data.image_size, data.classes)
        self.trainer = Trainer(pipeline, data.train_x, data.train_y, loss="cross_entropy",
                               head=head, optimizer=spec.optimizer, lr=spec.lr,
                               batch_size=spec.batch_size, seed=spec.seed)
        self.steps_per_epoch = max(1, len(data.train_x) // spec.batch_size)
        self._losses: list[float] = []
        self._accuracy: list[float] = []
        self._test_epochs: list[float] = []
        self._test_accuracy: list[float] = []
        self._last_test: Evaluation | None = None
        self._pipeline = pipeline
        self._rate = _Rate()

    @property
    def done(self) -> bool:
        """Whether every epoch has been trained."""
        return len(self._losses) >= self.spec.epochs * self.steps_per_epoch

    def step(self) -> None:
        """Train on the next mini-batch; at the end of an epoch measure the test set."""
        if self.done:
            return
        result = self.trainer.step()
        self._losses.append(result.loss)
        self._accuracy.append(float(result.accuracy or 0.0))
        self._pipeline = result.pipeline
        self._rate.tick()
        if len(self._losses) % self.steps_per_epoch == 0:
            self._last_test = evaluate(self.trainer, self.data.test_x, self.data.test_y)
            self._test_epochs.append(len(self._losses) / self.steps_per_epoch)
            self._test_accuracy.append(self._last_test.accuracy)

    def set_lr(self, lr: float) -> None:
        """Change the learning rate from the next step on.

        Parameters
        ----------
        lr : float
            Positive learning rate.
        """
        self.trainer.set_lr(lr)

    @property
    def pipeline(self) -> Pipeline:
        """The conv blocks with the current weights."""
        return self._pipeline

    @property
    def test(self) -> Evaluation | None:
        """The last test evaluation (none before the first epoch ends)."""
        return self._last_test

    def snapshot(self) -> CnnSnapshot:
        """Picture of the run for a view.

        Returns
        -------
        CnnSnapshot
            Curves, the confusion matrix and the first layer's filters.
        """
        first = np.stack([f.weight for f in self._pipeline.layers[0].filters])
        return CnnSnapshot(
            len(self._losses), len(self._losses) / self.steps_per_epoch, self.spec.epochs,
            np.asarray(self._losses, np.float64), np.asarray(self._accuracy, np.float64),
            np.asarray(self._test_epochs, np.float64),
            np.asarray(self._test_accuracy, np.float64),
            None if self._last_test is None else self._last_test.confusion.copy(),
            first, self.data.classes, self._rate.per_second, self.done)
