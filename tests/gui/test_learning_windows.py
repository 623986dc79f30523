"""The Learn menu: the kernel detective and the small-CNN trainer in the window."""

import numpy as np
import pytest

from workbench.core import get_preset
from workbench.gui.actions import file_prompts

TRAIN_TIMEOUT_MS = 60_000


@pytest.fixture(autouse=True)
def discard_on_close(monkeypatch):
    monkeypatch.setattr(file_prompts, "ask_save_changes",
                        lambda parent, name: file_prompts.DISCARD)


def _menu_action(window, text):
    for menu_action in window.menuBar().actions():
        for action in menu_action.menu().actions():
            if action.text().replace("&", "") == text:
                return action
    raise AssertionError(f"no menu action {text!r}")


def test_learn_a_kernel_finds_hidden_sobel_x(open_window, qtbot):
    window = open_window(image="sample:camera")
    _menu_action(window, "Learn a kernel…").trigger()
    detective = window.learning.detective
    assert detective is not None and detective.isVisible()
    assert detective.hidden_combo.currentData() == "sobel_x"
    qtbot.waitUntil(lambda: detective._snapshot is not None, timeout=TRAIN_TIMEOUT_MS)
    # the hidden kernel is concealed, the learned one starts at zero
    assert detective.hidden_table.text_at(0, 0) == "?"
    assert detective.learned_table.text_at(1, 1) == "0.0000"
    detective.rate_spin.setValue(0)  # as fast as possible
    detective.train_button.click()
    assert detective.train_button.text() == "&Pause"
    qtbot.waitUntil(lambda: detective._snapshot.weight_error is not None
                    and detective._snapshot.weight_error < 1e-4, timeout=TRAIN_TIMEOUT_MS)
    snap = detective._snapshot
    np.testing.assert_allclose(snap.weight, get_preset("sobel_x").kernel, atol=1e-4)
    # found: the hidden kernel is revealed and the grid reads -1 0 1 / -2 0 2 / -1 0 1
    assert detective.hidden_table.text_at(1, 0) == "-2.0000"
    assert detective.learned_table.text_at(1, 2) in ("2.0000", "1.9999", "2.0001")
    assert "found it" in detective.status.text()
    assert snap.losses[-1] < snap.losses[0]
    detective.train_button.click()
    qtbot.waitUntil(lambda: detective.train_button.text() == "&Train")
    before = len(window.session.pipeline.layers[0].filters)
    detective.use_button.click()
    filters = window.session.pipeline.layers[0].filters
    assert len(filters) == before + 1
    assert filters[-1].name.startswith("learned (Sobel x")
    window.session.undo()
    assert len(window.session.pipeline.layers[0].filters) == before
    window.close()
    assert not detective.isVisible()


def test_detective_applies_a_typed_weight_and_a_new_rate(open_window, qtbot):
    window = open_window(image="sample:camera")
    detective = window.learning.show_detective()
    qtbot.waitUntil(lambda: detective._snapshot is not None, timeout=TRAIN_TIMEOUT_MS)
    detective.learned_table.item(0, 0).setText("3.5")
    qtbot.waitUntil(lambda: detective._snapshot.weight[0, 0] == pytest.approx(3.5),
                    timeout=TRAIN_TIMEOUT_MS)
    assert detective._snapshot.step == 0  # an edit is not a step
    adam = detective.optimizer_combo.findData("adam")
    detective.optimizer_combo.setCurrentIndex(adam)
    detective._optimizer_changed(adam)
    detective.lr_spin.setValue(0.2)
    detective.step_button.click()
    qtbot.waitUntil(lambda: detective._snapshot.step == 1, timeout=TRAIN_TIMEOUT_MS)
    assert detective._snapshot.lr == pytest.approx(0.2)
    # Adam moves every weight by about the learning rate on its first step
    assert detective._snapshot.weight[0, 0] == pytest.approx(3.3, abs=1e-3)
    detective.reset_button.click()
    qtbot.waitUntil(lambda: detective._snapshot.step == 0
                    and detective._snapshot.weight[0, 0] == 0.0, timeout=TRAIN_TIMEOUT_MS)
    window.close()


def test_detective_reports_a_problem_in_the_window(open_window, qtbot):
    window = open_window(image="sample:camera")
    detective = window.learning.show_detective()
    qtbot.waitUntil(lambda: detective._snapshot is not None, timeout=TRAIN_TIMEOUT_MS)
    detective.lr_spin.setValue(10.0)
    sgd = detective.optimizer_combo.findData("sgd")
    detective.optimizer_combo.setCurrentIndex(sgd)  # SGD: lr 10 diverges
    detective._optimizer_changed(sgd)
    detective.rate_spin.setValue(0)
    detective.train_button.click()
    qtbot.waitUntil(lambda: detective.status.text().startswith("Stopped:"),
                    timeout=TRAIN_TIMEOUT_MS)
    assert "lower the learning rate" in detective.status.text()
    assert detective.train_button.text() == "&Train"
    window.close()


def test_train_a_small_cnn_and_use_its_filters(open_window, qtbot):
    window = open_window(image="sample:camera")
    _menu_action(window, "Train a small CNN…").trigger()
    cnn = window.learning.cnn
    cnn.dataset_combo.setCurrentIndex(cnn.dataset_combo.findData("bars"))
    cnn.epochs_spin.setValue(2)
    cnn.filters_spin.setValue(4)
    cnn.reset()
    qtbot.waitUntil(lambda: cnn._snapshot is not None and cnn._snapshot.epochs == 2
                    and cnn._snapshot.first_filters.shape[0] == 4, timeout=TRAIN_TIMEOUT_MS)
    cnn.train_button.click()
    qtbot.waitUntil(lambda: cnn._snapshot.done, timeout=TRAIN_TIMEOUT_MS)
    snap = cnn._snapshot
    assert snap.test_accuracy.size == 2 and snap.test_accuracy[-1] > 0.8
    assert cnn.confusion.rowCount() == 6
    total = sum(int(cnn.confusion.item(r, c).text()) for r in range(6) for c in range(6))
    assert total == int(snap.confusion.sum())
    assert "done" in cnn.status.text()
    cnn.use_button.click()
    qtbot.waitUntil(lambda: window.session.pipeline.layers[0].filters[0].name
                    == "learned L1 #1", timeout=TRAIN_TIMEOUT_MS)
    pipeline = window.session.pipeline
    assert len(pipeline.layers) == 2 and len(pipeline.layers[0].filters) == 4
    np.testing.assert_array_equal(pipeline.layers[0].filters[0].weight,
                                  snap.first_filters[0])
    qtbot.waitUntil(lambda: window.session.result_is_current and not window.compute.busy,
                    timeout=TRAIN_TIMEOUT_MS)
    assert len(window.session.result.result.layers) == 2
    window.close()
