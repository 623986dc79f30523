"""Fit the main window to the screen it opens on.

The first window asks for a comfortable size but never more than the screen's available
area (task bars and docks excluded); a geometry restored from another, larger screen is
shrunk and moved back onto this one, so no title bar or panel opens out of reach.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

SCREEN_MARGIN = 0.96  # of the available area a first window may take at most


def first_window_size(wanted: QSize, available: QRect) -> QSize:
    """Return the first window's size: ``wanted``, shrunk to fit ``available``.

    Parameters
    ----------
    wanted : QSize
        The size the window would like.
    available : QRect
        The screen's available geometry.

    Returns
    -------
    QSize
        At most ``SCREEN_MARGIN`` of the available width and height.
    """
    return QSize(min(wanted.width(), int(available.width() * SCREEN_MARGIN)),
                 min(wanted.height(), int(available.height() * SCREEN_MARGIN)))


def clamp_to_screen(frame: QRect, available: QRect) -> QRect:
    """Return ``frame`` moved and shrunk so that it lies wholly inside ``available``.

    Parameters
    ----------
    frame : QRect
        A window's geometry, e.g. restored from the settings of another screen.
    available : QRect
        The screen's available geometry.

    Returns
    -------
    QRect
        The same rectangle where it already fits; otherwise the nearest one that does.
    """
    width = min(frame.width(), available.width())
    height = min(frame.height(), available.height())
    left = min(max(frame.left(), available.left()), available.right() - width + 1)
    top = min(max(frame.top(), available.top()), available.bottom() - height + 1)
    return QRect(QPoint(left, top), QSize(width, height))


def screen_area_for(window: QWidget) -> QRect | None:
    """Return the available geometry of the screen ``window`` is on (or the primary one).

    Returns None on the offscreen platform, whose 800x600 "screen" is no screen at all:
    screenshots and tests there keep the size they ask for.

    Parameters
    ----------
    window : QWidget
        A top-level window.

    Returns
    -------
    QRect or None
        The area, or None when there is no real screen.
    """
    if QGuiApplication.platformName() in ("offscreen", "minimal"):
        return None
    screen = QGuiApplication.screenAt(window.geometry().center()) or window.screen()
    if screen is None:
        screen = QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else None


def fit_window(window: QWidget, available: QRect | None, restored: bool) -> None:
    """Size a first window to the screen, or pull a restored one back onto it.

    Parameters
    ----------
    window : QWidget
        The top-level window, already resized (first start) or with its geometry restored.
    available : QRect or None
        The screen's available geometry; None leaves the window as it is.
    restored : bool
        Whether the geometry came from the settings (then it is clamped, not re-centred).
    """
    if available is None or window.windowState() & Qt.WindowState.WindowMaximized:
        return
    if restored:
        frame = window.frameGeometry()
        inner = window.geometry()
        # The frame (title bar, borders) must fit; the client area follows it.
        extra = QSize(frame.width() - inner.width(), frame.height() - inner.height())
        fitted = clamp_to_screen(frame, available)
        window.resize(fitted.size() - extra)
        window.move(fitted.topLeft())
        return
    size = first_window_size(window.size(), available)
    window.resize(size)
    centre = available.center()
    window.move(centre.x() - size.width() // 2, centre.y() - size.height() // 2)
