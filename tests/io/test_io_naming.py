from __future__ import annotations

import pytest

from workbench.io.naming import (
    BUNDLE_FIELDS,
    DEFAULT_PATTERN,
    check_pattern,
    format_name,
    sanitize_name,
    unique_names,
)


@pytest.mark.parametrize(("name", "expected"), [
    ("Sobel x", "Sobel_x"),
    ("Diagonal \\", "Diagonal"),
    ("a/b\\c:d*e?f\"g<h>i|j", "a_b_c_d_e_f_g_h_i_j"),
    ("../../etc/passwd", "etc_passwd"),
    (".hidden", "hidden"),
    ("trailing dot.", "trailing_dot"),
    ("tab\tnew\nline", "tab_new_line"),
    ("Gabor 7x7", "Gabor_7x7"),
    ("Kanten-Filter ä", "Kanten-Filter_ä"),
    ("NUL", "NUL_"),
    ("com1.txt", "com1.txt_"),
    ("", "unnamed"),
    ("...", "unnamed"),
])
def test_sanitize_name(name: str, expected: str) -> None:
    assert sanitize_name(name) == expected


def test_sanitize_name_limits_utf8_bytes_without_splitting_characters() -> None:
    out = sanitize_name("é" * 100, max_bytes=15)
    assert out == "é" * 7
    assert len(out.encode()) <= 15


def test_unique_names_are_case_insensitively_distinct() -> None:
    assert unique_names(["Sobel x", "SOBEL X", "Sobel_x", "a"]) == [
        "Sobel_x", "SOBEL_X_2", "Sobel_x_3", "a"]


def test_check_pattern_lists_every_unknown_placeholder() -> None:
    with pytest.raises(ValueError) as info:
        check_pattern("{source}_{lyer}_{filtr}_{stage}.{ext}")
    message = str(info.value)
    assert "{lyer}" in message and "{filtr}" in message
    assert "available: {source}, {layer}, {filter}, {index}, {stage}, {ext}" in message


@pytest.mark.parametrize("pattern", ["{}.png", "{0}.png", "{source.name}.png", "{source!r}"])
def test_positional_attribute_and_conversion_placeholders_are_unknown(pattern: str) -> None:
    with pytest.raises(ValueError, match="unknown placeholder"):
        check_pattern(pattern)


@pytest.mark.parametrize("pattern", ["{source}/{filter}.{ext}", "..\\{source}.{ext}",
                                     "{source}:{ext}"])
def test_pattern_cannot_name_folders_or_bad_characters(pattern: str) -> None:
    with pytest.raises(ValueError, match="not allowed in file names"):
        check_pattern(pattern)


def test_malformed_and_empty_patterns() -> None:
    with pytest.raises(ValueError, match="malformed"):
        check_pattern("{source")
    with pytest.raises(ValueError, match="empty"):
        check_pattern("  ")


def test_bundle_pattern_only_knows_source_stage_ext() -> None:
    assert check_pattern("{source}-{stage}.{ext}", BUNDLE_FIELDS) == ("source", "stage", "ext")
    with pytest.raises(ValueError, match=r"\{filter\}"):
        check_pattern("{source}_{filter}.{ext}", BUNDLE_FIELDS)


def test_format_name_default_pattern_and_specs() -> None:
    values = {"source": "cat", "layer": "L2", "filter": "Sobel_x", "index": 3,
              "stage": "pooled", "ext": "tif"}
    assert format_name(DEFAULT_PATTERN, values) == "cat_L2_Sobel_x_pooled.tif"
    assert format_name("{source}_{index:03d}.{ext}", values) == "cat_003.tif"
    with pytest.raises(ValueError, match="file name pattern"):
        format_name("{source:03d}.{ext}", values)
    with pytest.raises(ValueError, match="unusable name"):
        format_name(".{ext}", values)
