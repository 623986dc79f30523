"""'Copy as PyTorch' / 'Copy as Keras': Python code that builds the pipeline as a model.

The code embeds the exact float32 weights and biases (decimal text that reads back to the
same bits), so running it gives the workbench's numbers. Only enabled filters are included,
as in :func:`workbench.core.run_pipeline`; ``flip=True`` layers get their kernels flipped in
the code, since both frameworks compute cross-correlation.

PyTorch: ``nn.Sequential`` of ``Conv2d`` (same stride, padding, dilation, groups and
padding_mode), activation and pooling modules per layer; min pooling is a small
``MinPool2d`` class defined in the code. Input ``(N, C, H, W)``.

Keras 3: ``keras.Sequential`` with channels-last input ``(N, H, W, C)``. Padding is always
explicit (``ZeroPadding2D``, or a ``torch_pad`` helper for reflect/replicate/circular) with a
``"valid"`` convolution, so even kernels and ``"same"`` match PyTorch exactly. Cases Keras
cannot express (pooling ``ceil_mode``; stride together with dilation on the TensorFlow
backend) are stated in a comment in the generated code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from workbench.core import Layer, Pipeline, expected_input_channels, weights_to_keras
from workbench.core.conv import resolve_padding
from workbench.io.bank_arrays import stack_filters
from workbench.io.float_text import float32_text

KERAS_TORCH_PAD = '''\
def _slice(x, axis, start, stop):
    index = [slice(None)] * 4
    index[axis] = slice(start, stop)
    return x[tuple(index)]


def torch_pad(x, pads, mode):
    """Pad (N, H, W, C) by (top, bottom, left, right) like torch's padding_mode."""
    for axis, before, after in ((1, pads[0], pads[1]), (2, pads[2], pads[3])):
        pieces = []
        if before and mode == "reflect":
            pieces.append(ops.flip(_slice(x, axis, 1, before + 1), axis=axis))
        elif before and mode == "replicate":
            pieces.append(ops.repeat(_slice(x, axis, 0, 1), before, axis=axis))
        elif before:
            pieces.append(_slice(x, axis, -before, None))
        pieces.append(x)
        if after and mode == "reflect":
            pieces.append(ops.flip(_slice(x, axis, -after - 1, -1), axis=axis))
        elif after and mode == "replicate":
            pieces.append(ops.repeat(_slice(x, axis, -1, None), after, axis=axis))
        elif after:
            pieces.append(_slice(x, axis, 0, after))
        x = ops.concatenate(pieces, axis=axis)
    return x
'''
"""The padding helper put into Keras code for non-zero padding modes (uses ``keras.ops``)."""

_MIN_POOL_TORCH = '''\
class MinPool2d(nn.MaxPool2d):
    """Min pooling: -max_pool(-x)."""

    def forward(self, x):
        return -super().forward(-x)
'''


def _array_text(arr: npt.NDArray[np.float32], indent: int,
                comments: Sequence[str] | None = None) -> str:
    """Nested-list literal of ``arr`` laid out like NumPy prints it (rows on their own lines).

    With ``comments``, each top-level entry goes on its own lines after ``# comment``.
    """
    if arr.ndim == 1:
        return "[" + ", ".join(float32_text(v) for v in arr) + "]"
    if comments is None:
        sep = ",\n" + " " * (indent + 1)
        return "[" + sep.join(_array_text(sub, indent + 1) for sub in arr) + "]"
    pad = " " * (indent + 4)
    lines = ["["]
    for comment, sub in zip(comments, arr, strict=True):
        lines += [f"{pad}# {comment}", f"{pad}{_array_text(sub, indent + 4)},"]
    lines.append(" " * indent + "]")
    return "\n".join(lines)


def _comment(text: str) -> str:
    return " ".join(text.split())


def _layer_weights(layer: Layer, number: int) -> tuple[npt.NDArray[np.float32],
                                                        npt.NDArray[np.float32]]:
    filters = layer.enabled_filters
    if not filters:
        raise ValueError(f"layer {number} has no enabled filters")
    sizes = {f.weight.shape for f in filters}
    if len(sizes) > 1:
        raise ValueError(f"layer {number} mixes filter shapes {sorted(sizes)}; a framework "
                         "convolution layer needs one kernel size for all its filters")
    weight, bias = stack_filters(filters)
    if layer.flip:
        weight = np.ascontiguousarray(weight[:, :, ::-1, ::-1])
    return weight, bias


def _in_channels(pipeline: Pipeline, index: int) -> int:
    if index == 0:
        return expected_input_channels(pipeline)
    return len(pipeline.layers[index - 1].enabled_filters)


def _check(pipeline: Pipeline) -> None:
    if not pipeline.layers:
        raise ValueError("the pipeline has no layers")
    for i, layer in enumerate(pipeline.layers):
        if not layer.enabled_filters:
            raise ValueError(f"layer {i + 1} has no enabled filters")
        depth = layer.enabled_filters[0].channels
        if depth * layer.groups != _in_channels(pipeline, i):
            raise ValueError(f"layer {i + 1}: {depth} channel slice(s) x groups={layer.groups} "
                             f"does not match its {_in_channels(pipeline, i)} input channel(s)")


def _pair(p: tuple[int, int]) -> str:
    return f"({p[0]}, {p[1]})"


def _torch_activation(layer: Layer) -> str | None:
    return {"none": None, "relu": "nn.ReLU()", "sigmoid": "nn.Sigmoid()", "tanh": "nn.Tanh()",
            "leaky_relu": f"nn.LeakyReLU(negative_slope={layer.negative_slope!r})",
            }[layer.activation]


def _torch_pool(layer: Layer) -> str | None:
    pool = layer.pool
    if pool.kind == "none":
        return None
    if pool.kind in ("global_max", "global_avg"):
        return f"nn.Adaptive{'Max' if pool.kind == 'global_max' else 'Avg'}Pool2d(1)"
    cls = {"max": "nn.MaxPool2d", "avg": "nn.AvgPool2d", "min": "MinPool2d"}[pool.kind]
    extra = ", count_include_pad=True" if pool.kind == "avg" else ""
    return (f"{cls}(kernel_size={_pair(pool.size)}, stride={_pair(pool.effective_stride)}, "
            f"padding={_pair(pool.padding)}, ceil_mode={pool.ceil_mode}{extra})")


def pytorch_code(pipeline: Pipeline) -> str:
    """Generate Python code building the pipeline as a PyTorch ``nn.Sequential`` named ``model``.

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.

    Returns
    -------
    str
        Runnable code (needs ``torch``); ``model(x)`` with ``x`` of shape ``(N, C, H, W)``
        gives the last layer's pooled maps.

    Raises
    ------
    ValueError
        If a layer has no enabled filters, mixes kernel shapes, or its channels do not
        chain (the message names the layer).
    """
    _check(pipeline)
    out = [
        "# PyTorch model of a Conv Workbench pipeline (generated). Input: float32 tensor",
        f"# (N, {expected_input_channels(pipeline)}, H, W), "
        + ("the raw data as given." if pipeline.input_mode == "raw"
           else f"the {pipeline.input_mode} image scaled to 0..1 as the workbench feeds it."),
        "import torch",
        "from torch import nn",
        "",
    ]
    if any(layer.pool.kind == "min" for layer in pipeline.layers):
        out += ["", _MIN_POOL_TORCH, ""]
    modules: list[str] = []
    for i, layer in enumerate(pipeline.layers):
        n = i + 1
        weight, bias = _layer_weights(layer, n)
        names = [_comment(f.name) for f in layer.enabled_filters]
        padding = repr(layer.padding) if isinstance(layer.padding, str) else _pair(layer.padding)
        out += [
            f"# Layer {n}: {len(names)} filter(s): {', '.join(names)}"
            + (" (kernels flipped: the workbench layer uses true convolution)"
               if layer.flip else ""),
            f"conv{n} = nn.Conv2d({_in_channels(pipeline, i)}, {weight.shape[0]}, "
            f"kernel_size={_pair(weight.shape[2:])}, stride={_pair(layer.stride)},",
            f"    padding={padding}, dilation={_pair(layer.dilation)}, groups={layer.groups}, "
            f"bias=True, padding_mode={layer.padding_mode!r})",
            "with torch.no_grad():",
            f"    conv{n}.weight.copy_(torch.tensor({_array_text(weight, 4, names)}, "
            "dtype=torch.float32))",
            f"    conv{n}.bias.copy_(torch.tensor({_array_text(bias, 4)}, dtype=torch.float32))",
            "",
        ]
        modules += [f"conv{n}"] + [m for m in (_torch_activation(layer), _torch_pool(layer)) if m]
    out += ["model = nn.Sequential(", *(f"    {m}," for m in modules), ")", "model.eval()", ""]
    return "\n".join(out)


def _keras_padding(layer: Layer, kernel: tuple[int, int]) -> str | None:
    top, bottom, left, right = resolve_padding(layer.padding, kernel, layer.stride,
                                               layer.dilation)
    if not (top or bottom or left or right):
        return None
    if layer.padding_mode == "zeros":
        return f"layers.ZeroPadding2D((({top}, {bottom}), ({left}, {right})))"
    return (f"layers.Lambda(lambda x: torch_pad(x, ({top}, {bottom}, {left}, {right}), "
            f"{layer.padding_mode!r}))")


def _keras_activation(layer: Layer) -> str | None:
    return {"none": None, "relu": "layers.ReLU()",
            "sigmoid": 'layers.Activation("sigmoid")', "tanh": 'layers.Activation("tanh")',
            "leaky_relu": f"layers.LeakyReLU(negative_slope={layer.negative_slope!r})",
            }[layer.activation]


def _keras_pool(layer: Layer) -> list[str]:
    pool = layer.pool
    if pool.kind == "none":
        return []
    if pool.kind in ("global_max", "global_avg"):
        kind = "Max" if pool.kind == "global_max" else "Average"
        return [f"layers.Global{kind}Pooling2D(keepdims=True)"]
    ph, pw = pool.padding
    core = "AveragePooling2D" if pool.kind == "avg" else "MaxPooling2D"
    mods = []
    if pool.ceil_mode:
        mods.append("# LIMITATION: Keras has no ceil_mode; this pooling rounds the output size "
                    "down, so it may lack the last partial row/column of the workbench's.")
    if pool.kind == "min":
        mods.append("layers.Rescaling(-1.0),  # min pooling = -max_pool(-x)")
    if ph or pw:
        if pool.kind == "avg":
            # count_include_pad=True: padded zeros count in the divisor, as here.
            mods.append(f"layers.ZeroPadding2D((({ph}, {ph}), ({pw}, {pw}))),")
        else:
            mods.append("layers.Lambda(lambda x: keras.ops.pad("
                        f"x, [[0, 0], [{ph}, {ph}], [{pw}, {pw}], [0, 0]], "
                        'constant_values=float("-inf"))),')
    mods.append(f"layers.{core}(pool_size={_pair(pool.size)}, "
                f"strides={_pair(pool.effective_stride)}, padding=\"valid\"),")
    if pool.kind == "min":
        mods.append("layers.Rescaling(-1.0),")
    return mods


def keras_code(pipeline: Pipeline) -> str:
    """Generate Python code building the pipeline as a Keras 3 ``keras.Sequential`` named ``model``.

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.

    Returns
    -------
    str
        Code (needs ``keras`` 3 and ``numpy``); ``model(x)`` with ``x`` of shape
        ``(N, H, W, C)`` gives the last layer's pooled maps, channels-last. Each layer's
        kernel is a module variable ``kernel<n>`` in Keras layout ``(kH, kW, C, F)``
        (:func:`workbench.core.weights_to_keras`) and its bias ``bias<n>``.

    Raises
    ------
    ValueError
        If a layer has no enabled filters, mixes kernel shapes, or its channels do not
        chain (the message names the layer).
    """
    _check(pipeline)
    needs_pad = any(layer.padding_mode != "zeros" for layer in pipeline.layers)
    out = [
        "# Keras 3 model of a Conv Workbench pipeline (generated). Input: float32",
        f"# (N, H, W, {expected_input_channels(pipeline)}), "
        "channels last: for a workbench (C, H, W) "
        "input use x.transpose(1, 2, 0)[None].",
        "# Padding is explicit with 'valid' convolutions so results match PyTorch's, also "
        "for even kernels.",
        "import keras",
        "import numpy as np",
        "from keras import layers" + (", ops" if needs_pad else ""),
        "",
    ]
    if needs_pad:
        out += ["", KERAS_TORCH_PAD, ""]
    modules: list[str] = [
        f"keras.Input(shape=(None, None, {expected_input_channels(pipeline)})),"]
    for i, layer in enumerate(pipeline.layers):
        n = i + 1
        weight, bias = _layer_weights(layer, n)
        kernel = weights_to_keras(weight)
        names = [_comment(f.name) for f in layer.enabled_filters]
        out += [
            f"# Layer {n}: {len(names)} filter(s): {', '.join(names)}"
            + (" (kernels flipped: the workbench layer uses true convolution)"
               if layer.flip else ""),
            f"kernel{n} = np.array({_array_text(kernel, len(f'kernel{n} = np.array('))}, "
            "dtype=\"float32\")  "
            "# (kH, kW, C, F)",
            f"bias{n} = np.array({_array_text(bias, 0)}, dtype=\"float32\")",
        ]
        # Keras' Conv2D refuses strides > 1 with dilation_rate > 1 (every backend, 3.15): a
        # stride-1 dilated conv, then every stride-th row and column, is the same result.
        subsample = max(layer.stride) > 1 and max(layer.dilation) > 1
        conv_stride = (1, 1) if subsample else layer.stride
        if subsample:
            out.append(f"# strides {_pair(layer.stride)} with dilation: Keras refuses both in "
                       f"one Conv2D, so conv{n} runs at stride 1 and a slice keeps every "
                       f"stride-th output (the same values).")
        out += [
            f"conv{n} = layers.Conv2D({weight.shape[0]}, {_pair(weight.shape[2:])}, "
            f"strides={_pair(conv_stride)}, padding=\"valid\",",
            f"    dilation_rate={_pair(layer.dilation)}, groups={layer.groups})",
            "",
        ]
        padding = _keras_padding(layer, (weight.shape[2], weight.shape[3]))
        modules += [f"{m}," for m in (padding,) if m]
        modules.append(f"conv{n},")
        if subsample:
            sy, sx = layer.stride
            modules.append(f"layers.Lambda(lambda t: t[:, ::{sy}, ::{sx}, :]),")
        activation = _keras_activation(layer)
        if activation:
            modules.append(f"{activation},")
        modules += _keras_pool(layer)
    out += ["model = keras.Sequential([", *(f"    {m}" for m in modules), "])"]
    out += [f"conv{i + 1}.set_weights([kernel{i + 1}, bias{i + 1}])"
            for i in range(len(pipeline.layers))]
    return "\n".join(out) + "\n"


def framework_code(pipeline: Pipeline, framework: str) -> str:
    """Generate code for ``framework`` (:func:`pytorch_code` or :func:`keras_code`).

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.
    framework : {"pytorch", "keras"}
        Which framework.

    Returns
    -------
    str
        The code.

    Raises
    ------
    ValueError
        On an unknown framework or a pipeline the framework cannot express.
    """
    makers: dict[str, Any] = {"pytorch": pytorch_code, "keras": keras_code}
    if framework not in makers:
        raise ValueError(f"framework must be one of {tuple(makers)}, got {framework!r}")
    return str(makers[framework](pipeline))
