"""Smoke test of the benchmark: tiny images, one run; checks the table, not the timings."""

import re

import pytest

from workbench.bench import compare as bench

pytest.importorskip("cv2")
pytest.importorskip("scipy")

NUMBER = r"\d+\.\d+"
RATIO = r"\d+\.\d+(e-\d+)?"


def _table_rows(text):
    rows = {}
    for line in text.splitlines():
        match = re.match(r"^([A-G])\s{2}", line)
        if match:
            rows.setdefault(match.group(1), []).append(line)
    return rows


def test_quick_bench_prints_every_workload_with_numeric_ratios(capsys):
    assert bench.main(["--quick", "--repeat", "1", "--only", "A,B,C,D,E,G"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^cores: \d+", out, re.MULTILINE)
    assert re.search(r"threading layer \w+", out)
    rows = _table_rows(out)
    assert sorted(rows) == ["A", "B", "C", "D", "E", "G"]
    for key in "ABCDG":
        libraries = " ".join(rows[key])
        assert "ours (numba)" in libraries
        assert "cv2.filter2D" in libraries
        assert "scipy.ndimage.correlate" in libraries
    assert "+ slicing" in " ".join(rows["G"])
    assert any("max pool" in line for line in rows["E"])
    assert any("avg pool" in line for line in rows["E"])
    assert any("cv2.resize INTER_AREA" in line for line in rows["E"])
    for lines in rows.values():
        for line in lines:
            fields = line.split()
            assert re.fullmatch(NUMBER, fields[-3]), line  # median ms
            assert re.fullmatch(NUMBER, fields[-2]), line  # min ms
            assert fields[-4] == "1", line  # runs
            if "ours (numba)" in line:
                assert fields[-1] == "-"
            else:
                assert re.fullmatch(RATIO, fields[-1]), line
                assert float(fields[-1]) > 0


def test_run_workloads_ratio_is_ours_over_theirs():
    libs = bench.Libraries.load()
    rows = bench.run_workloads(["C"], repeat=1, quick=True, libs=libs)
    ours = rows[0]
    assert ours.library == bench.OURS and ours.ratio is None
    assert len(rows) >= 3
    for row in rows[1:]:
        assert row.key == "C" and row.runs == 1
        assert row.ratio == pytest.approx(ours.median_ms / row.median_ms)


def test_torch_rows_present_when_installed(capsys):
    pytest.importorskip("torch")
    bench.main(["--quick", "--repeat", "1", "--only", "a,e"])
    out = capsys.readouterr().out
    assert "torch conv2d" in out
    assert "torch max_pool2d" in out and "torch avg_pool2d" in out


def test_tiny_ratios_stay_visible():
    assert bench._format_ratio(None) == "-"
    assert bench._format_ratio(0.47) == "0.47"
    assert bench._format_ratio(0.004) == "4.0e-03"


def test_dilated_kernel_spreads_taps():
    import numpy as np

    k = np.arange(1, 10, dtype=np.float32).reshape(1, 1, 3, 3)
    spread = bench._dilated(k, 2)
    assert spread.shape == (1, 1, 5, 5)
    assert spread[0, 0, ::2, ::2].tolist() == k[0, 0].tolist()
    assert spread[0, 0, 1::2].sum() == 0 and spread[0, 0, :, 1::2].sum() == 0


@pytest.mark.parametrize("argv", [["--only", "Z"], ["--repeat", "0"], ["--only", ","]])
def test_bad_arguments_exit_with_usage_error(argv):
    with pytest.raises(SystemExit) as excinfo:
        bench.main(argv)
    assert excinfo.value.code == 2


@pytest.mark.slow
def test_startup_times_are_measured_in_fresh_processes():
    times = bench.startup_times()
    assert set(times) == {"cold_import", "cold_compile", "warm_import", "warm_first_call"}
    assert all(v > 0 for v in times.values())
    # The second process loads the kernels from the cache the first one wrote.
    assert times["warm_first_call"] < times["cold_compile"]
    text = bench.format_startup(times)
    assert text.count("\n") == 1 and "cold" in text and "warm" in text


def test_live_is_dispatched_by_the_cli_to_the_gui_benchmark(monkeypatch):
    from workbench import cli
    from workbench.gui.live import bench as bench_live

    seen = []
    monkeypatch.setattr(bench_live, "main", lambda argv: seen.append(list(argv)) or 0)
    assert cli.main(["bench", "--live", "--seconds", "1"]) == 0
    assert seen == [["--seconds", "1"]]
    with pytest.raises(SystemExit) as excinfo:
        bench.main(["--live"])
    assert excinfo.value.code == 2


def test_the_benchmark_package_is_qt_free():
    import subprocess
    import sys

    code = ("import sys, workbench.bench.compare, workbench.batch, workbench.tutorials; "
            "print(any(m.startswith(('PySide6', 'pyqtgraph', 'workbench.gui')) "
            "for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
