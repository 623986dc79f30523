"""Your own model in the window: open an ONNX file, run its first layers, prune, save a copy."""

from dataclasses import replace

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def first_layers_net(path, rng):
    """conv(3->4, 3x3, pad 1) -> BN -> Relu -> MaxPool 2 -> conv(4->2, 1x1)."""
    def init(name, array):
        return numpy_helper.from_array(np.asarray(array, np.float32), name)
    inits = [init("w1", rng.standard_normal((4, 3, 3, 3))), init("b1", rng.standard_normal(4)),
             init("g", rng.uniform(0.5, 2, 4)), init("beta", rng.standard_normal(4)),
             init("m", rng.standard_normal(4)), init("v", rng.uniform(0.5, 2, 4)),
             init("w2", rng.standard_normal((2, 4, 1, 1)))]
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1",
                              pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
             helper.make_node("BatchNormalization", ["c1", "g", "beta", "m", "v"], ["n1"],
                              name="bn1"),
             helper.make_node("Relu", ["n1"], ["r1"], name="relu1"),
             helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2],
                              strides=[2, 2]),
             helper.make_node("Conv", ["p1", "w2"], ["y"], name="conv2")]
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", "c", "h", "w"])
    graph = helper.make_graph(nodes, "net", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, ["n", 3, "h", "w"])], [out], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def ort_pool1(path, x):
    model = onnx.load(str(path))
    del model.graph.output[:]
    model.graph.output.extend([helper.make_tensor_value_info("p1", TensorProto.FLOAT, None)])
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    return session.run(["p1"], {"x": x[np.newaxis]})[0][0]


def test_open_run_prune_and_save_a_copy(open_window, settle, tmp_path):
    path = tmp_path / "net.onnx"
    first_layers_net(path, np.random.default_rng(3))
    window = open_window(image="sample:astronaut")
    window.models.open(path, wait=True)
    browser = window.models.browser
    assert browser is not None and browser.isVisible()
    names = [browser.tree.topLevelItem(i).text(0) for i in range(browser.tree.topLevelItemCount())]
    assert names == ["conv1", "bn1", "relu1", "pool1", "conv2"]
    assert window.menus.save_model_action.isEnabled()
    browser.select("pool1")
    assert browser.use_selected()
    result = settle(window)
    pipeline = window.session.pipeline
    assert pipeline.input_mode == "rgb" and len(pipeline.layers) == 1
    assert len(pipeline.layers[0].filters) == 4
    x = window.session.tensor
    ours = np.stack(result.result.layers[0].pooled)
    theirs = ort_pool1(path, x)
    scale = float(np.abs(theirs).max())
    np.testing.assert_allclose(ours, theirs, atol=2e-5 * scale)

    # Zero two filters (prune), save a copy, and onnxruntime agrees with the window.
    layer = pipeline.layers[0]
    pruned = tuple(replace(f, weight=np.zeros_like(f.weight), bias=0.0) if i in (1, 2) else f
                   for i, f in enumerate(layer.filters))
    window.session.edit(lambda p: replace(p, layers=(replace(p.layers[0], filters=pruned),)))
    result = settle(window)
    copy = tmp_path / "net-pruned.onnx"
    assert window.models.save_copy(copy)
    assert "Saved the edited model" in window.message_bar.text
    ours = np.stack(result.result.layers[0].pooled)
    theirs = ort_pool1(copy, x)
    np.testing.assert_allclose(ours, theirs, atol=2e-5 * scale)
    assert np.abs(theirs[1:3]).max() < 1e-4 * scale  # the pruned maps are empty
    # Never over the original.
    assert not window.models.save_copy(path)
    assert "must not replace the original" in window.message_bar.text


def test_a_run_that_cannot_be_used_says_why(open_window, tmp_path):
    path = tmp_path / "net.onnx"
    first_layers_net(path, np.random.default_rng(4))
    window = open_window()
    window.models.open(path, wait=True)
    browser = window.models.browser
    browser.select("relu1")
    assert browser.use_selected()  # conv + BN + ReLU is one layer
    before = window.session.pipeline
    browser.select("bn1")
    assert browser.use_selected()
    assert window.session.pipeline != before


def test_a_broken_model_file_changes_nothing(open_window, tmp_path):
    path = tmp_path / "broken.onnx"
    path.write_bytes(b"\x08\x07garbage that is not a model")
    window = open_window()
    before = window.session.pipeline
    window.models.open(path, wait=True)
    assert window.models.browser is None and window.models.model is None
    assert "Could not open the model" in window.message_bar.text
    assert "broken.onnx" in window.message_bar.text
    assert window.session.pipeline is before
    assert not window.menus.save_model_action.isEnabled()


def test_reading_happens_off_the_gui_thread(open_window, tmp_path, qtbot):
    path = tmp_path / "net.onnx"
    first_layers_net(path, np.random.default_rng(5))
    window = open_window()
    window.models.open(path)
    assert window.models.loading == str(path)
    qtbot.waitUntil(lambda: window.models.browser is not None, timeout=20000)
    assert window.models.loading is None and window.models.model.format == "onnx"
