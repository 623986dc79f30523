from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from workbench.core import SCHEMA_VERSION, Filter, Layer, Pipeline, Pool, default_pipeline
from workbench.io.bank import MIGRATIONS, load_bank, migrate, parse_bank, save_bank
from workbench.io.errors import LoadError


def _odd_pipeline() -> Pipeline:
    rng = np.random.default_rng(3)
    filters = (Filter("third", np.float32([[1 / 3, -2 / 3], [0.1, 1e-8]])),
               Filter("rand", rng.standard_normal((2, 2)).astype(np.float32), bias=0.1,
                      enabled=False))
    layer = Layer(filters, stride=(2, 1), padding=(1, 0), dilation=2, groups=1,
                  padding_mode="reflect", flip=True, activation="leaky_relu",
                  negative_slope=0.2, pool=Pool("avg", (3, 2), (1, 2), (1, 1), True))
    return Pipeline("gray", (layer,))


def test_save_load_round_trip_is_exact(tmp_path: Path) -> None:
    pipe = _odd_pipeline()
    path = save_bank(tmp_path / "bank.json", pipe)
    loaded = load_bank(path)
    assert loaded == pipe
    for a, b in zip(loaded.layers[0].filters, pipe.layers[0].filters, strict=True):
        assert a.weight.tobytes() == b.weight.tobytes()
    data = json.loads(path.read_text())
    assert data["schema_version"] == SCHEMA_VERSION


def test_save_refuses_to_overwrite(tmp_path: Path, listing) -> None:
    save_bank(tmp_path / "bank.json", default_pipeline())
    before = listing(tmp_path)
    with pytest.raises(FileExistsError):
        save_bank(tmp_path / "bank.json", _odd_pipeline())
    assert listing(tmp_path) == before
    save_bank(tmp_path / "bank.json", _odd_pipeline(), overwrite=True)
    assert load_bank(tmp_path / "bank.json") == _odd_pipeline()


def test_legacy_v0_list_of_gray_filters(tmp_path: Path) -> None:
    legacy = [{"name": "Sobel x", "weight": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], "bias": 0.5},
              {"weight": [[0, 1, 0], [1, -4, 1], [0, 1, 0]]}]
    (tmp_path / "old.json").write_text(json.dumps(legacy))
    pipe = load_bank(tmp_path / "old.json")
    assert pipe.input_mode == "gray" and len(pipe.layers) == 1
    layer = pipe.layers[0]
    assert [f.name for f in layer.filters] == ["Sobel x", "filter 2"]
    assert [f.bias for f in layer.filters] == [0.5, 0.0]
    np.testing.assert_array_equal(layer.filters[1].weight[0], [[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    assert (layer.stride, layer.padding, layer.activation, layer.pool.kind) == \
        ((1, 1), (0, 0), "none", "none")


def test_legacy_v0_rgb_filters() -> None:
    weight = np.arange(27, dtype=float).reshape(3, 3, 3).tolist()
    pipe = parse_bank(json.dumps([{"name": "rgb", "weight": weight}]))
    assert pipe.input_mode == "rgb" and pipe.layers[0].filters[0].weight.shape == (3, 3, 3)


@pytest.mark.parametrize(("legacy", "message"), [
    ([], "empty"),
    ([{"name": "x"}], "filter 1: weight must be"),
    (["x"], "filter 1: expected an object"),
    ([{"weight": [[1, 2], [3]]}], "filter 1: weight must be a rectangular"),
    ([{"weight": [1, 2]}], "got 1-D"),
    ([{"weight": [[1]]}, {"weight": [[[1]], [[1]], [[1]]]}], r"got \[1, 3\]"),
    ([{"weight": [[[1]], [[1]]]}], "1 \\(gray\\) or all 3"),
])
def test_legacy_errors_name_the_filter(legacy, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_bank(json.dumps(legacy))


def test_migration_hook_is_registered_and_idempotent_for_current() -> None:
    assert 0 in MIGRATIONS
    current = json.loads(json.dumps({"schema_version": SCHEMA_VERSION, "layers": []}))
    assert migrate(current) == current


def test_newer_version_is_refused_clearly(tmp_path: Path) -> None:
    (tmp_path / "new.json").write_text(json.dumps({"schema_version": 99, "layers": []}))
    with pytest.raises(LoadError, match=r"new.json: schema_version 99 .*newer"):
        load_bank(tmp_path / "new.json")


def test_truncated_json_names_file_line_and_column(tmp_path: Path, listing) -> None:
    text = save_bank(tmp_path / "bank.json", default_pipeline()).read_text()
    (tmp_path / "bank.json").write_text(text[:len(text) // 2])
    before = listing(tmp_path)
    with pytest.raises(LoadError) as info:
        load_bank(tmp_path / "bank.json")
    assert str(tmp_path / "bank.json") in str(info.value)
    assert "not valid JSON" in str(info.value) and "line" in str(info.value)
    assert listing(tmp_path) == before


def test_invalid_field_is_named(tmp_path: Path) -> None:
    data = json.loads(save_bank(tmp_path / "b.json", default_pipeline()).read_text())
    data["layers"][0]["filters"][1]["bias"] = "high"
    (tmp_path / "b.json").write_text(json.dumps(data))
    with pytest.raises(LoadError, match=r"layers\[0\].filters\[1\].bias"):
        load_bank(tmp_path / "b.json")


def test_not_json_object_or_list(tmp_path: Path) -> None:
    (tmp_path / "b.json").write_text("42")
    with pytest.raises(LoadError, match="must be a JSON object"):
        load_bank(tmp_path / "b.json")
    (tmp_path / "c.json").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(LoadError, match="c.json"):
        load_bank(tmp_path / "c.json")
