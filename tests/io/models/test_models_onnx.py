from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from model_checks import assert_maps_close, last_maps  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from workbench.core import run_pipeline  # noqa: E402
from workbench.io.errors import LoadError  # noqa: E402
from workbench.io.models import open_model  # noqa: E402

F = TensorProto.FLOAT


def _out(name: str) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, F, ["n", "c", "h", "w"])


def _init(name: str, array: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(array, np.float32), name)


def small_net(rng: np.random.Generator, *, conv1_bias: bool = False) -> onnx.ModelProto:
    """conv(3->4, 3x3, pad 1) -> BN -> Relu -> MaxPool 2 -> conv(4->6, 3x3, group 2,
    dilation 2, stride 2) -> LeakyRelu -> AveragePool 2 -> conv 1x1 (6->5) -> Sigmoid
    -> GlobalAveragePool, plus a Dropout and an Identity along the way."""
    inits = [
        _init("w1", rng.standard_normal((4, 3, 3, 3))),
        _init("bn_g", rng.uniform(0.5, 2.0, 4)), _init("bn_b", rng.standard_normal(4)),
        _init("bn_m", rng.standard_normal(4)), _init("bn_v", rng.uniform(0.5, 2.0, 4)),
        _init("w2", rng.standard_normal((6, 2, 3, 3))), _init("b2", rng.standard_normal(6)),
        _init("w3", rng.standard_normal((5, 6, 1, 1))), _init("b3", rng.standard_normal(5)),
    ]
    conv1_inputs = ["x", "w1"]
    if conv1_bias:
        inits.append(_init("b1", rng.standard_normal(4)))
        conv1_inputs.append("b1")
    nodes = [
        helper.make_node("Conv", conv1_inputs, ["c1"], name="conv1", pads=[1, 1, 1, 1],
                         kernel_shape=[3, 3]),
        helper.make_node("BatchNormalization", ["c1", "bn_g", "bn_b", "bn_m", "bn_v"], ["n1"],
                         name="bn1", epsilon=1e-3),
        helper.make_node("Relu", ["n1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("Dropout", ["p1"], ["d1"], name="drop"),
        helper.make_node("Conv", ["d1", "w2", "b2"], ["c2"], name="conv2", group=2,
                         dilations=[2, 2], strides=[2, 2], pads=[2, 1, 2, 1]),
        helper.make_node("LeakyRelu", ["c2"], ["r2"], name="lrelu2", alpha=0.2),
        helper.make_node("AveragePool", ["r2"], ["p2"], name="pool2", kernel_shape=[2, 2],
                         strides=[1, 1]),
        helper.make_node("Identity", ["p2"], ["i2"], name="ident"),
        helper.make_node("Conv", ["i2", "w3", "b3"], ["c3"], name="conv3"),
        helper.make_node("Sigmoid", ["c3"], ["s3"], name="sig3"),
        helper.make_node("GlobalAveragePool", ["s3"], ["y"], name="gap"),
    ]
    graph = helper.make_graph(nodes, "small", [helper.make_tensor_value_info(
        "x", F, [1, 3, 21, 19])], [_out("y")], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def ort_outputs(model_path: Path, x: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
    """Every node output in ``names``, computed by onnxruntime."""
    model = onnx.load(str(model_path))
    del model.graph.output[:]
    model.graph.output.extend(_out(n) for n in names)
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    return dict(zip(names, session.run(names, {"x": x[np.newaxis]}), strict=True))


OUTPUT_OF = {"conv1": "c1", "bn1": "n1", "relu1": "r1", "pool1": "p1", "drop": "d1",
             "conv2": "c2", "lrelu2": "r2", "pool2": "p2", "ident": "i2", "conv3": "c3",
             "sig3": "s3", "gap": "y"}


@pytest.fixture
def net_path(tmp_path: Path, rng: np.random.Generator) -> Path:
    path = tmp_path / "net.onnx"
    onnx.save(small_net(rng), str(path))
    return path


def test_layers_listed_in_order(net_path: Path) -> None:
    model = open_model(net_path)
    assert model.format == "onnx" and model.path == net_path and model.input_channels == 3
    assert [(layer.name, layer.kind) for layer in model.layers] == [
        ("conv1", "conv"), ("bn1", "batchnorm"), ("relu1", "relu"), ("pool1", "maxpool"),
        ("drop", "identity"), ("conv2", "conv"), ("lrelu2", "leaky_relu"),
        ("pool2", "avgpool"), ("ident", "identity"), ("conv3", "conv"), ("sig3", "sigmoid"),
        ("gap", "globalavgpool")]
    conv2 = model.layer("conv2")
    assert conv2.weight_shape == (6, 2, 3, 3)
    assert conv2.params["stride"] == (2, 2) and conv2.params["groups"] == 2
    assert conv2.params["padding"] == (2, 1) and conv2.params["dilation"] == (2, 2)
    assert model.layer("bn1").params["epsilon"] == pytest.approx(1e-3)


@pytest.mark.parametrize("through", list(OUTPUT_OF))
def test_pipeline_equals_onnxruntime(net_path: Path, rng: np.random.Generator,
                                     through: str) -> None:
    model = open_model(net_path)
    x = rng.standard_normal((3, 21, 19)).astype(np.float32)
    pipeline = model.pipeline(through=through)
    assert pipeline.input_mode == "rgb"
    expected = ort_outputs(net_path, x, [OUTPUT_OF[through]])[OUTPUT_OF[through]][0]
    assert_maps_close(last_maps(pipeline, x), expected)


def _zero_two(pipeline, layer_index: int, filters: tuple[int, int] = (1, 2)):  # type: ignore[no-untyped-def]
    layer = pipeline.layers[layer_index]
    new_filters = list(layer.filters)
    for j in filters:
        new_filters[j] = replace(new_filters[j], weight=np.zeros_like(new_filters[j].weight),
                                 bias=0.0)
    layers = list(pipeline.layers)
    layers[layer_index] = replace(layer, filters=tuple(new_filters))
    return replace(pipeline, layers=tuple(layers))


@pytest.mark.parametrize("conv1_bias", [False, True])
def test_edit_save_copy_reproduces_the_edited_maps(tmp_path: Path, rng: np.random.Generator,
                                                   conv1_bias: bool) -> None:
    path = tmp_path / "net.onnx"
    onnx.save(small_net(rng, conv1_bias=conv1_bias), str(path))
    original = path.read_bytes()
    model = open_model(path)
    x = rng.standard_normal((3, 21, 19)).astype(np.float32)
    pipeline = model.pipeline(through="pool2")
    edited = _zero_two(pipeline, 0)
    zeroed = run_pipeline(x, replace(edited, layers=edited.layers[:1])).layers[0].conv
    assert not zeroed[1].any() and not zeroed[2].any()
    # An arbitrary edit too (not only zeros): filter 3 of conv1 scaled, its bias moved,
    # and filter 0 disabled (pruned).
    layer0 = edited.layers[0]
    filters = list(layer0.filters)
    filters[3] = replace(filters[3], weight=filters[3].weight * 1.5 + 0.25, bias=0.75)
    filters[0] = replace(filters[0], enabled=False)
    edited = replace(edited, layers=(replace(layer0, filters=tuple(filters)),
                                     *edited.layers[1:]))

    copy = tmp_path / "edited.onnx"
    assert model.save_copy(edited, copy) == copy
    assert path.read_bytes() == original
    onnx.checker.check_model(onnx.load(str(copy)))
    # Pruned (disabled) filter 0 is written as zero output, so compare with it zeroed.
    expect_pipeline = _zero_two(edited, 0, (0,))
    expect_pipeline = replace(expect_pipeline, layers=(
        replace(expect_pipeline.layers[0], filters=tuple(
            replace(f, enabled=True) for f in expect_pipeline.layers[0].filters)),
        *expect_pipeline.layers[1:]))
    theirs = ort_outputs(copy, x, ["r1", "p2"])
    ours_all = run_pipeline(x, expect_pipeline)
    assert_maps_close(np.stack(ours_all.layers[0].activated), theirs["r1"][0])
    assert_maps_close(np.stack(ours_all.layers[1].pooled), theirs["p2"][0])
    # Pruned channels: zero up to float32 rounding of the file's BN (x - mean) * s + beta.
    assert np.abs(theirs["r1"][0][[0, 1, 2]]).max() < 1e-5
    # The copy opens again and gives the edited pipeline back.
    again = open_model(copy).pipeline(through="pool2")
    for f, g in zip(again.layers[0].filters, expect_pipeline.layers[0].filters, strict=True):
        np.testing.assert_allclose(f.weight, g.weight, rtol=1e-5, atol=1e-6)
        assert f.bias == pytest.approx(g.bias, abs=1e-5)


def test_unedited_tensors_keep_their_bytes(tmp_path: Path, net_path: Path) -> None:
    model = open_model(net_path)
    pipeline = model.pipeline(through="conv2")
    edited = _zero_two(pipeline, 1)
    copy = tmp_path / "copy.onnx"
    model.save_copy(edited, copy)
    before = {t.name: t.raw_data for t in onnx.load(str(net_path)).graph.initializer}
    after = {t.name: t.raw_data for t in onnx.load(str(copy)).graph.initializer}
    assert set(before) == set(after)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"w2", "b2"}
    w_before = numpy_helper.to_array(onnx.load(str(net_path)).graph.initializer[5])
    w_after = numpy_helper.to_array(onnx.load(str(copy)).graph.initializer[5])
    # Unedited filters of an edited conv keep their exact values.
    np.testing.assert_array_equal(w_before[[0, 3, 4, 5]], w_after[[0, 3, 4, 5]])
    assert not w_after[[1, 2]].any()
    # Nodes and attributes untouched.
    assert onnx.load(str(net_path)).graph.node == onnx.load(str(copy)).graph.node


def test_unchanged_pipeline_saves_identical_model(tmp_path: Path, net_path: Path) -> None:
    model = open_model(net_path)
    copy = tmp_path / "same.onnx"
    model.save_copy(model.pipeline(through="gap"), copy)
    assert onnx.load(str(copy)) == onnx.load(str(net_path))


def test_bias_is_added_to_a_conv_without_one(tmp_path: Path, rng: np.random.Generator) -> None:
    w = rng.standard_normal((2, 1, 3, 3)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="c")], "g",
        [helper.make_tensor_value_info("x", F, [1, 1, 8, 8])],
        [_out("y")], [_init("w", w)])
    path = tmp_path / "nobias.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    model = open_model(path)
    pipeline = model.pipeline(through="c")
    assert pipeline.input_mode == "gray"
    layer = pipeline.layers[0]
    edited = replace(pipeline, layers=(replace(layer, filters=(
        replace(layer.filters[0], bias=0.5), layer.filters[1])),))
    copy = tmp_path / "bias.onnx"
    model.save_copy(edited, copy)
    x = rng.standard_normal((1, 8, 8)).astype(np.float32)
    assert_maps_close(last_maps(edited, x), ort_outputs(copy, x, ["y"])["y"][0])


def test_save_copy_refuses_the_original_and_changed_hyperparameters(net_path: Path,
                                                                    tmp_path: Path) -> None:
    model = open_model(net_path)
    pipeline = model.pipeline(through="relu1")
    with pytest.raises(ValueError, match="refusing to overwrite the original"):
        model.save_copy(pipeline, net_path)
    with pytest.raises(ValueError, match="refusing to overwrite the original"):
        model.save_copy(pipeline, tmp_path / "." / net_path.name)
    strided = replace(pipeline, layers=(replace(pipeline.layers[0], stride=(2, 2)),))
    with pytest.raises(ValueError, match="stride"):
        model.save_copy(strided, tmp_path / "x.onnx", through="relu1")
    with pytest.raises(ValueError, match="matches no run"):
        model.save_copy(replace(pipeline, layers=(replace(
            pipeline.layers[0], filters=pipeline.layers[0].filters[:2]),)), tmp_path / "y.onnx")
    (tmp_path / "exists.onnx").write_bytes(b"keep")
    with pytest.raises(FileExistsError):
        model.save_copy(pipeline, tmp_path / "exists.onnx")
    assert (tmp_path / "exists.onnx").read_bytes() == b"keep"
    assert not (tmp_path / "x.onnx").exists() and not (tmp_path / "y.onnx").exists()


def _single_conv(tmp_path: Path, rng: np.random.Generator, kernel: int = 3,
                 **attrs: object) -> Path:
    w = rng.standard_normal((2, 1, kernel, kernel)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="c", **attrs)], "g",
        [helper.make_tensor_value_info("x", F, [1, 1, 11, 12])],
        [_out("y")], [_init("w", w)])
    path = tmp_path / "single.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


@pytest.mark.parametrize("attrs", [
    {"auto_pad": "VALID"}, {"auto_pad": "SAME_UPPER"}, {"auto_pad": "SAME_LOWER"},
    {"dilations": [2, 2], "pads": [2, 2, 2, 2]}, {"pads": [2, 0, 2, 0]},
])
def test_auto_pad_forms_match_onnxruntime(tmp_path: Path, rng: np.random.Generator,
                                          attrs: dict[str, object]) -> None:
    path = _single_conv(tmp_path, rng, **attrs)
    x = rng.standard_normal((1, 11, 12)).astype(np.float32)
    assert_maps_close(last_maps(open_model(path).pipeline("c"), x),
                      ort_outputs(path, x, ["y"])["y"][0])


def test_even_kernel_same_upper_matches(tmp_path: Path, rng: np.random.Generator) -> None:
    path = _single_conv(tmp_path, rng, kernel=4, auto_pad="SAME_UPPER")
    x = rng.standard_normal((1, 11, 12)).astype(np.float32)
    assert_maps_close(last_maps(open_model(path).pipeline("c"), x),
                      ort_outputs(path, x, ["y"])["y"][0])


@pytest.mark.parametrize(("kernel", "attrs", "message"), [
    (3, {"pads": [1, 0, 2, 0]}, "asymmetric pads"),
    (3, {"auto_pad": "SAME_UPPER", "strides": [2, 2]}, "depends on the input size"),
    (4, {"auto_pad": "SAME_LOWER"}, "SAME_LOWER"),
])
def test_inexpressible_padding_is_refused_by_name(tmp_path: Path, rng: np.random.Generator,
                                                  kernel: int, attrs: dict[str, object],
                                                  message: str) -> None:
    model = open_model(_single_conv(tmp_path, rng, kernel=kernel, **attrs))
    assert message in model.layer("c").params["unsupported"]
    with pytest.raises(ValueError, match=f"layer 'c' \\(Conv\\).*{message}"):
        model.pipeline("c")


@pytest.mark.parametrize("attrs", [
    {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1},
    {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]},
    {"kernel_shape": [2, 3], "strides": [1, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1},
])
@pytest.mark.parametrize("op", ["MaxPool", "AveragePool"])
def test_pooling_forms_match_onnxruntime(tmp_path: Path, rng: np.random.Generator, op: str,
                                         attrs: dict[str, object]) -> None:
    if op == "AveragePool" and "pads" in attrs:
        attrs = {**attrs, "count_include_pad": 1}
    w = rng.standard_normal((2, 1, 3, 3)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["c"], name="c"),
         helper.make_node(op, ["c"], ["y"], name="p", **attrs)], "g",
        [helper.make_tensor_value_info("x", F, [1, 1, 12, 13])],
        [_out("y")], [_init("w", w)])
    path = tmp_path / "pool.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)]), str(path))
    x = rng.standard_normal((1, 12, 13)).astype(np.float32)
    model = open_model(path)
    if "unsupported" in model.layer("p").params:
        with pytest.raises(ValueError, match="layer 'p'"):
            model.pipeline("p")
        return
    assert_maps_close(last_maps(model.pipeline("p"), x), ort_outputs(path, x, ["y"])["y"][0])


def test_branches_and_other_ops_are_refused_by_name(tmp_path: Path,
                                                    rng: np.random.Generator) -> None:
    w = rng.standard_normal((1, 1, 3, 3)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["a"], name="c1", pads=[1, 1, 1, 1]),
         helper.make_node("Add", ["a", "x"], ["s"], name="residual"),
         helper.make_node("Conv", ["s", "w"], ["y"], name="c2"),
         helper.make_node("Relu", ["x"], ["r"], name="relu_first")], "g",
        [helper.make_tensor_value_info("x", F, [1, 1, 8, 8])],
        [_out("y"),
         _out("r")], [_init("w", w)])
    path = tmp_path / "branch.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    model = open_model(path)
    assert model.layer("residual").kind == "other"
    with pytest.raises(ValueError, match="'residual' \\(Add\\)"):
        model.pipeline("c2")
    with pytest.raises(ValueError, match="'relu_first' \\(Relu\\).*the first layer"):
        model.pipeline("relu_first")
    with pytest.raises(KeyError, match="no layer 'nope'"):
        model.pipeline("nope")
    assert len(model.pipeline("c1").layers) == 1


def test_params_overrides_are_refused_for_onnx(net_path: Path) -> None:
    with pytest.raises(ValueError, match="params"):
        open_model(net_path).pipeline("conv1", {"conv1": {"stride": 2}})


# ---------------------------------------------------------------- hostile files


def test_truncated_file(tmp_path: Path, net_path: Path) -> None:
    data = net_path.read_bytes()
    for cut in (len(data) // 2, len(data) - 7, 3):
        bad = tmp_path / f"cut{cut}.onnx"
        bad.write_bytes(data[:cut])
        with pytest.raises(LoadError, match=f"cut{cut}.onnx"):
            open_model(bad)


@pytest.mark.parametrize("content", [b"", b"\x89PNG\r\n\x1a\n" + bytes(100),
                                     b"hello world, not a model", bytes(64)])
def test_wrong_magic(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(content)
    with pytest.raises(LoadError, match="bad.onnx"):
        open_model(bad)


def test_huge_declared_shape_is_refused_before_allocation(tmp_path: Path) -> None:
    tensor = onnx.TensorProto(name="w", data_type=F, dims=[1 << 20, 1 << 20, 3, 3],
                              raw_data=b"\0" * 16)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="c")], "g",
        [helper.make_tensor_value_info("x", F, [1, 1, 8, 8])],
        [_out("y")], [tensor])
    path = tmp_path / "huge.onnx"
    path.write_bytes(helper.make_model(graph).SerializeToString())
    with pytest.raises(LoadError, match="declares shape"):
        open_model(path)
    tensor2 = onnx.TensorProto(name="w", data_type=F, dims=[4, 1, 3, 3], raw_data=b"\0" * 16)
    graph.initializer[0].CopyFrom(tensor2)
    path.write_bytes(helper.make_model(graph).SerializeToString())
    with pytest.raises(LoadError, match="stores 16 bytes"):
        open_model(path)


def test_external_data_outside_the_folder_is_refused(tmp_path: Path) -> None:
    tensor = onnx.TensorProto(name="w", data_type=F, dims=[1, 1, 3, 3])
    tensor.data_location = onnx.TensorProto.EXTERNAL
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", "../../etc/passwd"
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="c")], "g",
        [helper.make_tensor_value_info("x", F, [1, 1, 8, 8])],
        [_out("y")], [tensor])
    path = tmp_path / "ext.onnx"
    path.write_bytes(helper.make_model(graph).SerializeToString())
    with pytest.raises(LoadError, match="outside the model's folder"):
        open_model(path)
