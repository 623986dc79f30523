from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("h5py")
os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

import h5py  # noqa: E402
from keras import layers  # noqa: E402
from model_checks import assert_maps_close, last_maps  # noqa: E402

from workbench.core import Pipeline, run_pipeline  # noqa: E402
from workbench.io.errors import LoadError  # noqa: E402
from workbench.io.models import detect_format, open_model  # noqa: E402
from workbench.io.models.keras_model import KerasModel  # noqa: E402

# Keras' torch backend converts tensors through an __array__ without numpy 2's copy keyword.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

H, W = 13, 12


def _randomize_bn(model: keras.Model, rng: np.random.Generator) -> None:
    """Give every BatchNormalization non-trivial statistics (fresh ones are 0/1)."""
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.set_weights([rng.uniform(0.5, 2.0, w.shape).astype(np.float32)
                               if i in (0, 3) else rng.standard_normal(w.shape).astype(
                                   np.float32) for i, w in enumerate(layer.get_weights())])


def functional_net(rng: np.random.Generator) -> keras.Model:
    """conv(3->4, 3x3 same, no bias) -> BN -> ReLU -> MaxPool 2 -> depthwise 3x3 (x2) ->
    tanh -> Dropout -> conv 1x1 (8->5, bias) -> LeakyReLU -> GlobalAveragePooling2D."""
    inp = keras.Input((H, W, 3), name="img")
    x = layers.Conv2D(4, 3, padding="same", use_bias=False, name="conv1")(inp)
    x = layers.BatchNormalization(epsilon=1e-3, name="bn1")(x)
    x = layers.ReLU(name="relu1")(x)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = layers.DepthwiseConv2D(3, depth_multiplier=2, name="dw")(x)
    x = layers.Activation("tanh", name="act")(x)
    x = layers.Dropout(0.3, name="drop")(x)
    x = layers.Conv2D(5, 1, name="conv2")(x)
    x = layers.LeakyReLU(0.2, name="lrelu")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    model = keras.Model(inp, x, name="fn")
    _randomize_bn(model, rng)
    return model


def sequential_net(rng: np.random.Generator) -> keras.Model:
    """conv(3->6, 3x3, bias, dilation 2, groups 3) -> BN -> sigmoid -> AvgPool 2 stride 1
    -> conv 2x2 same, relu -> GlobalMaxPooling2D."""
    model = keras.Sequential([
        keras.Input((H, W, 3)),
        layers.Conv2D(6, 3, dilation_rate=2, groups=3, name="c1"),
        layers.BatchNormalization(name="n1"),
        layers.Activation("sigmoid", name="s1"),
        layers.AveragePooling2D(2, strides=1, name="p1"),
        layers.Conv2D(4, 2, padding="same", activation="relu", name="c2"),
        layers.GlobalMaxPooling2D(name="g2"),
    ], name="seq")
    _randomize_bn(model, rng)
    return model


def keras_output(model: keras.Model, name: str, x: np.ndarray) -> np.ndarray:
    """Layer ``name``'s output for one CHW input, as ``(C, H, W)``."""
    sub = keras.Model(model.inputs[0], model.get_layer(name).output)
    out = keras.ops.convert_to_numpy(sub(np.moveaxis(x, 0, -1)[np.newaxis]))[0]
    if out.ndim == 1:  # global pooling
        out = out[np.newaxis, np.newaxis]
    return np.moveaxis(out, -1, 0)


@pytest.fixture(params=["keras", "h5"])
def suffix(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _save(model: keras.Model, tmp_path: Path, name: str, suffix: str) -> Path:
    path = tmp_path / f"{name}.{suffix}"
    model.save(path)
    return path


FUNCTIONAL = ["conv1", "bn1", "relu1", "pool1", "dw", "act", "drop", "conv2", "lrelu", "gap"]
SEQUENTIAL = ["c1", "n1", "s1", "p1", "c2", "g2"]


def test_layers_listed_in_order(tmp_path: Path, rng: np.random.Generator, suffix: str) -> None:
    path = _save(functional_net(rng), tmp_path, "fn", suffix)
    assert detect_format(path) == "keras"
    model = open_model(path)
    assert isinstance(model, KerasModel) and model.format == "keras"
    assert model.input_channels == 3
    assert [(layer.name, layer.kind) for layer in model.layers] == [
        ("img", "identity"), ("conv1", "conv"), ("bn1", "batchnorm"), ("relu1", "relu"),
        ("pool1", "maxpool"), ("dw", "conv"), ("act", "tanh"), ("drop", "identity"),
        ("conv2", "conv"), ("lrelu", "leaky_relu"), ("gap", "globalavgpool")]
    conv1, dw = model.layer("conv1"), model.layer("dw")
    assert conv1.weight_shape == (4, 3, 3, 3) and conv1.params["padding"] == "same"
    assert conv1.params["bias"] is False and conv1.op == "Conv2D"
    assert dw.weight_shape == (8, 1, 3, 3) and dw.params["groups"] == 4
    assert dw.params["kernel_shape"] == (3, 3, 4, 2)
    assert model.layer("bn1").params["epsilon"] == pytest.approx(1e-3)
    assert model.layer("lrelu").params["negative_slope"] == pytest.approx(0.2)


@pytest.mark.parametrize("through", FUNCTIONAL)
def test_functional_pipeline_equals_keras(tmp_path: Path, rng: np.random.Generator,
                                          suffix: str, through: str) -> None:
    net = functional_net(rng)
    model = open_model(_save(net, tmp_path, "fn", suffix))
    x = rng.standard_normal((3, H, W)).astype(np.float32)
    pipeline = model.pipeline(through=through)
    assert pipeline.input_mode == "rgb"
    assert_maps_close(last_maps(pipeline, x), keras_output(net, through, x))


@pytest.mark.parametrize("through", SEQUENTIAL)
def test_sequential_pipeline_equals_keras(tmp_path: Path, rng: np.random.Generator,
                                          suffix: str, through: str) -> None:
    net = sequential_net(rng)
    model = open_model(_save(net, tmp_path, "seq", suffix))
    x = rng.standard_normal((3, H, W)).astype(np.float32)
    assert_maps_close(last_maps(model.pipeline(through=through), x),
                      keras_output(net, through, x))


def _zero_two(pipeline: Pipeline, layer_index: int, filters: tuple[int, ...] = (1, 2)
              ) -> Pipeline:
    layer = pipeline.layers[layer_index]
    new_filters = list(layer.filters)
    for j in filters:
        new_filters[j] = replace(new_filters[j], weight=np.zeros_like(new_filters[j].weight),
                                 bias=0.0)
    layers_ = list(pipeline.layers)
    layers_[layer_index] = replace(layer, filters=tuple(new_filters))
    return replace(pipeline, layers=tuple(layers_))


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def test_edit_save_copy_reproduces_the_edited_maps(tmp_path: Path, rng: np.random.Generator,
                                                   suffix: str) -> None:
    net = functional_net(rng)
    path = _save(net, tmp_path, "fn", suffix)
    original = path.read_bytes()
    model = open_model(path)
    x = rng.standard_normal((3, H, W)).astype(np.float32)
    # conv1 is followed by its BN (kept in the file); dw and conv2 have biases.
    edited = _zero_two(model.pipeline(through="conv2"), 0)
    edited = _zero_two(edited, 1, (0, 5))
    layer2 = edited.layers[2]
    filters = list(layer2.filters)
    filters[3] = replace(filters[3], weight=filters[3].weight * 1.5 + 0.25, bias=0.75)
    edited = replace(edited, layers=(*edited.layers[:2],
                                     replace(layer2, filters=tuple(filters))))
    ours = run_pipeline(x, edited)
    assert not ours.layers[0].activated[1].any() and not ours.layers[0].activated[2].any()

    copy = tmp_path / f"edited.{suffix}"
    assert model.save_copy(edited, copy) == copy
    assert path.read_bytes() == original
    loaded = keras.saving.load_model(copy)
    assert_maps_close(np.stack(ours.layers[0].activated), keras_output(loaded, "relu1", x))
    assert_maps_close(np.stack(ours.layers[0].pooled), keras_output(loaded, "pool1", x))
    assert_maps_close(np.stack(ours.layers[1].pooled), keras_output(loaded, "drop", x))
    assert_maps_close(np.stack(ours.layers[2].pooled), keras_output(loaded, "conv2", x))
    # Zeroed conv1 filters give zero maps after the file's BN, up to float32 rounding.
    assert np.abs(keras_output(loaded, "bn1", x)[[1, 2]]).max() < 1e-5
    # The copy opens again and gives the edited pipeline back.
    again = open_model(copy).pipeline(through="conv2")
    for new, old in zip(again.layers, edited.layers, strict=True):
        for f, g in zip(new.filters, old.filters, strict=True):
            np.testing.assert_allclose(f.weight, g.weight, rtol=1e-5, atol=1e-6)
            assert f.bias == pytest.approx(g.bias, abs=1e-5)
    if suffix == "keras":
        before, after = _members(path), _members(copy)
        assert list(before) == list(after)
        assert all(before[n] == after[n] for n in before if n != "model.weights.h5")
        assert before["model.weights.h5"] != after["model.weights.h5"]


def test_unedited_variables_keep_their_values(tmp_path: Path, rng: np.random.Generator,
                                              suffix: str) -> None:
    net = sequential_net(rng)
    path = _save(net, tmp_path, "seq", suffix)
    model = open_model(path)
    copy = tmp_path / f"copy.{suffix}"
    model.save_copy(_zero_two(model.pipeline(through="c2"), 1), copy)
    loaded = keras.saving.load_model(copy)
    for name in ("c1", "n1"):
        for a, b in zip(net.get_layer(name).get_weights(), loaded.get_layer(name).get_weights(),
                        strict=True):
            np.testing.assert_array_equal(a, b)
    kernel, bias = loaded.get_layer("c2").get_weights()
    old_kernel, old_bias = net.get_layer("c2").get_weights()
    assert not kernel[..., [1, 2]].any() and not bias[[1, 2]].any()
    np.testing.assert_array_equal(kernel[..., [0, 3]], old_kernel[..., [0, 3]])
    np.testing.assert_array_equal(bias[[0, 3]], old_bias[[0, 3]])


def test_unchanged_pipeline_saves_identical_weights(tmp_path: Path, rng: np.random.Generator
                                                    ) -> None:
    path = _save(functional_net(rng), tmp_path, "fn", "keras")
    model = open_model(path)
    copy = tmp_path / "same.keras"
    model.save_copy(model.pipeline(through="conv2"), copy)
    assert _members(copy) == _members(path)


def test_bias_cannot_be_added_to_a_conv_without_one(tmp_path: Path,
                                                    rng: np.random.Generator) -> None:
    net = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(2, 3, use_bias=False,
                                                                  name="c")])
    path = _save(net, tmp_path, "nobias", "keras")
    model = open_model(path)
    assert model.pipeline("c").input_mode == "gray"
    pipeline = model.pipeline("c")
    layer = pipeline.layers[0]
    edited = replace(pipeline, layers=(replace(layer, filters=(
        replace(layer.filters[0], bias=0.5), layer.filters[1])),))
    with pytest.raises(ValueError, match="use_bias=False"):
        model.save_copy(edited, tmp_path / "bias.keras")
    assert not (tmp_path / "bias.keras").exists()
    model.save_copy(_zero_two(pipeline, 0, (0,)), tmp_path / "zeroed.keras")


def test_save_copy_refuses_the_original_and_changed_hyperparameters(
        tmp_path: Path, rng: np.random.Generator) -> None:
    path = _save(functional_net(rng), tmp_path, "fn", "keras")
    model = open_model(path)
    pipeline = model.pipeline(through="relu1")
    with pytest.raises(ValueError, match="refusing to overwrite the original"):
        model.save_copy(pipeline, path)
    strided = replace(pipeline, layers=(replace(pipeline.layers[0], stride=(2, 2)),))
    with pytest.raises(ValueError, match="stride"):
        model.save_copy(strided, tmp_path / "x.keras", through="relu1")
    (tmp_path / "exists.keras").write_bytes(b"keep")
    with pytest.raises(FileExistsError):
        model.save_copy(pipeline, tmp_path / "exists.keras")
    assert (tmp_path / "exists.keras").read_bytes() == b"keep"


@pytest.mark.parametrize(("kernel", "strides"), [(4, 1), (3, 1), (1, 2)])
def test_same_padding_that_the_core_expresses(tmp_path: Path, rng: np.random.Generator,
                                              kernel: int, strides: int) -> None:
    net = keras.Sequential([keras.Input((H, W, 2)), layers.Conv2D(
        3, kernel, strides=strides, padding="same", name="c")])
    model = open_model(_save(net, tmp_path, "same", "keras"))
    x = rng.standard_normal((2, H, W)).astype(np.float32)
    assert_maps_close(last_maps(model.pipeline("c"), x), keras_output(net, "c", x))


@pytest.mark.parametrize("cls", ["Conv2D", "DepthwiseConv2D"])
def test_strided_same_padding_is_refused_by_name(tmp_path: Path, cls: str) -> None:
    conv = (layers.Conv2D(3, 3, strides=2, padding="same", name="strided") if cls == "Conv2D"
            else layers.DepthwiseConv2D(3, strides=2, padding="same", name="strided"))
    net = keras.Sequential([keras.Input((H, W, 2)), conv, layers.ReLU(name="r")])
    model = open_model(_save(net, tmp_path, "strided", "keras"))
    assert "depends on the input size" in model.layer("strided").params["unsupported"]
    for through in ("strided", "r"):
        with pytest.raises(ValueError, match=f"layer 'strided' \\({cls}\\).*input size"):
            model.pipeline(through)


def test_branches_and_other_layers_are_refused_by_name(tmp_path: Path) -> None:
    inp = keras.Input((8, 8, 1), name="x")
    a = layers.Conv2D(1, 3, padding="same", name="c1")(inp)
    s = layers.Add(name="residual")([a, inp])
    y = layers.Conv2D(1, 3, name="c2")(s)
    z = layers.Flatten(name="flat")(layers.Conv2D(2, 3, name="c3")(inp))
    bn_first = layers.BatchNormalization(name="bn_first")(inp)
    net = keras.Model(inp, [y, z, bn_first])
    model = open_model(_save(net, tmp_path, "branch", "keras"))
    assert model.layer("residual").kind == "other"
    with pytest.raises(ValueError, match="'residual'"):
        model.pipeline("c2")
    with pytest.raises(ValueError, match="'flat' \\(Flatten\\)"):
        model.pipeline("flat")
    with pytest.raises(ValueError, match="'bn_first' \\(BatchNormalization\\).*first layer"):
        model.pipeline("bn_first")
    with pytest.raises(KeyError, match="no layer 'nope'"):
        model.pipeline("nope")
    assert len(model.pipeline("c3").layers) == 1 and len(model.pipeline("c1").layers) == 1


def test_conv_activation_before_batchnorm_is_refused(tmp_path: Path) -> None:
    net = keras.Sequential([keras.Input((8, 8, 1)),
                            layers.Conv2D(2, 3, activation="relu", name="c"),
                            layers.BatchNormalization(name="n")])
    model = open_model(_save(net, tmp_path, "act_bn", "keras"))
    assert model.pipeline("c").layers[0].activation == "relu"
    with pytest.raises(ValueError, match="'n'.*already applies activation='relu'"):
        model.pipeline("n")


def test_params_overrides_are_refused_for_keras(tmp_path: Path,
                                                rng: np.random.Generator) -> None:
    model = open_model(_save(functional_net(rng), tmp_path, "fn", "keras"))
    with pytest.raises(ValueError, match="params"):
        model.pipeline("conv1", {"conv1": {"stride": 2}})


# ---------------------------------------------------------------- hostile files


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize("content", [b"", b"hello world, not a model", bytes(64),
                                     b"PK\x03\x04" + bytes(40)])
def test_not_a_zip(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.keras"
    bad.write_bytes(content)
    with pytest.raises(LoadError, match="bad.keras"):
        open_model(bad)


def test_zip_without_config_or_weights(tmp_path: Path, rng: np.random.Generator) -> None:
    members = _members(_save(functional_net(rng), tmp_path, "fn", "keras"))
    no_config = _zip(tmp_path / "noconfig.keras",
                     {k: v for k, v in members.items() if k != "config.json"})
    with pytest.raises(LoadError, match="no config.json"):
        open_model(no_config)
    no_weights = _zip(tmp_path / "noweights.keras",
                      {k: v for k, v in members.items() if k != "model.weights.h5"})
    with pytest.raises(LoadError, match="no model.weights.h5"):
        open_model(no_weights)
    bad_json = _zip(tmp_path / "badjson.keras", {**members, "config.json": b"{nope"})
    with pytest.raises(LoadError, match="not valid JSON"):
        open_model(bad_json)
    bad_h5 = _zip(tmp_path / "badh5.keras", {**members, "model.weights.h5": b"\x89HDF junk"})
    with pytest.raises(LoadError, match="not a readable HDF5 file"):
        open_model(bad_h5)
    subclassed = _zip(tmp_path / "sub.keras", {**members, "config.json": json.dumps(
        {"class_name": "MyModel", "config": {}}).encode()})
    with pytest.raises(LoadError, match="only Sequential and functional"):
        open_model(subclassed)


def test_truncated_files(tmp_path: Path, rng: np.random.Generator, suffix: str) -> None:
    data = _save(functional_net(rng), tmp_path, "fn", suffix).read_bytes()
    for cut in (len(data) // 2, len(data) - 7, 3):
        bad = tmp_path / f"cut{cut}.{suffix}"
        bad.write_bytes(data[:cut])
        with pytest.raises(LoadError, match=f"cut{cut}.{suffix}"):
            open_model(bad)


def _rewrite_weights(members: dict[str, bytes], edit) -> bytes:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "r+") as h5:
        edit(h5)
    return buffer.getvalue()


def test_huge_declared_shape_is_refused_before_reading(tmp_path: Path,
                                                       rng: np.random.Generator) -> None:
    members = _members(_save(functional_net(rng), tmp_path, "fn", "keras"))

    def huge(h5: h5py.File) -> None:
        del h5["layers/conv2d/vars/0"]
        # Chunked and never written: a tiny file that declares 440 GB.
        h5.create_dataset("layers/conv2d/vars/0", shape=(100_000, 100_000, 3, 4),
                          dtype="f4", chunks=(1, 1, 3, 4))

    path = _zip(tmp_path / "huge.keras", {**members,
                                          "model.weights.h5": _rewrite_weights(members, huge)})
    assert path.stat().st_size < 1 << 20
    with pytest.raises(LoadError, match="declares shape"):
        open_model(path)

    def unwritten(h5: h5py.File) -> None:
        del h5["layers/conv2d/vars/0"]
        h5.create_dataset("layers/conv2d/vars/0", shape=(3, 3, 3, 4), dtype="f4",
                          chunks=(1, 1, 3, 4))

    path = _zip(tmp_path / "empty.keras", {
        **members, "model.weights.h5": _rewrite_weights(members, unwritten)})
    with pytest.raises(LoadError, match="stores 0 bytes"):
        open_model(path)

    def wrong(h5: h5py.File) -> None:
        del h5["layers/conv2d/vars/0"]
        h5["layers/conv2d/vars/0"] = np.zeros((5, 5, 3, 4), np.float32)

    path = _zip(tmp_path / "wrong.keras", {**members,
                                           "model.weights.h5": _rewrite_weights(members, wrong)})
    with pytest.raises(LoadError, match="'conv1'.*shape"):
        open_model(path)


def test_weights_only_h5_is_refused(tmp_path: Path, rng: np.random.Generator) -> None:
    path = tmp_path / "only.weights.h5"
    functional_net(rng).save_weights(path)
    with pytest.raises(LoadError, match="weights-only|only Sequential"):
        open_model(path)
