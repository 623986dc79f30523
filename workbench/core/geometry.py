"""Shape arithmetic of a layer, with the formulas the GUI shows next to the parameters."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.arrays import IntPair
from workbench.core.conv import resolve_padding
from workbench.core.pipeline import Layer
from workbench.core.shapes import conv_output_size, formula_text, pool_output_size


@dataclass(frozen=True)
class LayerGeometry:
    """Output sizes of one layer for one kernel size, and the formulas behind them."""

    conv_size: IntPair
    pool_size: IntPair
    conv_formulas: tuple[str, str]
    pool_formulas: tuple[str, ...]
    error: str | None = None


def layer_geometry(layer: Layer, height: int, width: int,
                   kernel: IntPair | None = None) -> LayerGeometry:
    """Compute conv and pool output sizes of ``layer`` on an ``height x width`` input.

    Never raises for an impossible combination: ``error`` says why instead, so the GUI
    can show the reason in place.

    Parameters
    ----------
    layer : Layer
        The layer (its first enabled filter's kernel size is used unless ``kernel``).
    height, width : int
        Input size.
    kernel : tuple of int, optional
        Kernel size to use.

    Returns
    -------
    LayerGeometry
        Sizes (0 where impossible), formula strings and an error message or None.

    Examples
    --------
    >>> from workbench.core.pipeline import default_pipeline
    >>> layer_geometry(default_pipeline().layers[0], 480, 640).conv_size
    (478, 638)
    """
    filters = layer.enabled_filters or layer.filters
    if kernel is None:
        kernel = filters[0].kernel_size if filters else (1, 1)
    kh, kw = kernel
    sy, sx = layer.stride
    dy, dx = layer.dilation
    try:
        top, bottom, left, right = resolve_padding(layer.padding, kernel, layer.stride,
                                                   layer.dilation)
    except ValueError as exc:
        return LayerGeometry((0, 0), (0, 0), ("", ""), (), str(exc))
    h_out = conv_output_size(height, kh, sy, (top, bottom), dy)
    w_out = conv_output_size(width, kw, sx, (left, right), dx)
    conv_formulas = (
        formula_text("H_out", height, kh, sy, top, dy, h_out, extra_padding=bottom - top),
        formula_text("W_out", width, kw, sx, left, dx, w_out, extra_padding=right - left))
    if h_out < 1 or w_out < 1:
        return LayerGeometry((h_out, w_out), (0, 0), conv_formulas, (),
                             f"the dilated kernel {dy * (kh - 1) + 1}x{dx * (kw - 1) + 1} does "
                             f"not fit in the padded {height}x{width} input")
    pool = layer.pool
    if pool.kind == "none":
        return LayerGeometry((h_out, w_out), (h_out, w_out), conv_formulas, ())
    if pool.kind.startswith("global"):
        return LayerGeometry((h_out, w_out), (1, 1), conv_formulas,
                             ("global pooling: one value per map -> 1 x 1",))
    (ph, pw), (ps_h, ps_w), (pp_h, pp_w) = pool.size, pool.effective_stride, pool.padding
    if pp_h > ph // 2 or pp_w > pw // 2:
        return LayerGeometry((h_out, w_out), (0, 0), conv_formulas, (),
                             f"pool padding {pool.padding} must be at most half the pool size "
                             f"{pool.size}")
    p_h = pool_output_size(h_out, ph, ps_h, pp_h, 1, pool.ceil_mode)
    p_w = pool_output_size(w_out, pw, ps_w, pp_w, 1, pool.ceil_mode)
    pool_formulas = (
        formula_text("H_pool", h_out, ph, ps_h, pp_h, 1, p_h, ceil_mode=pool.ceil_mode),
        formula_text("W_pool", w_out, pw, ps_w, pp_w, 1, p_w, ceil_mode=pool.ceil_mode))
    error = None
    if p_h < 1 or p_w < 1:
        error = f"the pool window {pool.size} is larger than the {h_out}x{w_out} feature map"
    return LayerGeometry((h_out, w_out), (p_h, p_w), conv_formulas, pool_formulas, error)
