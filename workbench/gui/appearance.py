"""Light and dark appearance: the application palette, and the colours of banners and notes.

View > Appearance offers "system" (follow the desktop's colour scheme, and change with it),
"light" and "dark". The platform's own style and palette are kept whenever they already match
the wanted scheme; otherwise the window switches to Qt's Fusion style with a palette of ours
(Fusion is the one built-in style that draws every widget from the palette).

Widgets never hard-code a colour that must change with the scheme: banners and message strips
are styled by the application style sheet built here (by object name and a ``kind`` property),
and rich-text notes take their colours from :func:`tones`. Feature maps keep their dark view
background in both schemes, so their colours and colour bars read the same in either.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QApplication,
    QProxyStyle,
    QStyle,
    QStyleFactory,
    QStyleOption,
    QWidget,
)

# Setting key -> menu title, in menu order.
APPEARANCES: dict[str, str] = {
    "system": "Follow the &system",
    "light": "&Light",
    "dark": "&Dark",
}
APPEARANCE_TIPS: dict[str, str] = {
    "system": "Light or dark as the desktop is, and change when it does",
    "light": "Dark text on a light window",
    "dark": "Light text on a dark window",
}
DEFAULT_APPEARANCE = "system"
# The frame drawn around check boxes and radio buttons in the dark appearance.
INDICATOR_FRAME = "#8d949e"
INDICATOR_FRAME_DISABLED = "#555a62"


@dataclass(frozen=True)
class Tones:
    """Colours (``#rrggbb``) for text and strips that must read on the current palette.

    ``banners`` maps a message kind ("error", "warning", "info", "tutorial") to its
    (background, text, border) colours.
    """

    muted: str
    faint: str
    error: str
    warning: str
    note: str
    panel: str
    panel_border: str
    pad_cell: str
    banners: dict[str, tuple[str, str, str]]


LIGHT_TONES = Tones(
    muted="#5f6670", faint="#8a8f98", error="#b71c1c", warning="#955a00", note="#9a6700",
    panel="#f7f8fa", panel_border="#dde1e6", pad_cell="#eceef1",
    banners={"error": ("#fdecea", "#b71c1c", "#f5c2c0"),
             "warning": ("#fff8e1", "#6d4c00", "#ffe082"),
             "info": ("#e8f0fe", "#174ea6", "#c6dafc"),
             "tutorial": ("#e8f1fb", "#1b2a3a", "#b6d0ee")})
DARK_TONES = Tones(
    muted="#a9b0ba", faint="#8d949e", error="#ff8a80", warning="#ffb74d", note="#ffd54f",
    panel="#25282d", panel_border="#3a3f46", pad_cell="#34383f",
    banners={"error": ("#3b1f1f", "#ffb4ab", "#6b3030"),
             "warning": ("#3a3120", "#ffe08a", "#6b5a2a"),
             "info": ("#1d2a3d", "#a8c7fa", "#34507a"),
             "tutorial": ("#1c2836", "#d6e4f5", "#35506e")})

# (role, active colour, disabled colour or None): a neutral dark grey scheme with readable
# contrast (text on base ~ 13:1, disabled text ~ 4:1) and a blue highlight.
_DARK_ROLES: tuple[tuple[QPalette.ColorRole, str, str | None], ...] = (
    (QPalette.ColorRole.Window, "#2b2d31", None),
    (QPalette.ColorRole.WindowText, "#e6e8eb", "#7c828a"),
    (QPalette.ColorRole.Base, "#1f2124", "#26282c"),
    (QPalette.ColorRole.AlternateBase, "#292c30", None),
    (QPalette.ColorRole.ToolTipBase, "#33363b", None),
    (QPalette.ColorRole.ToolTipText, "#e6e8eb", None),
    (QPalette.ColorRole.PlaceholderText, "#9097a0", None),
    (QPalette.ColorRole.Text, "#e6e8eb", "#7c828a"),
    (QPalette.ColorRole.Button, "#363a40", "#2f3236"),
    (QPalette.ColorRole.ButtonText, "#e6e8eb", "#7c828a"),
    (QPalette.ColorRole.BrightText, "#ff6e6e", None),
    (QPalette.ColorRole.Light, "#4a4f56", None),
    (QPalette.ColorRole.Midlight, "#3f434a", None),
    (QPalette.ColorRole.Mid, "#2f3237", None),
    (QPalette.ColorRole.Dark, "#1a1c1f", None),
    (QPalette.ColorRole.Shadow, "#0d0e10", None),
    (QPalette.ColorRole.Highlight, "#3874d8", "#3a3f46"),
    (QPalette.ColorRole.HighlightedText, "#ffffff", "#a0a6ae"),
    (QPalette.ColorRole.Link, "#7ab4ff", None),
    (QPalette.ColorRole.LinkVisited, "#c49cff", None),
)


def dark_palette() -> QPalette:
    """Return the dark palette used when the platform offers none.

    Returns
    -------
    QPalette
        Every colour role set for the active, inactive and disabled groups.
    """
    palette = QPalette()
    for role, colour, disabled in _DARK_ROLES:
        palette.setColor(role, QColor(colour))
        if disabled is not None:
            palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(disabled))
    return palette


def is_dark(palette: QPalette) -> bool:
    """Tell whether a palette draws light text on a dark window.

    Parameters
    ----------
    palette : QPalette
        Any palette.

    Returns
    -------
    bool
        True when the window colour is darker than its text.
    """
    window = palette.color(QPalette.ColorRole.Window).lightness()
    text = palette.color(QPalette.ColorRole.WindowText).lightness()
    return window < text


def tones(widget: QWidget | None = None) -> Tones:
    """Return the note and banner colours that read on ``widget``'s (or the app's) palette.

    Parameters
    ----------
    widget : QWidget, optional
        Whose palette decides; the application's when omitted.

    Returns
    -------
    Tones
        :data:`DARK_TONES` on a dark palette, else :data:`LIGHT_TONES`.
    """
    palette = widget.palette() if widget is not None else QGuiApplication.palette()
    return DARK_TONES if is_dark(palette) else LIGHT_TONES


def resolve_appearance(key: str, scheme: Qt.ColorScheme) -> str:
    """Return "light" or "dark": what an appearance setting means under a system scheme.

    Parameters
    ----------
    key : str
        A key of :data:`APPEARANCES`.
    scheme : Qt.ColorScheme
        The desktop's colour scheme (``Unknown`` counts as light).

    Returns
    -------
    str
        ``"light"`` or ``"dark"``.

    Raises
    ------
    ValueError
        If ``key`` is unknown.
    """
    if key not in APPEARANCES:
        raise ValueError(f"appearance must be one of {tuple(APPEARANCES)}, got {key!r}")
    if key != "system":
        return key
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def style_sheet(t: Tones) -> str:
    """Return the application style sheet for banners, strips and error notes.

    Parameters
    ----------
    t : Tones
        The colours.

    Returns
    -------
    str
        A Qt style sheet.
    """
    rules = []
    for kind, (background, text, border) in t.banners.items():
        rules.append(f'#messageBar[kind="{kind}"] {{ background: {background}; '
                     f"border: 1px solid {border}; border-radius: 3px; }} "
                     f'#messageBar[kind="{kind}"] QLabel {{ color: {text}; }}')
    error_bg, error_text, error_border = t.banners["error"]
    tutorial_bg, tutorial_text, tutorial_border = t.banners["tutorial"]
    rules += [
        f"#tutorialBanner {{ background: {tutorial_bg}; border: 1px solid {tutorial_border}; "
        f"border-radius: 3px; }} #tutorialBanner QLabel {{ color: {tutorial_text}; }}",
        f"QLabel#computeError, QLabel#exportError {{ background: {error_bg}; "
        f"color: {error_text}; border: 1px solid {error_border}; border-radius: 3px; "
        f"padding: 4px 8px; }}",
        f"QLabel#patchInspector {{ background: {t.panel}; border: 1px solid "
        f"{t.panel_border}; border-radius: 3px; padding: 6px; }}",
        f'QLabel[tone="error"] {{ color: {t.error}; }}',
        f'QAbstractButton[tone="error"] {{ color: {t.error}; font-weight: 600; }}',
    ]
    return "\n".join(rules)


def set_kind(widget: QWidget, name: str, value: str) -> None:
    """Set a style property (``kind``, ``tone``) and restyle the widget at once.

    Parameters
    ----------
    widget : QWidget
        The widget.
    name : str
        Property name used by :func:`style_sheet`.
    value : str
        Its value ("" clears the style).
    """
    if widget.property(name) == value:
        return
    widget.setProperty(name, value)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    for child in widget.findChildren(QWidget):
        style.unpolish(child)
        style.polish(child)


class OutlinedIndicatorStyle(QProxyStyle):
    """Fusion with a visible frame around check boxes and radio buttons on dark palettes.

    Fusion outlines an indicator in a darker shade of the window colour, which vanishes on
    a dark window: an unchecked filter in the bank would show no box at all.
    """

    _FRAMED = (QStyle.PrimitiveElement.PE_IndicatorCheckBox,
               QStyle.PrimitiveElement.PE_IndicatorItemViewItemCheck)

    def drawPrimitive(self, element: QStyle.PrimitiveElement,  # noqa: N802 (Qt override)
                      option: QStyleOption, painter: QPainter,
                      widget: QWidget | None = None) -> None:
        """Draw as Fusion does, then frame check boxes and radio buttons."""
        super().drawPrimitive(element, option, painter, widget)
        radio = element == QStyle.PrimitiveElement.PE_IndicatorRadioButton
        if element not in self._FRAMED and not radio:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        enabled = bool(option.state & QStyle.StateFlag.State_Enabled)
        painter.setPen(QPen(QColor(INDICATOR_FRAME if enabled else INDICATOR_FRAME_DISABLED),
                            1.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        rect = QRectF(option.rect).adjusted(0.5, 0.5, -0.5, -0.5)
        if radio:
            painter.drawEllipse(rect)
        else:
            painter.drawRoundedRect(rect, 2.0, 2.0)
        painter.restore()


class AppearanceController(QObject):
    """Owns the application's look: applies an appearance and follows the desktop's scheme.

    The platform's style name and palette are remembered when the controller is created,
    so "light" on a light desktop (or "dark" on a dark one) gives back exactly the native
    look.

    Parameters
    ----------
    app : QApplication
        The application.
    key : str, optional
        A key of :data:`APPEARANCES` to apply at once.
    """

    def __init__(self, app: QApplication, key: str = DEFAULT_APPEARANCE) -> None:
        super().__init__(app)
        self._app = app
        self._native_style = app.style().name()
        self._native_palette = QPalette(app.palette())
        self.key = DEFAULT_APPEARANCE
        self.resolved = ""
        app.styleHints().colorSchemeChanged.connect(self._on_scheme_changed)
        self.apply(key)

    @property
    def dark(self) -> bool:
        """Whether the window is drawn dark now."""
        return self.resolved == "dark"

    def apply(self, key: str, scheme: Qt.ColorScheme | None = None) -> None:
        """Draw the application in the appearance ``key``.

        Parameters
        ----------
        key : str
            A key of :data:`APPEARANCES`.
        scheme : Qt.ColorScheme, optional
            The desktop's scheme; read from the style hints when omitted.

        Raises
        ------
        ValueError
            If ``key`` is unknown.
        """
        if scheme is None:
            scheme = self._app.styleHints().colorScheme()
        resolved = resolve_appearance(key, scheme)
        self.key = key
        if resolved == self.resolved:
            return
        self.resolved = resolved
        want_dark = resolved == "dark"
        if is_dark(self._native_palette) == want_dark:
            self._set_style(self._native_style)
            palette = QPalette(self._native_palette)
        else:
            fusion = self._set_style("Fusion", outlined=want_dark)
            palette = dark_palette() if want_dark else fusion
        self._app.setPalette(palette)
        self._app.setStyleSheet(style_sheet(DARK_TONES if want_dark else LIGHT_TONES))

    def _set_style(self, name: str, outlined: bool = False) -> QPalette:
        current = self._app.style()
        if (current.name().lower() != name.lower()
                or isinstance(current, OutlinedIndicatorStyle) != outlined):
            style = QStyleFactory.create(name)
            if style is not None:
                self._app.setStyle(OutlinedIndicatorStyle(style) if outlined else style)
        return self._app.style().standardPalette()

    def _on_scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        if self.key == "system":
            self.apply("system", scheme)


def appearance_controller(app: QApplication, key: str = DEFAULT_APPEARANCE
                          ) -> AppearanceController:
    """Return the application's one :class:`AppearanceController`, showing ``key``.

    Parameters
    ----------
    app : QApplication
        The application.
    key : str, optional
        A key of :data:`APPEARANCES`; an unknown key falls back to the default.

    Returns
    -------
    AppearanceController
        Created on the first call; later windows share it.
    """
    if key not in APPEARANCES:
        key = DEFAULT_APPEARANCE
    controller = app.findChild(AppearanceController)
    if controller is None:
        return AppearanceController(app, key)
    controller.apply(key)
    return controller
