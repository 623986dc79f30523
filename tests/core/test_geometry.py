"""Output-size arithmetic, the formula text the GUI shows, and layer_geometry."""

import math
import re
from typing import Any

import numpy as np
import pytest
import reference as ref
from hypothesis import given
from hypothesis import strategies as st

from workbench.core import (
    Filter,
    Layer,
    Pipeline,
    PipelineError,
    Pool,
    conv_output_size,
    default_pipeline,
    layer_geometry,
    pool_output_size,
    run_pipeline,
)
from workbench.core.shapes import formula_text

FORMULA = re.compile(
    r"^(?P<axis>\w+) = (?P<rounding>floor|ceil)\(\((?P<n>\d+) \+ 2\*(?P<p>\d+)"
    r"(?: \+ (?P<extra>\d+))? - (?P<d>\d+)\*\((?P<k>\d+)-1\) - 1\) / (?P<s>\d+)\) \+ 1"
    r"(?P<dropped> - 1)? = (?P<result>-?\d+)(?: \(the last window would start in the "
    r"padding\))?$")


def evaluate(text: str) -> tuple[int, int]:
    """The value the formula's arithmetic gives, and the result it states."""
    m = FORMULA.match(text)
    assert m, f"not a formula: {text!r}"
    g = {k: int(v) for k, v in m.groupdict(default="0").items()
         if k not in ("axis", "rounding", "dropped")}
    ratio = (g["n"] + 2 * g["p"] + g["extra"] - g["d"] * (g["k"] - 1) - 1) / g["s"]
    value = (math.ceil(ratio) if m["rounding"] == "ceil" else math.floor(ratio)) + 1
    return value - (1 if m["dropped"] else 0), g["result"]


# ---------------------------------------------------------------- one axis


def test_conv_output_size_examples():
    assert conv_output_size(480, 3, padding=1) == 480
    assert conv_output_size(6, 3, stride=3) == 2
    assert conv_output_size(6, 3, dilation=2) == 2
    assert conv_output_size(2, 3) == 0  # callers turn this into an error


@given(n=st.integers(1, 60), k=st.integers(1, 7), s=st.integers(1, 5), p=st.integers(0, 4),
       d=st.integers(1, 4))
def test_conv_output_size_counts_the_windows(n, k, s, p, d):
    # Window i starts at i*s in the padded input and must end inside it.
    windows = sum(1 for i in range(n + 2 * p + 1) if i * s + d * (k - 1) <= n + 2 * p - 1)
    out = conv_output_size(n, k, s, p, d)
    assert out == windows if windows else out <= 0


@given(n=st.integers(1, 60), k=st.integers(1, 7), s=st.integers(1, 5), p=st.integers(0, 4),
       d=st.integers(1, 4), ceil_mode=st.booleans())
def test_pool_output_size_matches_the_reference(n, k, s, p, d, ceil_mode):
    assert pool_output_size(n, k, s, p, d, ceil_mode) == ref.pool_output_length(
        n, k, s, p, d, ceil_mode)


def test_pool_output_size_examples():
    assert pool_output_size(5, 2, 2) == 2
    assert pool_output_size(5, 2, 2, ceil_mode=True) == 3
    assert pool_output_size(5, 2, 2, padding=1, ceil_mode=True) == 3  # 4th starts in padding
    assert pool_output_size(2, 3, 2, ceil_mode=True) == 1  # PyTorch keeps a clipped window


@pytest.mark.parametrize("func", [conv_output_size, pool_output_size])
@pytest.mark.parametrize(("args", "match"), [
    ((0, 3, 1), "n must be a positive integer, got 0"),
    ((5, 0, 1), "kernel must be a positive integer, got 0"),
    ((5, 3, 0), "stride must be a positive integer, got 0"),
    ((5, 3, 1, -1), "padding must be a non-negative integer, got -1"),
    ((5, 3, 1, 0, 0), "dilation must be a positive integer, got 0"),
    ((5.0, 3, 1), "n must be a positive integer, got 5.0"),
    ((5, True, 1), "kernel must be a positive integer, got True"),
])
def test_size_functions_validate(func, args, match):
    with pytest.raises(ValueError, match=match):
        func(*args)


def test_formula_text():
    assert formula_text("H_out", 480, 3, 1, 1, 1, 480) == (
        "H_out = floor((480 + 2*1 - 1*(3-1) - 1) / 1) + 1 = 480")
    assert formula_text("W_out", 10, 2, 1, 0, 1, 10, extra_padding=1) == (
        "W_out = floor((10 + 2*0 + 1 - 1*(2-1) - 1) / 1) + 1 = 10")
    assert formula_text("H_pool", 6, 2, 2, 1, 1, 4, ceil_mode=True) == (
        "H_pool = ceil((6 + 2*1 - 1*(2-1) - 1) / 2) + 1 = 4")
    assert formula_text("H_pool", 5, 2, 2, 1, 1, 3, ceil_mode=True) == (
        "H_pool = ceil((5 + 2*1 - 1*(2-1) - 1) / 2) + 1 - 1 = 3 "
        "(the last window would start in the padding)")


# ---------------------------------------------------------------- layer_geometry


def _layer(kernel: tuple[int, int] = (3, 3), **kwargs: Any) -> Layer:
    return Layer((Filter("k", np.ones(kernel)),), **kwargs)


def test_geometry_worked_example():
    geo = layer_geometry(_layer(padding=(1, 1)), 480, 640)
    assert geo.error is None
    assert geo.conv_size == geo.pool_size == (480, 640)
    assert geo.conv_formulas == ("H_out = floor((480 + 2*1 - 1*(3-1) - 1) / 1) + 1 = 480",
                                 "W_out = floor((640 + 2*1 - 1*(3-1) - 1) / 1) + 1 = 640")
    assert geo.pool_formulas == ()


def test_geometry_of_the_default_pipeline():
    geo = layer_geometry(default_pipeline().layers[0], 480, 640)
    assert (geo.conv_size, geo.pool_size, geo.error) == ((478, 638), (239, 319), None)
    assert geo.pool_formulas == ("H_pool = floor((478 + 2*0 - 1*(2-1) - 1) / 2) + 1 = 239",
                                 "W_pool = floor((638 + 2*0 - 1*(2-1) - 1) / 2) + 1 = 319")


def test_geometry_same_padding_with_an_even_kernel():
    geo = layer_geometry(_layer((2, 4), padding="same", dilation=(1, 2)), 10, 12)
    assert geo.conv_size == (10, 12)
    assert geo.conv_formulas == ("H_out = floor((10 + 2*0 + 1 - 1*(2-1) - 1) / 1) + 1 = 10",
                                 "W_out = floor((12 + 2*3 - 2*(4-1) - 1) / 1) + 1 = 12")


def test_geometry_uses_the_first_enabled_filter_or_the_given_kernel():
    layer = Layer((Filter("off", np.ones((7, 7)), enabled=False), Filter("on", np.ones((3, 5)))))
    assert layer_geometry(layer, 20, 20).conv_size == (18, 16)
    assert layer_geometry(layer, 20, 20, kernel=(1, 1)).conv_size == (20, 20)


def test_geometry_global_pool():
    geo = layer_geometry(_layer(pool=Pool("global_avg")), 9, 9)
    assert (geo.conv_size, geo.pool_size, geo.error) == ((7, 7), (1, 1), None)
    assert geo.pool_formulas == ("global pooling: one value per map -> 1 x 1",)


@pytest.mark.parametrize(("layer", "height", "width", "match"), [
    (_layer(padding="same", stride=2), 10, 10, "padding='same' requires stride 1"),
    (_layer((5, 5)), 4, 10, r"the dilated kernel 5x5 does not fit in the padded 4x10 input"),
    (_layer(dilation=(1, 4)), 10, 8, r"the dilated kernel 3x9 does not fit"),
    (_layer(pool=Pool("max", (3, 3), padding=(2, 0))), 10, 10,
     r"pool padding \(2, 0\) must be at most half the pool size \(3, 3\)"),
    (_layer(pool=Pool("avg", (9, 2))), 10, 10,
     r"the pool window \(9, 2\) is larger than the 8x8 feature map"),
])
def test_geometry_reports_errors_without_raising(layer, height, width, match):
    geo = layer_geometry(layer, height, width)
    assert geo.error is not None and re.search(match, geo.error), geo.error
    with pytest.raises(PipelineError):
        run_pipeline(np.ones((1, height, width)), Pipeline("gray", (layer,)))


@st.composite
def geometry_layers(draw: Any) -> Layer:
    kernel = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    same = draw(st.booleans())
    pool = Pool(draw(st.sampled_from(["none", "max", "avg", "min", "global_max"])),
                (draw(st.integers(1, 4)), draw(st.integers(1, 4))),
                draw(st.none() | st.tuples(st.integers(1, 4), st.integers(1, 4))),
                (draw(st.integers(0, 2)), draw(st.integers(0, 2))), draw(st.booleans()))
    return Layer((Filter("k", np.ones(kernel)),),
                 stride=(1, 1) if same else (draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                 padding="same" if same else (draw(st.integers(0, 2)), draw(st.integers(0, 2))),
                 dilation=(draw(st.integers(1, 3)), draw(st.integers(1, 3))), pool=pool)


@given(layer=geometry_layers(), height=st.integers(1, 16), width=st.integers(1, 16))
def test_geometry_agrees_with_running_the_layer(layer, height, width):
    geo = layer_geometry(layer, height, width)
    for text in geo.conv_formulas + geo.pool_formulas:
        if text.startswith(("H_", "W_")):
            value, stated = evaluate(text)
            assert value == stated, text
    image = np.ones((1, height, width), np.float32)
    if geo.error is not None:
        ref.event("geometry reports an error")
        with pytest.raises(PipelineError):
            run_pipeline(image, Pipeline("gray", (layer,)))
        return
    ref.event("geometry ok")
    result = run_pipeline(image, Pipeline("gray", (layer,))).layers[0]
    assert result.conv[0].shape == geo.conv_size
    assert result.pooled[0].shape == geo.pool_size


def test_one_output_size_formula_for_asymmetric_padding():
    from workbench.core import Layer, conv2d, preset_filter

    # "same" padding of an even kernel pads (0, 1): the formula takes the pair.
    assert conv_output_size(5, 2, padding=(0, 1)) == 5
    assert conv_output_size(7, 3, 2, (1, 1), 2) == conv_output_size(7, 3, 2, 1, 2)
    out = conv2d(np.zeros((1, 6, 9), np.float32), np.zeros((1, 1, 2, 2), np.float32),
                 padding="same", dilation=(1, 2))
    assert out.shape[1:] == (conv_output_size(6, 2, 1, (0, 1)),
                             conv_output_size(9, 2, 1, (1, 1), 2)) == (6, 9)
    layer = Layer((preset_filter("box_blur_3"),), padding=(1, 0), stride=(2, 3))
    assert layer_geometry(layer, 6, 9).conv_size == (conv_output_size(6, 3, 2, 1),
                                                     conv_output_size(9, 3, 3, 0))
