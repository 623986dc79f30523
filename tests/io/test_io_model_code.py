from __future__ import annotations

import ast

import numpy as np
import pytest

from workbench.core import (
    Filter,
    Layer,
    Pipeline,
    Pool,
    default_pipeline,
    preset_filter,
    run_pipeline,
    weights_to_keras,
)
from workbench.io.bank_arrays import stack_filters
from workbench.io.model_code import KERAS_TORCH_PAD, framework_code, keras_code, pytorch_code


@pytest.fixture(scope="module")
def torch_module():
    return pytest.importorskip("torch")


def _rng_filters(count: int, channels: int, size: tuple[int, int], seed: int):
    rng = np.random.default_rng(seed)
    return tuple(Filter(f"r{i}", rng.standard_normal((channels, *size)).astype(np.float32),
                        bias=float(rng.standard_normal()))
                 for i in range(count))


def _pipelines() -> dict[str, Pipeline]:
    even = Layer(_rng_filters(3, 1, (4, 2), 1), padding="same", padding_mode="reflect",
                 dilation=(2, 1), activation="leaky_relu", negative_slope=0.2,
                 pool=Pool("min", 3, 2, 1, ceil_mode=True))
    grouped = Layer(_rng_filters(6, 1, (3, 3), 2), stride=2, padding=(1, 2), groups=3,
                    padding_mode="circular", activation="tanh",
                    pool=Pool("avg", (2, 3), (1, 2), (1, 1), ceil_mode=True))
    disabled = Filter("off", np.ones((3, 3, 3), np.float32), enabled=False)
    flipped = Layer((*_rng_filters(2, 3, (3, 3), 3), disabled), flip=True,
                    padding_mode="replicate", padding=1, activation="sigmoid",
                    pool=Pool("global_max"))
    second = Layer(_rng_filters(2, 4, (3, 3), 4), padding="same", activation="relu",
                   pool=Pool("global_avg"))
    first = Layer(tuple(preset_filter(k, 3) for k in ("sobel_x", "sobel_y", "laplacian",
                                                     "emboss")),
                  activation="relu", pool=Pool("max", 2))
    return {
        "default": default_pipeline(),
        "even_same_reflect_min_ceil": Pipeline("gray", (even,)),
        "grouped_strided_circular": Pipeline("rgb", (grouped,)),
        "flip_replicate_disabled": Pipeline("rgb", (flipped,)),
        "two_layers": Pipeline("rgb", (first, second)),
    }


@pytest.mark.parametrize("name", list(_pipelines()))
def test_pytorch_code_runs_and_matches_the_core(torch_module, name: str) -> None:
    torch = torch_module
    pipeline = _pipelines()[name]
    code = pytorch_code(pipeline)
    namespace: dict[str, object] = {}
    exec(compile(code, f"<pytorch {name}>", "exec"), namespace)  # noqa: S102
    model = namespace["model"]
    rng = np.random.default_rng(0)
    x = rng.random((pipeline.input_channels, 23, 19), dtype=np.float32)
    with torch.no_grad():
        got = model(torch.from_numpy(x)[None])[0].numpy()
    expected = np.stack(run_pipeline(x, pipeline).layers[-1].pooled)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_pytorch_code_embeds_exact_weights(torch_module) -> None:
    torch = torch_module
    pipeline = _pipelines()["two_layers"]
    namespace: dict[str, object] = {}
    exec(pytorch_code(pipeline), namespace)  # noqa: S102
    for n, layer in enumerate(pipeline.layers, 1):
        weight, bias = stack_filters(layer.enabled_filters)
        conv = namespace[f"conv{n}"]
        assert isinstance(conv, torch.nn.Conv2d)
        assert conv.weight.detach().numpy().tobytes() == weight.tobytes()
        assert conv.bias.detach().numpy().tobytes() == bias.tobytes()


def _keras_arrays(code: str) -> dict[str, np.ndarray]:
    """Module-level ``name = np.array(<literal>, ...)`` assignments of generated code."""
    arrays = {}
    for node in ast.parse(code).body:
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                and ast.unparse(node.value.func) == "np.array"):
            literal = ast.literal_eval(node.value.args[0])
            arrays[node.targets[0].id] = np.array(literal, dtype=np.float32)
    return arrays


@pytest.mark.parametrize("name", list(_pipelines()))
def test_keras_code_compiles_and_embeds_keras_layout_weights(name: str) -> None:
    pipeline = _pipelines()[name]
    code = keras_code(pipeline)
    compile(code, f"<keras {name}>", "exec")
    arrays = _keras_arrays(code)
    for n, layer in enumerate(pipeline.layers, 1):
        weight, bias = stack_filters(layer.enabled_filters)
        if layer.flip:
            weight = weight[:, :, ::-1, ::-1]
        assert arrays[f"kernel{n}"].tobytes() == weights_to_keras(weight).tobytes()
        assert arrays[f"bias{n}"].tobytes() == bias.tobytes()
        assert f"conv{n}.set_weights([kernel{n}, bias{n}])" in code


def test_keras_code_states_its_limitations() -> None:
    code = keras_code(_pipelines()["even_same_reflect_min_ceil"])
    assert "LIMITATION: Keras has no ceil_mode" in code
    assert "layers.Rescaling(-1.0)" in code and 'constant_values=float("-inf")' in code
    # 'same' for a 4x2 kernel with dilation (2, 1): explicit, extra row at the bottom as torch
    assert "torch_pad(x, (3, 3, 0, 1), 'reflect')" in code
    strided = Pipeline("gray", (Layer((preset_filter("sobel_x"),), stride=2, dilation=2),))
    strided_code = keras_code(strided)
    assert "strides=(1, 1)" in strided_code and "dilation_rate=(2, 2)" in strided_code
    assert "layers.Lambda(lambda t: t[:, ::2, ::2, :])" in strided_code
    zeros_same = Pipeline("gray", (Layer((Filter("e", np.ones((2, 2), np.float32)),),
                                          padding="same"),))
    assert "layers.ZeroPadding2D(((0, 1), (0, 1)))" in keras_code(zeros_same)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_keras_torch_pad_helper_matches_torch_padding(mode: str) -> None:
    namespace: dict[str, object] = {"ops": np}  # numpy has the keras.ops calls used
    exec(KERAS_TORCH_PAD, namespace)  # noqa: S102
    x = np.arange(2 * 5 * 4 * 3, dtype=np.float32).reshape(2, 5, 4, 3)
    pads = (2, 1, 3, 0)
    got = namespace["torch_pad"](x, pads, mode)
    numpy_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    expected = np.pad(x, ((0, 0), pads[:2], pads[2:], (0, 0)), mode=numpy_mode)
    np.testing.assert_array_equal(got, expected)


def test_unexpressible_pipelines_are_refused() -> None:
    mixed = Layer((preset_filter("sobel_x"), preset_filter("gabor")), padding="same")
    with pytest.raises(ValueError, match="layer 1 mixes filter shapes"):
        pytorch_code(Pipeline("gray", (mixed,)))
    off = Layer((Filter("x", np.ones((3, 3), np.float32), enabled=False),))
    with pytest.raises(ValueError, match="layer 1 has no enabled filters"):
        keras_code(Pipeline("gray", (off,)))
    with pytest.raises(ValueError, match="does not match its 3 input channel"):
        pytorch_code(Pipeline("rgb", (Layer((preset_filter("sobel_x"),)),)))
    with pytest.raises(ValueError, match="framework must be"):
        framework_code(default_pipeline(), "jax")


def test_generated_keras_code_runs_in_keras_and_matches_the_core(tmp_path) -> None:
    """Strided + dilated, padded and pooled layers: the code runs in Keras 3 (torch backend)
    and gives the core's maps."""
    import importlib.util
    import os
    import subprocess
    import sys

    if importlib.util.find_spec("keras") is None or importlib.util.find_spec("torch") is None:
        pytest.skip("needs keras and torch")
    rng = np.random.default_rng(2)
    layer1 = Layer((Filter("a", rng.standard_normal((3, 3)).astype(np.float32), 0.5),
                    Filter("b", rng.standard_normal((3, 3)).astype(np.float32))),
                   stride=(2, 3), dilation=(2, 2), padding=(1, 2), activation="relu")
    layer2 = Layer((Filter("c", rng.standard_normal((2, 3, 3)).astype(np.float32)),),
                   stride=2, dilation=2, pool=Pool("max", (2, 2)))
    pipeline = Pipeline("gray", (layer1, layer2))
    x = rng.standard_normal((1, 41, 37)).astype(np.float32)
    expected = np.stack(run_pipeline(x, pipeline).layers[-1].pooled)
    np.save(tmp_path / "x.npy", x.transpose(1, 2, 0)[None])
    script = keras_code(pipeline) + (
        "\nimport numpy as np\n"
        f"x = np.load({str(tmp_path / 'x.npy')!r})\n"
        f"np.save({str(tmp_path / 'y.npy')!r}, model.predict(x, verbose=0))\n")
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    got = np.load(tmp_path / "y.npy")[0].transpose(2, 0, 1)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * float(np.abs(expected).max()))
