"""Safe reading of typed arithmetic (``1/9``, ``-2*0.5``, ``(1+2)/3``): numbers only, never eval."""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable

MAX_EXPRESSION_LENGTH = 200
_MAX_DEPTH = 32
OPERATOR_HINT = "use numbers with + - * / and parentheses, e.g. 1/9 or (1+2)/3"
_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def evaluate_arithmetic(text: str) -> float:
    """Evaluate a number or a small arithmetic expression typed by a user.

    Only numeric literals, unary ``+``/``-``, the binary operators ``+ - * /`` and parentheses
    are allowed; names, calls, attributes, ``**``, ``%``, ``//`` and everything else are
    refused. The expression is parsed with :mod:`ast` and walked here; nothing is executed.

    Parameters
    ----------
    text : str
        E.g. ``"1/9"``, ``"-2*0.5"``, ``"(1+2)/3"``, ``".5"``, ``"1e-3"``.

    Returns
    -------
    float
        The finite value.

    Raises
    ------
    ValueError
        With a message saying why: ``"'2**3' is not a number — use numbers with + - * / ..."``,
        ``"'1/0' divides by zero"``, ``"'1e999' is not a finite number"``.

    Examples
    --------
    >>> evaluate_arithmetic("(1+2)/3")
    1.0
    >>> evaluate_arithmetic("-2*0.5")
    -1.0
    """
    source = text.strip()
    if not source:
        raise ValueError("'' is not a number")
    if len(source) > MAX_EXPRESSION_LENGTH:
        raise ValueError(f"{source[:20]!r}... is too long for a number "
                         f"(at most {MAX_EXPRESSION_LENGTH} characters)")
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise ValueError(f"{source!r} is not a number — {OPERATOR_HINT}") from None
    try:
        value = _walk(tree.body, source, 0)
    except ZeroDivisionError:
        raise ValueError(f"{source!r} divides by zero") from None
    except OverflowError:
        raise ValueError(f"{source!r} is not a finite number") from None
    if not math.isfinite(value):
        raise ValueError(f"{source!r} is not a finite number")
    return value


def _walk(node: ast.AST, source: str, depth: int) -> float:
    if depth > _MAX_DEPTH:
        raise ValueError(f"{source!r} is nested too deeply")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ValueError(f"{source!r} is not a number — {OPERATOR_HINT}")
        value = float(node.value)  # an int literal is short (length limit): no huge ints
        if not math.isfinite(value):
            raise ValueError(f"{source!r} is not a finite number")
        return value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        operand = _walk(node.operand, source, depth + 1)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left = _walk(node.left, source, depth + 1)
        right = _walk(node.right, source, depth + 1)
        value = float(_BINARY[type(node.op)](left, right))
        if not math.isfinite(value):
            raise ValueError(f"{source!r} is not a finite number")
        return value
    raise ValueError(f"{source!r} is not a number — {OPERATOR_HINT}")
