"""Predict-then-reveal questions, checked against the computed maps."""

import numpy as np
import pytest

from workbench.core import Filter, Layer, Pipeline, Pool, run_pipeline
from workbench.tutorials.quiz import ask_shape, ask_value

LINE = np.array([[0, 1, 0]] * 3, np.float32)


@pytest.fixture
def vertical_line():
    image = np.zeros((1, 8, 8), np.float32)
    image[0, :, 3:5] = 1
    layer = Layer((Filter("Vertical line", LINE), Filter("Box", np.full((3, 3), 1 / 9))),
                  activation="relu", pool=Pool("max", (2, 2)))
    return run_pipeline(image, Pipeline("gray", (layer,))), layer


def test_the_seed_cell_0_2_is_3(vertical_line):
    result, layer = vertical_line
    q = ask_value(result, layer, 0, 0, cell=(0, 2))
    assert q.answer == 3.0 and "row 0, column 2" in q.text and "Vertical line" in q.text
    assert q.check("3").correct and q.check(" 3.0 ").correct and q.check("6/2").correct
    wrong = q.check("2")
    assert not wrong.correct and wrong.message == "2 is too low"  # never the answer itself
    assert q.check("4").message == "4 is too high"
    assert q.check("-3").message == "-3 has the wrong sign"
    unreadable = q.check("three")
    assert not unreadable.correct and "not a number" in unreadable.message


def test_fractions_within_rounding_count(vertical_line):
    result, layer = vertical_line
    q = ask_value(result, layer, 0, 1, cell=(0, 1))  # the box over one line column: 3/9
    assert q.answer == pytest.approx(1 / 3, rel=1e-6)
    assert q.check("1/3").correct and q.check("0.333").correct
    assert not q.check("0.3").correct


def test_pooled_values_and_random_cells(vertical_line):
    result, layer = vertical_line
    q = ask_value(result, layer, 0, 0, stage="pooled", cell=(1, 1))
    assert q.stage == "pooled" and q.answer == float(result.layers[0].pooled[0][1, 1]) == 3.0
    rng = np.random.default_rng(5)
    cells = {(ask_value(result, layer, 0, 0, rng=rng).y,) for _ in range(40)}
    assert len(cells) > 1  # random picks spread over the rows
    for _ in range(20):
        q = ask_value(result, layer, 0, 1, rng=rng)
        assert q.answer == pytest.approx(float(result.layers[0].activated[1][q.y, q.x]))
    with pytest.raises(ValueError, match="outside"):
        ask_value(result, layer, 0, 0, cell=(6, 0))


def test_shape_questions(vertical_line):
    result, layer = vertical_line
    q = ask_shape(result, layer, 0, 0)
    assert q.answer == (6, 6)
    for typed in ("6x6", "6 x 6", "(6, 6)", "6×6", "6 by 6"):
        assert q.check(typed).correct, typed
    pooled = ask_shape(result, layer, 0, 0, stage="pooled")
    assert pooled.answer == (3, 3) and not pooled.check("6x6").correct
    assert pooled.check("6x3").message == "6 × 3 has too many rows"
    assert pooled.check("2x4").message == "2 × 4 has too few rows and too many columns"
    assert "rows x columns" in q.check("six").message


def test_swapped_shape_is_named():
    image = np.zeros((1, 5, 9), np.float32)
    layer = Layer((Filter("f", np.ones((3, 3), np.float32)),))
    result = run_pipeline(image, Pipeline("gray", (layer,)))
    q = ask_shape(result, layer, 0, 0)
    assert q.answer == (3, 7) and q.check("7x3").message == "rows and columns are swapped"
