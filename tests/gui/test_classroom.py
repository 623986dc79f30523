"""Predict-then-reveal in the window, and the worksheet export."""

import re
from dataclasses import replace

import numpy as np

from workbench.gui.views.map_views import CellKey


def classroom(open_window, settle, example="keras_conv2d"):
    window = open_window()
    window.raw_data.open_example(example)
    settle(window)
    window.open_classroom()
    return window, window.classroom


def ask(bar, y, x):
    bar.pick_y.setValue(y)
    bar.pick_x.setValue(x)
    bar.ask_chosen_cell()


def test_the_maps_hide_until_the_answer_is_right(open_window, settle):
    window, bar = classroom(open_window, settle)
    views = window.views
    assert bar.isVisible() and views.maps_hidden
    assert views.maps_stack.currentWidget() is views.hidden_note
    ask(bar, 0, 2)
    assert bar.question.answer == 3.0 and "row 0, column 2" in bar.question_label.text()
    bar.answer.setText("2")
    bar.check_button.click()
    assert "2 is too low" in bar.verdict.text() and views.maps_hidden
    assert "3" not in bar.verdict.text()  # the answer is not given away
    bar.answer.setText("6/2")
    bar.check_button.click()
    assert bar.verdict.text() == "Right: 3" and not views.maps_hidden
    # Revealed and explained: the inspector holds the value's arithmetic.
    assert views.pinned and views.inspector.explanation.value == 3.0
    assert (views.inspector.explanation.y, views.inspector.explanation.x) == (0, 2)


def test_reveal_shows_the_answer_and_a_new_question_hides_again(open_window, settle):
    window, bar = classroom(open_window, settle)
    ask(bar, 3, 0)
    bar.reveal_button.click()
    assert bar.verdict.text() == "The answer is 0." and not window.views.maps_hidden
    bar.new_question_button = bar.new_button
    bar.new_button.click()
    q = bar.question
    assert window.views.maps_hidden and q.kind == "value"
    expected = window.session.result.result.layers[0].activated[0][q.y, q.x]
    assert q.answer == float(expected)
    bar.close_bar()
    assert not window.views.maps_hidden and bar.isHidden()


def test_a_size_question_hides_every_size_on_screen(open_window, settle):
    window, bar = classroom(open_window, settle)
    bar.kind.setCurrentIndex(bar.kind.findData("shape"))
    assert bar.question.kind == "shape" and bar.question.answer == (6, 6)
    assert not window.params.geometry_label.isVisibleTo(window)
    assert not window.layers.shapes.isVisibleTo(window)
    bar.answer.setText("6 x 6")
    bar.answer.returnPressed.emit()
    assert bar.verdict.text().startswith("Right")
    assert window.params.geometry_label.isVisibleTo(window)


def test_pooled_questions_on_a_pooling_example(open_window, settle):
    window, bar = classroom(open_window, settle, "max_pool")
    bar.stage.setCurrentIndex(bar.stage.findData("pooled"))
    ask(bar, 0, 1)
    assert bar.question.stage == "pooled" and bar.question.answer == 8.0
    bar.answer.setText("8")
    bar.check()
    assert window.views.pinned
    assert window.views._hovered == (CellKey("pooled", 0), 0, 1)


def test_the_step_through_closes_so_it_cannot_give_the_answer_away(open_window, settle):
    window = open_window()
    window.raw_data.open_example("keras_conv2d")
    settle(window)
    window.open_step_through()
    window.open_classroom()
    assert window.step_player.isHidden() and window.views.maps_hidden
    assert "Step" not in window.views.inspector.text()


def test_worksheet_pdf_has_two_pages_and_png_has_an_answer_file(open_window, settle, tmp_path):
    window, bar = classroom(open_window, settle)
    pdf = tmp_path / "sheet.pdf"
    assert window.export_worksheet(pdf)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and re.search(rb"/Count 2\b", data)
    png = tmp_path / "sheet.png"
    assert window.export_worksheet(png)
    answers = tmp_path / "sheet-answers.png"
    assert png.exists() and answers.exists()
    from PySide6.QtGui import QImage
    blank, key = QImage(str(png)), QImage(str(answers))
    assert blank.size() == key.size() and blank.width() > 1000
    # The output grids (the lower half of the page) are blank on the sheet and filled in
    # on the answer key: the 36 output values.
    def ink(image):
        bits = image.convertToFormat(QImage.Format.Format_Grayscale8)
        array = np.frombuffer(bits.constBits(), np.uint8).reshape(bits.height(),
                                                                  bits.bytesPerLine())
        return int((array[array.shape[0] // 2:] < 128).sum())
    assert ink(key) > ink(blank) + 400
    assert not window.export_worksheet(tmp_path / "sheet.txt")
    assert "worksheet is a .pdf or .png" in window.message_bar.text


def test_a_16x16_worksheet_stays_on_its_page(tmp_path):
    from PySide6.QtGui import QImage

    from workbench.core import Filter, Layer, Pipeline, Pool, run_pipeline
    from workbench.gui.actions.worksheet import Worksheet, write_worksheet
    image = np.random.default_rng(0).integers(0, 9, (16, 16)).astype(np.float32)
    layer = Layer((Filter("k", np.ones((3, 3), np.float32)),), padding=(1, 1),
                  pool=Pool("max", (2, 2)))
    result = run_pipeline(image[None], Pipeline("gray", (layer,)))
    sheet = Worksheet("16x16", image, np.ones((3, 3), np.float32), 0.0, layer,
                      result.layers[0].activated[0], result.layers[0].pooled[0])
    written = write_worksheet(sheet, tmp_path / "big.png")
    key = QImage(str(written[1])).convertToFormat(QImage.Format.Format_Grayscale8)
    pixels = np.frombuffer(key.constBits(), np.uint8).reshape(key.height(), key.bytesPerLine())
    margin = int(key.width() * 0.06)
    # Nothing is drawn in the bottom margin, and the lower part of the page has the grids.
    assert (pixels[-margin + 2:] < 128).sum() == 0
    assert (pixels[key.height() // 2:-margin] < 128).sum() > 5000


def test_nothing_on_screen_gives_the_answer_away(open_window, settle):
    window, bar = classroom(open_window, settle)
    assert window.tutorial_banner.isHidden()  # it quotes the printed output
    window.open_step_through()
    assert window.step_player.isHidden() and "step-through would show" in \
        window.message_bar.text
    bar.kind.setCurrentIndex(bar.kind.findData("shape"))
    assert not bar.pick_y.isEnabled() and not bar.pick_x.isEnabled()  # their ranges = size
    bar.close_bar()
    assert window.tutorial_banner.isVisible()


def test_a_changed_example_asks_a_new_question(open_window, settle):
    window, bar = classroom(open_window, settle)
    ask(bar, 0, 2)
    window.session.edit(lambda p: replace(p, layers=(replace(
        p.layers[0], filters=(replace(p.layers[0].filters[0],
                                      weight=2 * p.layers[0].filters[0].weight),)),)))
    settle(window)
    q = bar.question
    assert "new question" in bar.verdict.text()
    expected = window.session.result.result.layers[0].activated[0][q.y, q.x]
    assert q.answer == float(expected)
    assert bar.question.check(str(float(expected))).correct


def test_a_1d_question_keeps_the_input_plots(open_window, settle):
    window, bar = classroom(open_window, settle, "k3")
    views = window.views
    assert views.one_d and views.maps_stack.currentWidget() is views.signal_scroll
    rows = views.signal_view._rows
    assert all(row.plot.isVisible() == (key.stage == "input") for key, row in rows.items())
    bar.reveal()
    assert all(row.plot.isVisible() for row in rows.values())
