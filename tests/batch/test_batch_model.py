"""apply --model FILE --through LAYER: a model's first layers over images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from workbench.batch import main  # noqa: E402
from workbench.core import image_to_chw  # noqa: E402
from workbench.io.images import limit_size, read_image  # noqa: E402
from workbench.resources import sample_path  # noqa: E402


def _net(path: Path) -> None:
    rng = np.random.default_rng(7)
    inits = [numpy_helper.from_array(rng.standard_normal((2, 3, 3, 3)).astype(np.float32), "w"),
             numpy_helper.from_array(rng.standard_normal(2).astype(np.float32), "b")]
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv1", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["y"], name="relu1")]
    graph = helper.make_graph(
        nodes, "net", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                     ["n", 3, "h", "w"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def test_apply_runs_the_model_and_matches_onnxruntime(tmp_path: Path, capsys) -> None:
    net = tmp_path / "net.onnx"
    _net(net)
    image = tmp_path / "astronaut.png"
    image.write_bytes(sample_path("astronaut").read_bytes())
    out = tmp_path / "out"
    code = main([str(image), "--model", str(net), "--through", "relu1", "--out", str(out),
                 "--format", "npy", "--stages", "activated", "--workers", "1",
                 "--max-side", "128"])
    assert code == 0, capsys.readouterr().err
    files = sorted(p.name for p in out.glob("*.npy"))
    assert len(files) == 2, files
    x = image_to_chw(limit_size(read_image(image), 128), "rgb")
    session = ort.InferenceSession(str(net), providers=["CPUExecutionProvider"])
    theirs = session.run(["y"], {"x": x[np.newaxis]})[0][0]
    ours = np.stack([np.load(out / name) for name in files])
    np.testing.assert_allclose(ours, theirs, atol=2e-5 * float(np.abs(theirs).max()))


def test_model_usage_errors(tmp_path: Path, capsys) -> None:
    net = tmp_path / "net.onnx"
    _net(net)
    image = str(sample_path("astronaut"))
    assert main([image, "--model", str(net), "--out", str(tmp_path / "o")]) == 2
    assert "--through" in capsys.readouterr().err
    assert main([image, "--model", str(net), "--through", "nope",
                 "--out", str(tmp_path / "o")]) == 2
    assert "nope" in capsys.readouterr().err
    assert main([image, "--preset", "sobel_x", "--through", "relu1",
                 "--out", str(tmp_path / "o")]) == 2
    assert "give the model too" in capsys.readouterr().err
