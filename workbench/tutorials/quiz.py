"""Predict, then reveal: questions about a layer's output, checked against the computed maps.

A :class:`Question` asks for one output value (at a cell of a filter's conv or pooled map)
or for the output shape. :func:`ask_value` / :func:`ask_shape` build one from a result;
:meth:`Question.check` reads the student's answer (numbers, fractions and simple
arithmetic like ``1/9`` or ``3*2``; a shape as ``6x6``, ``6 x 6`` or ``(6, 6)``) and says
whether it is right, and how it is wrong, in words — never giving the right answer away
(that is what Reveal is for).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from workbench.core import Layer, PipelineResult
from workbench.core.arithmetic import evaluate_arithmetic

# An answer is right when it is within this of the value (relative, or absolute near 0):
# students round to 2-3 decimals.
REL_TOLERANCE = 5e-3
ABS_TOLERANCE = 5e-3
_SHAPE = re.compile(r"^\s*\(?\s*(\d+)\s*(?:[x×,*]|by)\s*(\d+)\s*\)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Verdict:
    """The outcome of one answer: right or not, and a sentence saying why."""

    correct: bool
    message: str


@dataclass(frozen=True)
class Question:
    """One question about a layer's output.

    Parameters
    ----------
    kind : {"value", "shape"}
        Ask for a value or for the output shape.
    layer : int
        0-based layer.
    filter : int
        Enabled filter position.
    filter_name : str
        Its name, for the wording.
    stage : {"conv", "pooled"}
        Which map: after the activation, or after the pooling.
    y, x : int
        The cell (ignored for a shape question).
    answer : float or tuple of int
        The value, or ``(rows, columns)``.
    """

    kind: str
    layer: int
    filter: int
    filter_name: str
    stage: str
    y: int
    x: int
    answer: float | tuple[int, int]

    @property
    def text(self) -> str:
        """The question in words."""
        where = f"layer {self.layer + 1}, " if self.layer else ""
        stage = "pooled map" if self.stage == "pooled" else "feature map"
        if self.kind == "shape":
            return f"What is the size (rows × columns) of the {stage} of {where}" \
                   f"{self.filter_name}?"
        return f"What is the value of the {stage} of {where}{self.filter_name} at row " \
               f"{self.y}, column {self.x}?"

    def check(self, typed: str) -> Verdict:
        """Read an answer and say whether it is right.

        Parameters
        ----------
        typed : str
            What the student typed.

        Returns
        -------
        Verdict
            Right or wrong with the reason; an unreadable answer is wrong with a hint
            (never an exception).
        """
        if self.kind == "shape":
            assert isinstance(self.answer, tuple)
            match = _SHAPE.match(typed)
            if match is None:
                return Verdict(False, f"type the size as rows x columns, e.g. 6x6 "
                                      f"(got {typed.strip()!r})")
            got = (int(match.group(1)), int(match.group(2)))
            rows, cols = self.answer
            if got == self.answer:
                return Verdict(True, f"Right: {rows} × {cols}")
            if got == (cols, rows):
                return Verdict(False, "rows and columns are swapped")
            hints = []
            for axis, (g, want) in (("rows", (got[0], rows)), ("columns", (got[1], cols))):
                if g != want:
                    hints.append(f"too {'many' if g > want else 'few'} {axis}")
            return Verdict(False, f"{got[0]} × {got[1]} has " + " and ".join(hints))
        assert isinstance(self.answer, float)
        try:
            got_value = evaluate_arithmetic(typed)
        except ValueError as exc:
            return Verdict(False, f"{exc}")
        value = self.answer
        if abs(got_value - value) <= max(ABS_TOLERANCE, REL_TOLERANCE * abs(value)):
            return Verdict(True, f"Right: {value:.6g}")
        if abs(-got_value - value) <= max(ABS_TOLERANCE, REL_TOLERANCE * abs(value)) \
                and value != 0:
            return Verdict(False, f"{got_value:.6g} has the wrong sign")
        return Verdict(False, f"{got_value:.6g} is too {'high' if got_value > value else 'low'}")


def _stage(layer: Layer, stage: str) -> str:
    if stage not in ("conv", "pooled"):
        raise ValueError(f"stage must be 'conv' or 'pooled', got {stage!r}")
    return "pooled" if stage == "pooled" and layer.pool.kind != "none" else "conv"


def ask_value(result: PipelineResult, layer: Layer, layer_index: int, filter_index: int,
              stage: str = "conv", cell: tuple[int, int] | None = None,
              rng: np.random.Generator | None = None) -> Question:
    """Ask for one output value: at ``cell``, or at a cell picked at random.

    Parameters
    ----------
    result : PipelineResult
        The computed maps (the answer comes from them).
    layer : Layer
        The layer asked about.
    layer_index, filter_index : int
        Where it is, and which enabled filter.
    stage : {"conv", "pooled"}, optional
        The feature map (after the activation) or the pooled map; "pooled" without
        pooling asks about the feature map.
    cell : (int, int), optional
        ``(y, x)``; random when omitted.
    rng : numpy.random.Generator, optional
        For the random pick.

    Returns
    -------
    Question
        A value question.

    Raises
    ------
    ValueError
        If the layer, filter or cell does not exist.
    """
    stage = _stage(layer, stage)
    maps = _maps(result, layer_index, filter_index, stage)
    if cell is None:
        generator = rng if rng is not None else np.random.default_rng()
        cell = (int(generator.integers(maps.shape[0])), int(generator.integers(maps.shape[1])))
    y, x = cell
    if not (0 <= y < maps.shape[0] and 0 <= x < maps.shape[1]):
        raise ValueError(f"({y}, {x}) is outside the {maps.shape[0]}x{maps.shape[1]} map")
    name = result.layers[layer_index].filter_names[filter_index]
    return Question("value", layer_index, filter_index, name, stage, y, x, float(maps[y, x]))


def ask_shape(result: PipelineResult, layer: Layer, layer_index: int, filter_index: int,
              stage: str = "conv") -> Question:
    """Ask for the size of an output map.

    Parameters
    ----------
    result : PipelineResult
        The computed maps.
    layer : Layer
        The layer asked about.
    layer_index, filter_index : int
        Where it is, and which enabled filter.
    stage : {"conv", "pooled"}, optional
        The feature map or the pooled map.

    Returns
    -------
    Question
        A shape question.

    Raises
    ------
    ValueError
        If the layer or filter does not exist.
    """
    stage = _stage(layer, stage)
    maps = _maps(result, layer_index, filter_index, stage)
    name = result.layers[layer_index].filter_names[filter_index]
    return Question("shape", layer_index, filter_index, name, stage, 0, 0,
                    (int(maps.shape[0]), int(maps.shape[1])))


def _maps(result: PipelineResult, layer_index: int, filter_index: int, stage: str
          ) -> np.ndarray:
    if not 0 <= layer_index < len(result.layers):
        raise ValueError(f"layer must be in 0..{len(result.layers) - 1}, got {layer_index}")
    lr = result.layers[layer_index]
    if not 0 <= filter_index < len(lr.filter_names):
        raise ValueError(f"filter must be in 0..{len(lr.filter_names) - 1}, "
                         f"got {filter_index}")
    maps: np.ndarray = (lr.pooled if stage == "pooled" else lr.activated)[filter_index]
    return maps
