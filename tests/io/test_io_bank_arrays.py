from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workbench.core import Filter, weights_to_keras
from workbench.io.bank_arrays import (
    bias_path_for,
    detect_layout,
    load_bank_npy,
    save_bank_npy,
    stack_filters,
)
from workbench.io.errors import AmbiguousLayoutError, LoadError


def _filters(count: int = 4, channels: int = 1, size: tuple[int, int] = (3, 5)):
    rng = np.random.default_rng(5)
    return tuple(Filter(f"f{i}", rng.standard_normal((channels, *size)).astype(np.float32),
                        bias=float(np.float32(rng.standard_normal())))
                 for i in range(count))


@pytest.mark.parametrize("layout", ["pytorch", "keras"])
def test_save_and_load_round_trip(tmp_path: Path, layout: str) -> None:
    filters = _filters()
    weight_path, bias_path = save_bank_npy(tmp_path / "bank.npy", filters, layout)
    assert bias_path == tmp_path / "bank_bias.npy" == bias_path_for(weight_path)
    weight, bias = stack_filters(filters)
    stored = np.load(weight_path)
    expected = weight if layout == "pytorch" else weights_to_keras(weight)
    assert stored.dtype == np.float32 and stored.tobytes() == expected.tobytes()
    assert np.load(bias_path).tobytes() == bias.tobytes()
    loaded = load_bank_npy(weight_path, layout)
    assert loaded.layout == layout and loaded.bias_file == bias_path
    for got, want in zip(loaded.filters, filters, strict=True):
        assert got.weight.tobytes() == want.weight.tobytes() and got.bias == want.bias
    assert [f.name for f in loaded.filters] == ["filter 1", "filter 2", "filter 3", "filter 4"]


def test_layout_detected_from_bias_length(tmp_path: Path) -> None:
    filters = _filters(count=4, channels=3, size=(3, 3))  # (4, 3, 3, 3) / (3, 3, 3, 4)
    save_bank_npy(tmp_path / "t.npy", filters, "pytorch")
    save_bank_npy(tmp_path / "k.npy", filters, "keras")
    assert load_bank_npy(tmp_path / "t.npy").layout == "pytorch"
    assert load_bank_npy(tmp_path / "k.npy").layout == "keras"


def test_layout_detected_from_channels() -> None:
    assert detect_layout((8, 1, 3, 3), channels=1) == "pytorch"
    assert detect_layout((3, 3, 1, 8), channels=1) == "keras"
    assert detect_layout((3, 3, 3, 8), bias_length=8) == "keras"


def test_ambiguous_shape_raises_and_explicit_layout_works(tmp_path: Path) -> None:
    filters = _filters(count=3, channels=3, size=(3, 3))  # (3, 3, 3, 3) either way
    save_bank_npy(tmp_path / "b.npy", filters, "keras")
    with pytest.raises(AmbiguousLayoutError) as info:
        load_bank_npy(tmp_path / "b.npy", channels=3)
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert "b.npy" in message and "PyTorch (F, C, kH, kW)" in message
    assert "Keras (kH, kW, C, F)" in message and "say which layout" in message
    loaded = load_bank_npy(tmp_path / "b.npy", "keras")
    assert all(a.weight.tobytes() == b.weight.tobytes()
               for a, b in zip(loaded.filters, filters, strict=True))
    with pytest.raises(AmbiguousLayoutError):
        detect_layout((4, 1, 3, 3))


def test_missing_bias_file_means_zero_bias(tmp_path: Path) -> None:
    np.save(tmp_path / "w.npy", np.ones((2, 1, 3, 3), np.float32))
    loaded = load_bank_npy(tmp_path / "w.npy", "pytorch")
    assert loaded.bias_file is None and [f.bias for f in loaded.filters] == [0.0, 0.0]


def test_shape_that_fits_no_layout(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="fits neither layout with bias length 5"):
        detect_layout((4, 1, 3, 3), bias_length=5)
    np.save(tmp_path / "w.npy", np.ones((2, 3, 3), np.float32))
    with pytest.raises(LoadError, match="must be 4-D"):
        load_bank_npy(tmp_path / "w.npy", "pytorch")
    with pytest.raises(LoadError, match="must be 4-D"):
        load_bank_npy(tmp_path / "w.npy")
    np.save(tmp_path / "v.npy", np.ones((2, 1, 3, 3), np.float32))
    np.save(tmp_path / "v_bias.npy", np.ones(3, np.float32))
    with pytest.raises(LoadError, match=r"bias must have shape \(2,\)"):
        load_bank_npy(tmp_path / "v.npy", "pytorch")


def test_truncated_npy_is_a_load_error(tmp_path: Path, listing) -> None:
    weight_path, _ = save_bank_npy(tmp_path / "bank.npy", _filters())
    data = weight_path.read_bytes()
    weight_path.write_bytes(data[:len(data) // 2])
    before = listing(tmp_path)
    with pytest.raises(LoadError, match="bank.npy: not a valid NPY file"):
        load_bank_npy(weight_path, "pytorch")
    assert listing(tmp_path) == before


def test_save_is_all_or_nothing(tmp_path: Path, listing) -> None:
    (tmp_path / "bank_bias.npy").write_bytes(b"old bias")
    with pytest.raises(FileExistsError):
        save_bank_npy(tmp_path / "bank.npy", _filters())
    assert listing(tmp_path) == {"bank_bias.npy": b"old bias"}


def test_save_validation(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="same \\(C, kH, kW\\) shape"):
        save_bank_npy(tmp_path / "b.npy", _filters(2) + _filters(1, size=(3, 3)))
    with pytest.raises(ValueError, match="end in .npy"):
        save_bank_npy(tmp_path / "b.npz", _filters())
    with pytest.raises(ValueError, match="layout must be"):
        save_bank_npy(tmp_path / "b.npy", _filters(), "tf")
