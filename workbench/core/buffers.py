"""Reusable output buffers, owned by the caller (no hidden cache in the core).

A fresh 10 MB array is new memory that page-faults as a kernel writes it: on the live path
that measured 1,800 faults and +2-3 ms per 640x480 frame, half the frame's compute. A caller
that computes frame after frame (the GUI's compute worker) keeps one :class:`BufferPool`,
opens a :class:`Lease` per frame, passes it to :func:`~workbench.core.run_pipeline` as
``buffers=`` and releases the lease once nothing reads that frame's maps any more. The pool
hands out only buffers that were released, so a buffer still leased is never overwritten.
Without ``buffers=`` every call returns new arrays.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque

import numpy as np

from workbench.core.arrays import FloatArray

DEFAULT_MAX_BYTES = 160 * 2**20


class BufferPool:
    """Released float32 buffers kept for reuse, by shape; thread-safe.

    Parameters
    ----------
    max_bytes : int, optional
        Most bytes of released buffers kept; beyond it the oldest are dropped (leased
        buffers do not count: they belong to their lease until released).

    Raises
    ------
    ValueError
        If ``max_bytes`` is negative.

    Examples
    --------
    >>> pool = BufferPool()
    >>> lease = pool.lease()
    >>> a = lease.take((2, 3))
    >>> lease.release()
    >>> pool.lease().take((2, 3)) is a
    True
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
            raise ValueError(f"max_bytes must be a non-negative integer, got {max_bytes!r}")
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        # Released buffers oldest first, by release number, and each shape's numbers oldest
        # first: a take and a drop are O(1) however many buffers of other shapes wait (a
        # linear scan made every layer of a deep stack pay for all the others).
        self._free: OrderedDict[int, FloatArray] = OrderedDict()
        self._by_shape: dict[tuple[int, ...], deque[int]] = {}
        self._free_bytes = 0
        self._released = 0

    def lease(self) -> Lease:
        """Open a lease: the buffers of one computation, released together.

        Returns
        -------
        Lease
            Empty; its :meth:`Lease.take` draws on this pool.
        """
        return Lease(self)

    @property
    def free_bytes(self) -> int:
        """Bytes of released buffers waiting for reuse."""
        with self._lock:
            return self._free_bytes

    def clear(self) -> None:
        """Drop every released buffer (leased ones stay with their leases)."""
        with self._lock:
            self._free.clear()
            self._by_shape.clear()
            self._free_bytes = 0

    def _take(self, shape: tuple[int, ...]) -> FloatArray:
        with self._lock:
            numbers = self._by_shape.get(shape)
            if numbers:
                candidate = self._free.pop(numbers.popleft())
                if not numbers:
                    del self._by_shape[shape]
                self._free_bytes -= candidate.nbytes
                return candidate
        return np.empty(shape, dtype=np.float32)

    def _give_back(self, buffers: list[FloatArray]) -> None:
        with self._lock:
            for a in buffers:
                self._released += 1
                self._free[self._released] = a
                self._by_shape.setdefault(a.shape, deque()).append(self._released)
                self._free_bytes += a.nbytes
            while self._free and self._free_bytes > self.max_bytes:
                # The oldest buffer overall is the oldest of its shape.
                _, oldest = self._free.popitem(last=False)
                numbers = self._by_shape[oldest.shape]
                numbers.popleft()
                if not numbers:
                    del self._by_shape[oldest.shape]
                self._free_bytes -= oldest.nbytes


class Lease:
    """Buffers taken from a :class:`BufferPool` for one computation.

    Parameters
    ----------
    pool : BufferPool
        Where the buffers come from and return to.
    """

    def __init__(self, pool: BufferPool) -> None:
        self.pool = pool
        self._lock = threading.Lock()
        self._buffers: list[FloatArray] = []
        self.released = False

    def take(self, shape: tuple[int, ...]) -> FloatArray:
        """Return an uninitialised C-contiguous float32 array owned by this lease.

        Parameters
        ----------
        shape : tuple of int
            The array's shape.

        Returns
        -------
        numpy.ndarray
            A released buffer of that shape, or a new one.

        Raises
        ------
        RuntimeError
            If the lease was already released.
        """
        with self._lock:
            if self.released:
                raise RuntimeError("this lease was released; open a new one")
            out = self.pool._take(tuple(int(n) for n in shape))
            self._buffers.append(out)
            return out

    @property
    def nbytes(self) -> int:
        """Bytes of the buffers taken so far."""
        with self._lock:
            return sum(a.nbytes for a in self._buffers)

    def release(self) -> None:
        """Give every buffer back to the pool; the caller no longer reads them.

        Idempotent. After it, the arrays (and any views of them) may be overwritten by a
        later computation.
        """
        with self._lock:
            if self.released:
                return
            self.released = True
            buffers, self._buffers = self._buffers, []
        self.pool._give_back(buffers)
