from __future__ import annotations

import pickle
import struct
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

safetensors_numpy = pytest.importorskip("safetensors.numpy")

from model_checks import assert_maps_close, last_maps  # noqa: E402

from workbench.core import Pipeline, Pool  # noqa: E402
from workbench.io.errors import LoadError  # noqa: E402
from workbench.io.models import open_model  # noqa: E402


def state(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A torchvision-like ``features`` stack: conv, BN, (relu), conv, plus a classifier."""
    f32 = np.float32
    return {
        "features.0.weight": rng.standard_normal((4, 3, 3, 3)).astype(f32),
        "features.1.weight": rng.uniform(0.5, 2, 4).astype(f32),
        "features.1.bias": rng.standard_normal(4).astype(f32),
        "features.1.running_mean": rng.standard_normal(4).astype(f32),
        "features.1.running_var": rng.uniform(0.5, 2, 4).astype(f32),
        "features.1.num_batches_tracked": np.array(7, np.int64),
        "features.10.weight": rng.standard_normal((5, 4, 3, 3)).astype(f32),
        "features.10.bias": rng.standard_normal(5).astype(f32),
        "classifier.weight": rng.standard_normal((3, 20)).astype(f32),
    }


PARAMS = {"features.0": {"padding": 1, "activation": "relu", "pool": {"kind": "max"}},
          "features.10": {"stride": 2}}


@pytest.fixture
def st_path(tmp_path: Path, rng: np.random.Generator) -> Path:
    path = tmp_path / "net.safetensors"
    safetensors_numpy.save_file(state(rng), str(path), metadata={"author": "test"})
    return path


def test_layers_from_names(st_path: Path) -> None:
    model = open_model(st_path)
    assert model.format == "safetensors" and model.input_channels is None
    # Natural order: features.10 after features.1, the classifier is not a conv.
    assert [(layer.name, layer.kind, layer.weight_shape) for layer in model.layers] == [
        ("classifier", "other", (3, 20)), ("features.0", "conv", (4, 3, 3, 3)),
        ("features.1", "batchnorm", (4,)), ("features.10", "conv", (5, 4, 3, 3))]
    assert model.layer("features.0").params["stride"] == (1, 1)
    # Non-conv tensors have no known place in the stack: a run passes over them.
    assert len(model.pipeline("features.10", PARAMS).layers) == 2
    with pytest.raises(ValueError, match="'classifier'.*first layer"):
        model.pipeline("classifier")


def _torch_reference(tensors: dict[str, np.ndarray], x: np.ndarray, through: str
                     ) -> np.ndarray:
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    t = {k: torch.from_numpy(np.array(v)) for k, v in tensors.items()}
    y = F.conv2d(torch.from_numpy(x)[None], t["features.0.weight"], padding=1)
    if through != "features.0":
        y = F.batch_norm(y, t["features.1.running_mean"], t["features.1.running_var"],
                         t["features.1.weight"], t["features.1.bias"], eps=1e-5)
    y = F.max_pool2d(F.relu(y), 2)
    if through == "features.10":
        y = F.conv2d(y, t["features.10.weight"], t["features.10.bias"], stride=2)
    return y[0].numpy()


def _model_without_classifier(tmp_path: Path, rng: np.random.Generator) -> Path:
    tensors = state(rng)
    del tensors["classifier.weight"]
    path = tmp_path / "features.safetensors"
    safetensors_numpy.save_file(tensors, str(path), metadata={"author": "test"})
    return path


@pytest.mark.parametrize("through", ["features.0", "features.1", "features.10"])
def test_pipeline_equals_torch(tmp_path: Path, rng: np.random.Generator, through: str) -> None:
    path = _model_without_classifier(tmp_path, rng)
    model = open_model(path)
    pipeline = model.pipeline(through, PARAMS)
    assert pipeline.layers[0].pool == Pool("max") and pipeline.input_mode == "rgb"
    x = rng.standard_normal((3, 18, 17)).astype(np.float32)
    tensors = safetensors_numpy.load_file(str(path))
    assert_maps_close(last_maps(pipeline, x), _torch_reference(tensors, x, through))


def test_save_copy_keeps_metadata_and_reproduces_edit(tmp_path: Path,
                                                      rng: np.random.Generator) -> None:
    path = _model_without_classifier(tmp_path, rng)
    model = open_model(path)
    pipeline = model.pipeline("features.10", PARAMS)
    edited = _zero(pipeline, 0, (1, 2))
    edited = _zero(edited, 1, (0, 4))
    copy = tmp_path / "copy.safetensors"
    model.save_copy(edited, copy, params=PARAMS)
    from safetensors import safe_open
    with safe_open(str(copy), framework="numpy") as fh:
        assert fh.metadata() == {"author": "test"}
    before = safetensors_numpy.load_file(str(path))
    after = safetensors_numpy.load_file(str(copy))
    assert set(before) == set(after)
    assert {k for k in before if not np.array_equal(before[k], after[k])} == {
        "features.0.weight", "features.1.bias", "features.10.weight", "features.10.bias"}
    assert after["features.1.num_batches_tracked"] == 7
    x = rng.standard_normal((3, 18, 17)).astype(np.float32)
    assert_maps_close(last_maps(edited, x), _torch_reference(after, x, "features.10"))
    reopened = open_model(copy).pipeline("features.10", PARAMS)
    assert_maps_close(last_maps(reopened, x), last_maps(edited, x))


def _zero(pipeline: Pipeline, index: int, which: tuple[int, ...]) -> Pipeline:
    layer = pipeline.layers[index]
    filters = tuple(replace(f, weight=np.zeros_like(f.weight), bias=0.0) if j in which else f
                    for j, f in enumerate(layer.filters))
    layers = list(pipeline.layers)
    layers[index] = replace(layer, filters=filters)
    return replace(pipeline, layers=tuple(layers))


def test_groups_mismatch_names_the_layer(tmp_path: Path) -> None:
    path = tmp_path / "dw.safetensors"
    safetensors_numpy.save_file({"a.weight": np.ones((4, 1, 3, 3), np.float32),
                                 "b.weight": np.ones((4, 1, 3, 3), np.float32)}, str(path))
    model = open_model(path)
    with pytest.raises(ValueError, match="layer 'b' reads 1 channel.*groups"):
        model.pipeline("b")
    assert model.pipeline("b", {"b": {"groups": 4}}).layers[1].groups == 4
    with pytest.raises(ValueError, match="unknown keys"):
        model.pipeline("b", {"b": {"strides": 2}})


def test_nonzero_bias_on_a_biasless_conv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nb.safetensors"
    safetensors_numpy.save_file({"c.weight": np.ones((2, 1, 3, 3), np.float32)}, str(path))
    model = open_model(path)
    pipeline = model.pipeline("c")
    layer = pipeline.layers[0]
    edited = replace(pipeline, layers=(replace(layer, filters=(
        replace(layer.filters[0], bias=1.0), layer.filters[1])),))
    with pytest.raises(ValueError, match="no bias in the file"):
        model.save_copy(edited, tmp_path / "out.safetensors")
    assert not (tmp_path / "out.safetensors").exists()


def _header_file(path: Path, header: bytes, data: bytes = b"") -> Path:
    path.write_bytes(struct.pack("<Q", len(header)) + header + data)
    return path


@pytest.mark.parametrize(("header", "data", "message"), [
    (b'{"w":{"dtype":"F32","shape":[100000,100000,100000,3],"data_offsets":[0,16]}}',
     bytes(16), "needs"),
    (b'{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}', bytes(8), "needs"),
    (b'{"w":{"dtype":"XX","shape":[2],"data_offsets":[0,8]}}', bytes(8), "unknown dtype"),
    (b'{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', bytes(8), "non-negative"),
    (b'{"w": nope', b"", "invalid JSON"),
    (b"[1, 2]", b"", "not a JSON object"),
])
def test_hostile_safetensors(tmp_path: Path, header: bytes, data: bytes, message: str) -> None:
    with pytest.raises(LoadError, match=message):
        open_model(_header_file(tmp_path / "bad.safetensors", header, data))


def test_truncated_and_wrong_magic_safetensors(tmp_path: Path, st_path: Path) -> None:
    data = st_path.read_bytes()
    for cut in (4, 40, len(data) - 4):
        bad = tmp_path / f"cut{cut}.safetensors"
        bad.write_bytes(data[:cut])
        with pytest.raises(LoadError, match=f"cut{cut}"):
            open_model(bad)
    bad = tmp_path / "magic.safetensors"
    bad.write_bytes(b"\xff" * 64)
    with pytest.raises(LoadError, match="header claims"):
        open_model(bad)


# ---------------------------------------------------------------- PyTorch


def test_torch_state_dict_round_trip(tmp_path: Path, rng: np.random.Generator) -> None:
    torch = pytest.importorskip("torch")
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1, bias=False),
                              torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Conv2d(4, 5, 3, stride=2))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.from_numpy(rng.standard_normal(p.shape).astype(np.float32)))
        net[1].running_mean.copy_(torch.randn(4))
        net[1].running_var.copy_(torch.rand(4) + 0.5)
    net.eval()
    path = tmp_path / "net.pt"
    torch.save({"state_dict": net.state_dict(), "epoch": 3}, path)
    model = open_model(path)
    assert model.format == "torch"
    assert [(layer.name, layer.kind) for layer in model.layers] == [
        ("0", "conv"), ("1", "batchnorm"), ("4", "conv")]
    params = {"0": {"padding": 1, "activation": "relu", "pool": Pool("max")},
              "4": {"stride": 2}}
    x = rng.standard_normal((3, 16, 15)).astype(np.float32)
    pipeline = model.pipeline("4", params)
    with torch.no_grad():
        expected = net(torch.from_numpy(x)[None])[0].numpy()
    assert_maps_close(last_maps(pipeline, x), expected)

    edited = _zero(_zero(pipeline, 0, (0, 3)), 1, (2,))
    copy = tmp_path / "edited.pt"
    model.save_copy(edited, copy, params=params)
    saved = torch.load(copy, weights_only=True)
    assert saved["epoch"] == 3
    net.load_state_dict(saved["state_dict"])
    with torch.no_grad():
        again = net(torch.from_numpy(x)[None])[0].numpy()
    assert_maps_close(last_maps(edited, x), again)


class _Evil:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (print, ("pwned",))


def test_pickle_disguised_as_pt_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    pytest.importorskip("torch")
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"w": _Evil()}, protocol=2))
    with pytest.raises(LoadError, match="weights_only"):
        open_model(path)
    assert "pwned" not in capsys.readouterr().out


def test_torch_hostile_files(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    path = tmp_path / "net.pt"
    torch.save({"c.weight": torch.ones(2, 1, 3, 3)}, path)
    data = path.read_bytes()
    cut = tmp_path / "cut.pt"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(LoadError, match="cut.pt"):
        open_model(cut)
    magic = tmp_path / "magic.pt"
    magic.write_bytes(b"GIF89a" + bytes(50))
    with pytest.raises(LoadError, match="not a PyTorch file"):
        open_model(magic)
    whole = tmp_path / "whole.pt"
    torch.save(torch.nn.Conv2d(1, 1, 3), whole)
    with pytest.raises(LoadError, match="whole.pt"):
        open_model(whole)


def test_torch_missing_gives_a_clear_message(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins
    real_import = builtins.__import__

    def no_torch(name: str, *args: object, **kwargs: object) -> object:
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    path = tmp_path / "net.pt"
    path.write_bytes(b"PK\x03\x04" + bytes(60))
    monkeypatch.setattr(builtins, "__import__", no_torch)
    with pytest.raises(LoadError, match="needs torch, which is not installed"):
        open_model(path)
