"""The window fits the screen it opens on: first start and a geometry from a larger screen."""

import pytest
from PySide6.QtCore import QRect, QSize

from workbench.gui.window_geometry import clamp_to_screen, first_window_size

LAPTOP = QRect(0, 0, 1366, 768)  # a 1366x768 screen with no task bar
SMALL = QRect(0, 32, 1280, 688)  # 1280x720 with a 32 px top panel


def test_the_first_window_never_exceeds_the_available_area():
    assert first_window_size(QSize(1500, 950), LAPTOP) == QSize(1311, 737)
    assert first_window_size(QSize(1500, 950), QRect(0, 0, 2560, 1440)) == QSize(1500, 950)
    assert first_window_size(QSize(1500, 950), SMALL) == QSize(1228, 660)


@pytest.mark.parametrize(("frame", "expected"), [
    (QRect(2000, 100, 1500, 950), QRect(0, 32, 1280, 688)),  # from a big second screen
    (QRect(-300, -50, 800, 600), QRect(0, 32, 800, 600)),  # off the top left
    (QRect(700, 400, 800, 600), QRect(480, 120, 800, 600)),  # hanging off the bottom right
    (QRect(100, 100, 800, 500), QRect(100, 100, 800, 500)),  # already fits: untouched
])
def test_a_restored_geometry_is_moved_and_shrunk_onto_the_screen(frame, expected):
    fitted = clamp_to_screen(frame, SMALL)
    assert fitted == expected
    assert SMALL.contains(fitted)


def test_the_window_fits_a_1366x768_screen_on_first_start_and_after_a_big_screen(
        open_window):
    window = open_window()
    assert window.size() == QSize(1500, 950)  # offscreen: no real screen, no fitting
    window.fit_to_screen(LAPTOP)
    assert window.width() <= 1366 and window.height() <= 768
    assert LAPTOP.contains(window.frameGeometry())
    window.resize(1900, 1200)
    window.move(1500, 900)
    window.fit_to_screen(LAPTOP, restored=True)
    assert LAPTOP.contains(window.frameGeometry())
    # Every panel is still there and reachable: the kernel grid and the parameters.
    assert window.editor.grid.isVisible() and window.params.isVisible()
    assert window.editor.grid.width() > 100 and window.main_splitter.sizes()[2] > 150


def test_every_panel_fits_a_1280x720_window(open_window, settle):
    window = open_window()
    window.resize(1280, 720)
    settle(window)
    assert window.minimumSizeHint().width() <= 1280
    assert window.width() == 1280
    params = window.main_splitter.widget(2)
    # The parameter column gets at least the width its widgets need (none clipped).
    assert params.width() >= params.minimumSizeHint().width()
    assert params.geometry().right() <= window.main_splitter.width()
