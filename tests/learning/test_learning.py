"""Data sets, the kernel detective, the small CNN and ``conv-workbench train``."""

import csv

import numpy as np
import pytest

from workbench.cli import main
from workbench.core import get_preset
from workbench.core.image import image_to_chw
from workbench.core.train import Trainer
from workbench.io.bank import load_bank
from workbench.io.images import limit_size, read_image
from workbench.learning import (
    CnnSpec,
    bars_and_edges,
    detective_problem,
    digits,
    evaluate,
    initial_network,
    learned_bank,
)
from workbench.learning.runs import CnnRun, DetectiveRun
from workbench.resources import sample_path


def _photo(side=128):
    return image_to_chw(limit_size(read_image(sample_path("camera")), side), "gray")


def test_bars_and_edges_are_deterministic_and_stratified():
    a = bars_and_edges(120, 16, seed=4)
    b = bars_and_edges(120, 16, seed=4)
    np.testing.assert_array_equal(a.train_x, b.train_x)
    assert a.train_x.shape[1:] == (1, 16, 16) and a.train_x.dtype == np.float32
    assert len(a.train_x) + len(a.test_x) == 120
    assert set(a.test_y) == set(range(6)) and set(a.train_y) == set(range(6))
    assert 0.0 <= a.train_x.min() and a.train_x.max() <= 1.0
    # a vertical bar is brighter along a column than along a row
    vertical = a.train_x[a.train_y == 1][:, 0]
    assert np.mean(vertical.mean(axis=1).std(axis=1)) > np.mean(vertical.mean(axis=2).std(axis=1))


def test_digits_come_from_scikit_learn_upsampled():
    pytest.importorskip("sklearn")
    data = digits(16)
    assert data.train_x.shape[1:] == (1, 16, 16)
    assert len(data.train_x) + len(data.test_x) == 1797
    assert data.classes == tuple("0123456789")
    assert 0.0 <= data.train_x.min() and data.train_x.max() <= 1.0


def test_detective_recovers_sobel_x_on_a_photo():
    problem = detective_problem(_photo(), "sobel_x")
    run = DetectiveRun(problem)
    for _ in range(600):
        run.step()
    snap = run.snapshot()
    assert snap.weight_error < 1e-4
    np.testing.assert_allclose(snap.weight, get_preset("sobel_x").kernel, atol=1e-4)
    assert snap.losses[-1] < snap.losses[0] * 1e-8
    assert snap.learned_map.shape == snap.target_map.shape == (126, 126)


def test_detective_learns_towards_a_target_image():
    image = _photo(64)
    target = image[0] - np.roll(image[0], 1, axis=1)  # a horizontal-difference picture
    problem = detective_problem(image, target_image=target, kernel_size=(3, 3))
    assert problem.hidden is None and problem.target.shape == (1, 1, 64, 64)
    run = DetectiveRun(problem)
    for _ in range(300):
        run.step()
    snap = run.snapshot()
    assert snap.weight_error is None
    # the target is (but for its wrapped first column) a linear filter of the input
    assert snap.losses[-1] < 0.1 * snap.losses[0]
    assert snap.weight[1, 1] > 0 > snap.weight[1, 0]


def test_weight_edits_reach_the_next_step():
    problem = detective_problem(_photo(32), "vertical_line")
    run = DetectiveRun(problem, "sgd", 0.01)
    hidden = get_preset("vertical_line").kernel
    for r in range(3):
        for c in range(3):
            run.set_weight(r, c, float(hidden[r, c]))
    run.step()
    assert run.snapshot().losses[-1] == pytest.approx(0.0, abs=1e-12)


def test_small_cnn_learns_bars_and_edges():
    data = bars_and_edges(1200, 16, seed=0)
    run = CnnRun(data, CnnSpec(filters1=6, filters2=8, epochs=3, batch_size=32, lr=0.01))
    while not run.done:
        run.step()
    snap = run.snapshot()
    assert snap.test_accuracy.size == 3
    assert snap.test_accuracy[-1] > 0.9
    assert snap.confusion.sum() == len(data.test_y)
    assert snap.first_filters.shape == (6, 1, 3, 3)
    assert snap.test_accuracy[-1] > snap.test_accuracy[0]
    bank = learned_bank(run.pipeline)
    assert bank.layers[0].filters[0].name == "learned L1 #1"


@pytest.mark.slow
def test_digits_cnn_reaches_95_percent():
    pytest.importorskip("sklearn")
    data = digits(16)
    spec = CnnSpec()
    pipeline, head = initial_network(spec, 16, data.classes)
    trainer = Trainer(pipeline, data.train_x, data.train_y, loss="cross_entropy", head=head,
                      lr=spec.lr, batch_size=spec.batch_size, seed=spec.seed)
    for _ in range(spec.epochs * max(1, len(data.train_x) // spec.batch_size)):
        trainer.step()
    result = evaluate(trainer, data.test_x, data.test_y)
    assert result.accuracy >= 0.95


def test_train_command_detective_writes_bank_and_log(tmp_path, capsys):
    out, log = tmp_path / "bank.json", tmp_path / "loss.csv"
    rc = main(["train", "detective", "--hidden", "sobel_y", "--max-side", "96",
               "--steps", "500", "--out", str(out), "--log", str(log), "--quiet"])
    assert rc == 0
    learned = load_bank(out).layers[0].filters[0].weight[0]
    np.testing.assert_allclose(learned, get_preset("sobel_y").kernel, atol=1e-3)
    rows = list(csv.reader(log.open()))
    assert rows[0] == ["step", "loss", "max_weight_error"] and len(rows) == 501
    assert float(rows[-1][1]) < float(rows[1][1])
    assert "largest difference from the hidden kernel" in capsys.readouterr().out
    assert main(["train", "detective", "--steps", "1", "--out", str(out)]) == 2  # exists


def test_train_command_cnn_on_bars(tmp_path):
    out, log = tmp_path / "cnn.json", tmp_path / "cnn.csv"
    rc = main(["train", "cnn", "--dataset", "bars", "--epochs", "1", "--filters", "4",
               "--filters2", "0", "--out", str(out), "--log", str(log), "--quiet"])
    assert rc == 0
    bank = load_bank(out)
    assert len(bank.layers) == 1 and len(bank.layers[0].filters) == 4
    rows = list(csv.reader(log.open()))
    assert rows[0][-1] == "test_accuracy" and rows[-1][-1] != ""


def test_train_command_usage_errors(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "cnn", "--lr", "-1"])
    assert exc.value.code == 2
    assert main(["train", "detective", "--image", "/nonexistent.png", "--steps", "1"]) == 1
    assert "nonexistent" in capsys.readouterr().err
