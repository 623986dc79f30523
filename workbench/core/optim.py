"""Update rules: SGD with momentum and Adam, the same arithmetic as ``torch.optim``.

An optimiser updates a list of float32 parameter arrays in place from their gradients;
its state (momentum buffers, moment estimates) belongs to the list positions, so pass
the same parameters in the same order every step. :meth:`reset` forgets the state.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from workbench.core.arrays import FloatArray


def _check(params: Sequence[FloatArray], grads: Sequence[FloatArray]) -> None:
    if len(params) != len(grads):
        raise ValueError(f"{len(params)} parameters but {len(grads)} gradients")
    for i, (p, g) in enumerate(zip(params, grads, strict=True)):
        if p.shape != g.shape:
            raise ValueError(f"parameter {i} has shape {p.shape}, its gradient {g.shape}")
        if not p.flags.writeable:
            raise ValueError(f"parameter {i} is read-only; pass writable arrays")


def _positive(value: float, name: str) -> float:
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number, got {value}")
    return value


class SGD:
    """Stochastic gradient descent with momentum (``torch.optim.SGD``, no dampening).

    ``buf = momentum * buf + grad`` (``buf = grad`` on the first step), then
    ``param -= lr * buf``; without momentum ``param -= lr * grad``.

    Parameters
    ----------
    lr : float
        Learning rate.
    momentum : float, optional
        Momentum factor in ``[0, 1)``.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([1.0], np.float32)
    >>> opt = SGD(0.1, momentum=0.9)
    >>> opt.step([p], [np.array([1.0], np.float32)]); opt.step([p], [np.array([1.0], np.float32)])
    >>> p
    array([0.71], dtype=float32)
    """

    def __init__(self, lr: float, momentum: float = 0.0) -> None:
        self.lr = _positive(lr, "lr")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must lie in [0, 1), got {momentum}")
        self.momentum = float(momentum)
        self._buffers: list[FloatArray | None] = []

    def reset(self) -> None:
        """Forget the momentum buffers."""
        self._buffers = []

    def step(self, params: Sequence[FloatArray], grads: Sequence[FloatArray]) -> None:
        """Update ``params`` in place.

        Parameters
        ----------
        params : sequence of numpy.ndarray
            Writable float32 parameters.
        grads : sequence of numpy.ndarray
            Their gradients.
        """
        _check(params, grads)
        if len(self._buffers) != len(params):
            self._buffers = [None] * len(params)
        lr = np.float32(self.lr)
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            if self.momentum:
                buf = self._buffers[i]
                if buf is None:
                    buf = np.array(g, dtype=np.float32)
                else:
                    buf *= np.float32(self.momentum)
                    buf += g
                self._buffers[i] = buf
                p -= lr * buf
            else:
                p -= lr * g


class Adam:
    """Adam (``torch.optim.Adam``, no weight decay, no amsgrad).

    ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``, then
    ``param -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``.

    Parameters
    ----------
    lr : float, optional
        Learning rate.
    betas : tuple of float, optional
        Decay rates of the first and second moment estimates.
    eps : float, optional
        Added to the denominator.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([1.0], np.float32)
    >>> Adam(0.1).step([p], [np.array([5.0], np.float32)])
    >>> p  # the first step moves by lr whatever the gradient's size
    array([0.9], dtype=float32)
    """

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        self.lr = _positive(lr, "lr")
        b1, b2 = (float(b) for b in betas)
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"betas must lie in [0, 1), got {betas}")
        self.betas = (b1, b2)
        self.eps = _positive(eps, "eps")
        self._m: list[FloatArray] = []
        self._v: list[FloatArray] = []
        self._t = 0

    def reset(self) -> None:
        """Forget the moment estimates and the step count."""
        self._m, self._v, self._t = [], [], 0

    def step(self, params: Sequence[FloatArray], grads: Sequence[FloatArray]) -> None:
        """Update ``params`` in place.

        Parameters
        ----------
        params : sequence of numpy.ndarray
            Writable float32 parameters.
        grads : sequence of numpy.ndarray
            Their gradients.
        """
        _check(params, grads)
        if len(self._m) != len(params) or any(
                m.shape != p.shape for m, p in zip(self._m, params, strict=True)):
            self._m = [np.zeros_like(p, dtype=np.float32) for p in params]
            self._v = [np.zeros_like(p, dtype=np.float32) for p in params]
            self._t = 0
        self._t += 1
        b1, b2 = self.betas
        correction1 = 1.0 - b1 ** self._t
        correction2_sqrt = math.sqrt(1.0 - b2 ** self._t)
        step_size = np.float32(self.lr / correction1)
        for p, g, m, v in zip(params, grads, self._m, self._v, strict=True):
            m *= np.float32(b1)
            m += np.float32(1.0 - b1) * g
            v *= np.float32(b2)
            v += np.float32(1.0 - b2) * (g * g)
            denom = np.sqrt(v) / np.float32(correction2_sqrt) + np.float32(self.eps)
            p -= step_size * (m / denom)
