"""Output-size arithmetic shared by the kernels, the pipeline and the GUI."""

from __future__ import annotations


def _check_sizes(n: int, kernel: int, stride: int, padding: int, dilation: int) -> None:
    for name, value, minimum in (
        ("n", n, 1),
        ("kernel", kernel, 1),
        ("stride", stride, 1),
        ("padding", padding, 0),
        ("dilation", dilation, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            kind = "positive" if minimum == 1 else "non-negative"
            raise ValueError(f"{name} must be a {kind} integer, got {value!r}")


def _window_count(padded: int, kernel: int, stride: int, dilation: int,
                  ceil_mode: bool = False) -> int:
    # The one output-size formula: windows of a dilated kernel over a padded length.
    reach = padded - dilation * (kernel - 1) - 1
    return (reach + (stride - 1 if ceil_mode else 0)) // stride + 1


def conv_output_size(n: int, kernel: int, stride: int = 1, padding: int | tuple[int, int] = 0,
                     dilation: int = 1) -> int:
    """Length of a convolution output along one axis.

    ``floor((n + 2*padding - dilation*(kernel-1) - 1) / stride) + 1``, as in
    ``torch.nn.Conv2d`` (with a ``(before, after)`` pair, ``before + after`` replaces
    ``2*padding``). The result may be zero or negative when the kernel does not
    fit; callers turn that into an error naming the parameters.

    Parameters
    ----------
    n : int
        Input length.
    kernel : int
        Kernel length.
    stride : int, optional
        Step between windows.
    padding : int or tuple of int, optional
        Zeros added on each side, or ``(before, after)`` (``"same"`` padding of an even
        kernel is asymmetric).
    dilation : int, optional
        Spacing between kernel taps.

    Returns
    -------
    int
        Output length.

    Raises
    ------
    ValueError
        If an argument is not an integer in its range.

    Examples
    --------
    >>> conv_output_size(480, 3, padding=1)
    480
    >>> conv_output_size(6, 3, stride=3)
    2
    >>> conv_output_size(5, 2, padding=(0, 1))
    5
    """
    before, after = (padding, padding) if not isinstance(padding, tuple) else padding
    _check_sizes(n, kernel, stride, before, dilation)
    _check_sizes(n, kernel, stride, after, dilation)
    return _window_count(n + before + after, kernel, stride, dilation)


def pool_output_size(n: int, kernel: int, stride: int, padding: int = 0, dilation: int = 1,
                     ceil_mode: bool = False) -> int:
    """Length of a pooling output along one axis, with PyTorch's ``ceil_mode`` rule.

    With ``ceil_mode`` the division rounds up, but a last window that would start in
    the right padding is dropped.

    Parameters
    ----------
    n : int
        Input length.
    kernel : int
        Window length.
    stride : int
        Step between windows.
    padding : int, optional
        Implicit padding on each side.
    dilation : int, optional
        Spacing between window taps.
    ceil_mode : bool, optional
        Round the window count up instead of down.

    Returns
    -------
    int
        Output length.

    Raises
    ------
    ValueError
        If an argument is not an integer in its range.

    Examples
    --------
    >>> pool_output_size(5, 2, 2)
    2
    >>> pool_output_size(5, 2, 2, ceil_mode=True)
    3
    """
    _check_sizes(n, kernel, stride, padding, dilation)
    out = _window_count(n + 2 * padding, kernel, stride, dilation, ceil_mode)
    if ceil_mode and (out - 1) * stride >= n + padding:
        out -= 1
    return out


def formula_text(axis: str, n: int, kernel: int, stride: int, padding: int, dilation: int,
                 result: int, *, ceil_mode: bool = False, extra_padding: int = 0) -> str:
    """Human-readable form of the output-size formula, as shown in the GUI.

    Parameters
    ----------
    axis : str
        Label such as ``"H_out"``.
    n, kernel, stride, padding, dilation : int
        The arithmetic's inputs.
    result : int
        The computed size.
    ceil_mode : bool, optional
        Show ``ceil`` instead of ``floor``.
    extra_padding : int, optional
        Extra padding on the far side (PyTorch's ``"same"`` with an even kernel).

    Returns
    -------
    str
        For example ``H_out = floor((480 + 2*1 - 1*(3-1) - 1) / 1) + 1 = 480``. When
        ``ceil_mode`` drops a last window that would start in the padding, the text says so:
        ``H_pool = ceil((5 + 2*1 - 1*(2-1) - 1) / 2) + 1 - 1 = 3 (...)``.
    """
    rounding = "ceil" if ceil_mode else "floor"
    pad = f"2*{padding}" if not extra_padding else f"2*{padding} + {extra_padding}"
    text = f"{axis} = {rounding}(({n} + {pad} - {dilation}*({kernel}-1) - 1) / {stride}) + 1"
    span = n + 2 * padding + extra_padding - dilation * (kernel - 1) - 1
    if ceil_mode and -(-span // stride) + 1 == result + 1:
        return f"{text} - 1 = {result} (the last window would start in the padding)"
    return f"{text} = {result}"
