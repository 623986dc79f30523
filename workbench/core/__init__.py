"""The compute core: convolution, pooling and activations with PyTorch's semantics.

Pure numpy + numba (no Qt, no OpenCV), usable from a notebook or a script. Inputs of
any real dtype are converted once to float32 C-contiguous; outputs are float32.
"""

from workbench.core.activations import ACTIVATIONS, activate, leaky_relu, relu, sigmoid, tanh
from workbench.core.backward import (
    activation_backward,
    avg_pool1d_backward,
    avg_pool2d_backward,
    conv1d_backward,
    conv2d_backward,
    global_avg_pool2d_backward,
    global_max_pool2d_backward,
    max_pool1d_backward,
    max_pool2d_backward,
    min_pool2d_backward,
)
from workbench.core.buffers import BufferPool, Lease
from workbench.core.conv import PADDING_MODES, conv1d, conv2d
from workbench.core.explain import Explanation, Term, explain, explain_result, layer_inputs
from workbench.core.geometry import LayerGeometry, layer_geometry
from workbench.core.image import image_to_chw
from workbench.core.keras_interop import (
    channels_first_to_last,
    channels_last_to_first,
    weights_from_keras,
    weights_to_keras,
)
from workbench.core.limits import (
    MAX_FILTERS_PER_LAYER,
    MAX_KERNEL_SIDE,
    MAX_LAYERS,
    MAX_PADDING,
    MAX_PIPELINE_BYTES,
    LimitError,
    check_limits,
    estimate_pipeline_bytes,
)
from workbench.core.losses import mse_loss, softmax, softmax_cross_entropy
from workbench.core.optim import SGD, Adam
from workbench.core.pipeline import (
    POOL_KINDS,
    SCHEMA_VERSION,
    Filter,
    Layer,
    LayerResult,
    Pipeline,
    PipelineError,
    PipelineResult,
    Pool,
    StageTimes,
    default_pipeline,
    divisors,
    expected_input_channels,
    from_json,
    pipeline_from_dict,
    pipeline_to_dict,
    preset_filter,
    run_pipeline,
    to_json,
)
from workbench.core.pooling import (
    avg_pool1d,
    avg_pool2d,
    global_avg_pool2d,
    global_max_pool2d,
    max_pool1d,
    max_pool2d,
    min_pool2d,
)
from workbench.core.presets import PRESETS, Preset, get_preset
from workbench.core.receptive import (
    ReceptiveField,
    Window,
    field_path,
    map_shapes,
    receptive_field,
)
from workbench.core.shapes import conv_output_size, pool_output_size
from workbench.core.sliding import (
    SlidePlan,
    SlideStep,
    frequency_response,
    plan_slide,
    sliding_steps,
)
from workbench.core.train import DenseHead, Trainer, TrainStep, train
from workbench.core.warmup import warmup

__all__ = [
    "SGD", "Adam", "DenseHead", "TrainStep", "Trainer", "activation_backward",
    "avg_pool1d_backward", "avg_pool2d_backward", "conv1d_backward", "conv2d_backward",
    "global_avg_pool2d_backward", "global_max_pool2d_backward", "max_pool1d_backward",
    "max_pool2d_backward", "min_pool2d_backward", "mse_loss", "softmax",
    "softmax_cross_entropy", "train", "SlideStep", "SlidePlan", "frequency_response",
    "plan_slide", "sliding_steps",
    "ACTIVATIONS", "PADDING_MODES", "POOL_KINDS", "PRESETS", "SCHEMA_VERSION", "BufferPool",
    "Explanation", "Filter", "Layer", "LayerGeometry", "LayerResult", "Lease", "Pipeline",
    "PipelineError", "PipelineResult", "Pool", "Preset", "ReceptiveField", "StageTimes", "Term",
    "Window", "activate", "avg_pool1d", "avg_pool2d", "channels_first_to_last",
    "channels_last_to_first", "conv1d", "conv2d", "conv_output_size", "default_pipeline",
    "divisors", "expected_input_channels", "explain", "explain_result", "field_path",
    "from_json", "get_preset",
    "global_avg_pool2d", "global_max_pool2d", "image_to_chw", "layer_geometry", "layer_inputs",
    "leaky_relu", "map_shapes", "max_pool1d", "max_pool2d", "min_pool2d", "pipeline_from_dict",
    "pipeline_to_dict", "pool_output_size", "preset_filter", "receptive_field", "relu",
    "run_pipeline", "sigmoid", "tanh", "to_json", "warmup", "weights_from_keras",
    "weights_to_keras", "LimitError", "MAX_FILTERS_PER_LAYER", "MAX_KERNEL_SIDE", "MAX_LAYERS",
    "MAX_PADDING", "MAX_PIPELINE_BYTES", "check_limits", "estimate_pipeline_bytes",
]
