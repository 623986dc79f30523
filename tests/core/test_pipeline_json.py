"""The pipeline's JSON form: exact round trip, versioning and clear errors."""

import copy
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from workbench.core import (
    ACTIVATIONS,
    PADDING_MODES,
    POOL_KINDS,
    SCHEMA_VERSION,
    Filter,
    Layer,
    Pipeline,
    Pool,
    default_pipeline,
    from_json,
    pipeline_from_dict,
    pipeline_to_dict,
    to_json,
)

small = st.integers(1, 4)
pairs = st.tuples(small, small)
finite32 = st.floats(width=32, allow_nan=False, allow_infinity=False)


@st.composite
def filters(draw: Any) -> Filter:
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    return Filter(draw(st.text(max_size=12)), draw(hnp.arrays(np.float32, shape,
                                                             elements=finite32)),
                  draw(st.floats(allow_nan=False, allow_infinity=False)), draw(st.booleans()))


@st.composite
def layers(draw: Any) -> Layer:
    pool = Pool(draw(st.sampled_from(POOL_KINDS)), draw(pairs), draw(st.none() | pairs),
                draw(st.tuples(st.integers(0, 2), st.integers(0, 2))), draw(st.booleans()))
    return Layer(tuple(draw(st.lists(filters(), min_size=0, max_size=3))),
                 stride=draw(pairs),
                 padding=draw(st.sampled_from(["valid", "same"]) | st.tuples(
                     st.integers(0, 3), st.integers(0, 3))),
                 dilation=draw(pairs), groups=draw(small),
                 padding_mode=draw(st.sampled_from(PADDING_MODES)), flip=draw(st.booleans()),
                 activation=draw(st.sampled_from(ACTIVATIONS)),
                 negative_slope=draw(st.floats(allow_nan=False, allow_infinity=False)),
                 pool=pool)


pipelines = st.builds(Pipeline, st.sampled_from(["gray", "rgb"]),
                      st.lists(layers(), max_size=3).map(tuple))


@given(pipelines, st.sampled_from([None, 0, 2]))
def test_json_round_trip_is_exact(pipeline, indent):
    text = to_json(pipeline, indent=indent)
    back = from_json(text)
    assert back == pipeline
    for layer_back, layer in zip(back.layers, pipeline.layers, strict=True):
        for f_back, f in zip(layer_back.filters, layer.filters, strict=True):
            # Bit for bit, so -0.0 and the last float32 digit survive.
            assert f_back.weight.dtype == np.float32
            np.testing.assert_array_equal(f_back.weight.view(np.uint32), f.weight.view(np.uint32))
            assert not f_back.weight.flags.writeable
    assert to_json(back, indent=indent) == text
    assert from_json(text.encode()) == pipeline


def test_schema_version_is_written():
    data = pipeline_to_dict(default_pipeline("rgb"))
    assert data["schema_version"] == SCHEMA_VERSION == 1
    assert json.loads(to_json(default_pipeline()))["schema_version"] == 1


def test_default_pipeline_round_trips():
    for mode in ("gray", "rgb"):
        assert from_json(to_json(default_pipeline(mode))) == default_pipeline(mode)


def test_newer_schema_version_is_rejected():
    data = pipeline_to_dict(default_pipeline())
    data["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(ValueError, match="schema_version 2 was written by a newer Conv Workbench"):
        from_json(json.dumps(data))


@pytest.mark.parametrize("text", ["", "{", '{"schema_version": 1,', "[1, 2", "nope",
                                  b"\xff\xfe\x00", "[" * 100_000 + "]" * 100_000])
def test_malformed_json_is_a_value_error(text):
    with pytest.raises(ValueError, match="not valid JSON"):
        from_json(text)


def _base() -> dict[str, Any]:
    pipeline = Pipeline("gray", (Layer((Filter("v", np.eye(3)),), pool=Pool("max")),))
    return pipeline_to_dict(pipeline)


def _set(path: str, value: Any) -> Any:
    def edit(data: dict[str, Any]) -> None:
        keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]
        target = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return edit


def _delete(path: str) -> Any:
    def edit(data: dict[str, Any]) -> None:
        keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]
        target = data
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]
    return edit


BAD_FIELDS = [
    ("missing schema_version", _delete("schema_version"), r"schema_version: expected int"),
    ("schema_version text", _set("schema_version", "1"), r"schema_version: expected int"),
    ("schema_version true", _set("schema_version", True), r"schema_version: expected int"),
    ("schema_version 0", _set("schema_version", 0), r"schema_version must be >= 1"),
    ("unrelated object", lambda d: d.clear() or d.update({"x": 1}),
     r"schema_version: expected int, got NoneType"),
    ("missing layers", _delete("layers"), r"layers: expected list"),
    ("layers object", _set("layers", {}), r"layers: expected list"),
    ("layer null", _set("layers.0", None), r"layers\[0\]: expected dict"),
    ("missing filters", _delete("layers.0.filters"), r"layers\[0\]\.filters: expected list"),
    ("missing weight", _delete("layers.0.filters.0.weight"),
     r"layers\[0\]\.filters\[0\]\.weight: expected list"),
    ("weight number", _set("layers.0.filters.0.weight", 5),
     r"layers\[0\]\.filters\[0\]\.weight: expected list"),
    ("ragged weight", _set("layers.0.filters.0.weight", [[[1, 2], [3]]]),
     r"layers\[0\]\.filters\[0\]\.weight must be nested lists of numbers"),
    ("weight of objects", _set("layers.0.filters.0.weight", [[[1, {"a": 1}]]]),
     r"layers\[0\]\.filters\[0\]\.weight must be nested lists of numbers"),
    ("weight 4-D", _set("layers.0.filters.0.weight", [[[[1.0]]]]),
     r"layers\[0\]\.filters\[0\]: filter 'v': weight must be \(C, kH, kW\)"),
    ("weight empty", _set("layers.0.filters.0.weight", []),
     r"layers\[0\]\.filters\[0\]: filter 'v': weight must be \(C, kH, kW\), got \(0,\)"),
    ("weight overflows float32", _set("layers.0.filters.0.weight", [[[1e39]]]),
     r"layers\[0\]\.filters\[0\]: filter 'v': weights must be finite"),
    ("weight NaN", _set("layers.0.filters.0.weight", [[[float("nan")]]]),
     r"layers\[0\]\.filters\[0\]: filter 'v': weights must be finite"),
    ("bias text", _set("layers.0.filters.0.bias", "0"),
     r"layers\[0\]\.filters\[0\]\.bias: expected int or float"),
    ("bias bool", _set("layers.0.filters.0.bias", False),
     r"layers\[0\]\.filters\[0\]\.bias: expected int or float, got bool"),
    ("name number", _set("layers.0.filters.0.name", 3),
     r"layers\[0\]\.filters\[0\]\.name: expected str"),
    ("enabled number", _set("layers.0.filters.0.enabled", 1),
     r"layers\[0\]\.filters\[0\]\.enabled: expected bool"),
    ("stride zero", _set("layers.0.stride", [0, 1]), r"layers\[0\]: stride must be a positive"),
    ("stride text", _set("layers.0.stride", "ab"), r"layers\[0\]: stride must be a positive"),
    ("stride null", _set("layers.0.stride", None), r"layers\[0\]: stride must be a positive"),
    ("dilation triple", _set("layers.0.dilation", [1, 1, 1]),
     r"layers\[0\]: dilation must be a positive"),
    ("padding unknown", _set("layers.0.padding", "full"),
     r"layers\[0\]: padding must be 'valid', 'same'"),
    ("padding negative", _set("layers.0.padding", [-1, 0]),
     r"layers\[0\]: padding must be a non-negative"),
    ("groups text", _set("layers.0.groups", "2"), r"layers\[0\]: groups must be a positive"),
    ("padding_mode unknown", _set("layers.0.padding_mode", "mirror"),
     r"layers\[0\]: padding_mode must be one of"),
    ("activation unknown", _set("layers.0.activation", "gelu"),
     r"layers\[0\]: activation must be one of"),
    ("flip text", _set("layers.0.flip", "yes"), r"layers\[0\]\.flip: expected bool"),
    ("negative_slope text", _set("layers.0.negative_slope", "x"),
     r"layers\[0\]\.negative_slope: expected int or float"),
    ("pool list", _set("layers.0.pool", [2]), r"layers\[0\]\.pool: expected dict"),
    ("pool kind unknown", _set("layers.0.pool.kind", "median"),
     r"layers\[0\]: pool kind must be one of"),
    ("pool size zero", _set("layers.0.pool.size", [0, 2]),
     r"layers\[0\]: pool size must be a positive"),
    ("pool stride text", _set("layers.0.pool.stride", "2"),
     r"layers\[0\]: pool stride must be a positive"),
    ("pool padding negative", _set("layers.0.pool.padding", [0, -1]),
     r"layers\[0\]: pool padding must be a non-negative"),
    ("pool ceil_mode number", _set("layers.0.pool.ceil_mode", 0),
     r"layers\[0\]\.pool\.ceil_mode: expected bool"),
    ("input_mode unknown", _set("input_mode", "cmyk"), r"input_mode must be one of"),
    ("input_mode number", _set("input_mode", 1), r"input_mode: expected str"),
]


@pytest.mark.parametrize(("edit", "match"), [case[1:] for case in BAD_FIELDS],
                         ids=[case[0] for case in BAD_FIELDS])
def test_invalid_field_is_a_value_error_naming_it(edit, match):
    data = _base()
    edit(data)
    text = json.dumps(data)
    with pytest.raises(ValueError, match="invalid pipeline JSON: " + match):
        from_json(text)
    snapshot = copy.deepcopy(data)
    with pytest.raises(ValueError, match=match):
        pipeline_from_dict(data)
    assert json.dumps(data) == json.dumps(snapshot)  # the input is left alone


@pytest.mark.parametrize("data", [None, [], "pipeline", 3])
def test_pipeline_from_dict_needs_a_dict(data):
    with pytest.raises(ValueError, match="pipeline: expected dict"):
        pipeline_from_dict(data)


def test_single_ints_are_accepted_for_pairs():
    data = _base()
    data["layers"][0].update(stride=2, padding=1, dilation=1)
    data["layers"][0]["pool"].update(size=3, stride=1, padding=1)
    layer = pipeline_from_dict(data).layers[0]
    assert (layer.stride, layer.padding, layer.dilation) == ((2, 2), (1, 1), (1, 1))
    assert (layer.pool.size, layer.pool.stride, layer.pool.padding) == ((3, 3), (1, 1), (1, 1))


def test_missing_optional_fields_take_defaults():
    data = {"schema_version": 1, "layers": [{"filters": [{"weight": [[1.0]]}]}]}
    pipeline = pipeline_from_dict(data)
    assert pipeline.input_mode == "gray"
    layer = pipeline.layers[0]
    assert layer == Layer((Filter("filter 1", [[1.0]]),))
    assert layer.pool == Pool()
    assert layer.filters[0].bias == 0.0 and layer.filters[0].enabled
