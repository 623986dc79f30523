"""The safe arithmetic reader behind kernel cells: numbers, + - * / and parentheses only."""

import pytest

from workbench.core.arithmetic import evaluate_arithmetic
from workbench.core.kernel_ops import parse_kernel_text, parse_value


@pytest.mark.parametrize(("text", "value"), [
    ("1/9", 1 / 9), ("-2*0.5", -1.0), ("(1+2)/3", 1.0), (".5", 0.5), ("1e-3", 1e-3),
    ("  -(-3) ", 3.0), ("+4", 4.0), ("1/4 + 1/4", 0.5), ("2e1*3", 60.0), ("-1/-2", 0.5),
])
def test_numbers_and_simple_arithmetic(text, value):
    assert evaluate_arithmetic(text) == pytest.approx(value, rel=1e-15)
    assert parse_value(text) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize(("text", "reason"), [
    ("__import__('os').system('true')", "is not a number"),
    ("x", "is not a number"),
    ("pi", "is not a number"),
    ("abs(-1)", "is not a number"),
    ("2**3", "is not a number"),
    ("7//2", "is not a number"),
    ("7%2", "is not a number"),
    ("(1).real", "is not a number"),
    ("True", "is not a number"),
    ("1j", "is not a number"),
    ("'1'", "is not a number"),
    ("[1]", "is not a number"),
    ("1 if 1 else 2", "is not a number"),
    ("1/0", "divides by zero"),
    ("1/(2-2)", "divides by zero"),
    ("1e999", "is not a finite number"),
    ("1e308*1e308", "is not a finite number"),
    ("9" * 400, "too long"),
    ("-" * 150 + "1", "nested too deeply"),
    ("1/", "is not a number"),
    ("", "is not a number"),
])
def test_anything_else_is_refused_with_a_reason(text, reason):
    with pytest.raises(ValueError, match=reason):
        evaluate_arithmetic(text)
    with pytest.raises(ValueError):
        parse_value(text)


def test_too_large_for_float32_is_refused():
    with pytest.raises(ValueError, match="too large for a float32"):
        parse_value("1e20*1e20")


def test_pasted_rows_of_fractions():
    block = parse_kernel_text("1/9, 2/9, -1/9\n(1+2)/3 .5 1e-3")
    assert block.shape == (2, 3)
    assert block[0, 0] == pytest.approx(1 / 9) and block[0, 2] == pytest.approx(-1 / 9)
    assert block[1].tolist() == pytest.approx([1.0, 0.5, 1e-3])
