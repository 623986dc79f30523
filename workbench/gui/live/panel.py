"""The live-input controls: source, camera options, playback, freeze and recording.

A view of a :class:`~workbench.gui.live.controller.LiveController`: the widgets call its
methods and follow its signals. Choosing a source in the combo starts it at once; Stop and
Start stop it and start it again (e.g. to reconnect an unplugged camera). The actions in
:attr:`LivePanel.actions` are the same commands for the window's menus.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.actions import file_prompts
from workbench.gui.appearance import set_kind
from workbench.gui.live.controller import LiveController, LiveState, LiveStats
from workbench.gui.live.recording import RECORD_KINDS, RecordTarget
from workbench.gui.qt_actions import make_action
from workbench.gui.settings import LiveChoices, save_record_folder
from workbench.sources import (
    COMMON_RESOLUTIONS,
    DEFAULT_RESOLUTION,
    CameraSource,
    Frame,
    FrameSource,
    Size,
    SourceError,
    VideoFileSource,
    list_cameras,
    probe_resolutions,
)
from workbench.sources.recorder import recording_format

STILL, CAMERA, VIDEO, SYNTHETIC = "still", "camera", "video", "synthetic"
SOURCE_KINDS: dict[str, str] = {
    STILL: "Still image",
    CAMERA: "Camera",
    VIDEO: "Video file",
    SYNTHETIC: "Synthetic pattern",
}
"""Source kind -> combo title, in combo order."""
VIDEO_SUFFIXES: tuple[str, ...] = (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg",
                                   ".mpeg", ".wmv", ".flv", ".ogv", ".mjpeg", ".gif")
"""Suffixes offered by the open dialog and played when a file is dropped on the window."""
VIDEO_FILTERS = f"Videos ({' '.join('*' + s for s in VIDEO_SUFFIXES)});;All files (*)"
RECORD_FILTERS = "MP4 video (*.mp4)"
"""Filter for H.264 MP4 recordings; the dialog uses the probed ``recording_format()``."""
VIDEO_NAME_WIDTH = 260
_CAMERA_NUMBER = re.compile(r"\s*(\d+)")


def format_time(seconds: float) -> str:
    """Format a position in a video as ``m:ss.cc``.

    Parameters
    ----------
    seconds : float
        Non-negative seconds.

    Returns
    -------
    str
        E.g. ``"1:02.50"``.

    Examples
    --------
    >>> format_time(62.5)
    '1:02.50'
    """
    minutes, rest = divmod(max(seconds, 0.0), 60.0)
    return f"{int(minutes)}:{rest:05.2f}"


class LivePanel(QWidget):
    """Controls of the live input, in two rows (the second only while streaming).

    Parameters
    ----------
    controller : LiveController
        What the controls drive.
    parent : QWidget, optional
        Qt parent.
    """

    sigStillRequested = Signal()  # the user chose "Still image": show the still input again
    sigMessage = Signal(str, str)  # text, kind ("error", "warning", "info")

    def __init__(self, controller: LiveController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("livePanel")
        self.controller = controller
        self.video_path: Path | None = None
        self.record_folder: Path | None = None
        self.cameras_listed = False
        self._kind = STILL
        self._map_keys: list[tuple[str, int]] = []

        self._build_widgets()
        self._build_actions()
        self._build_layout()

        controller.sigStateChanged.connect(self._on_state_changed)
        controller.sigSourceChanged.connect(self._on_source_changed)
        controller.sigFrame.connect(self._on_frame)
        controller.sigStats.connect(self._on_stats)
        controller.sigRecordingChanged.connect(self._on_recording_changed)
        controller.sigError.connect(lambda text: self.sigMessage.emit(text, "error"))
        controller.sigInfo.connect(lambda text: self.sigMessage.emit(text, "info"))
        self._on_state_changed(controller.state)
        self._on_recording_changed(None)
        self._show_kind_widgets()

    # ---------------------------------------------------------------- widgets

    def _build_widgets(self) -> None:
        self.source_combo = QComboBox()
        for key, title in SOURCE_KINDS.items():
            self.source_combo.addItem(title, key)
        self.source_combo.setToolTip("Where the input comes from. Choosing a camera, video or "
                                     "the pattern starts it.")
        self.source_combo.activated.connect(self._on_source_chosen)

        self.camera_combo = QComboBox()
        self.camera_combo.setEditable(True)
        self.camera_combo.setMinimumContentsLength(14)
        self.camera_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.camera_combo.setToolTip("Camera device. The list shows the cameras that opened "
                                     "when probed; type a number or a path such as "
                                     "/dev/video0 for another device.")
        line = self.camera_combo.lineEdit()
        if line is not None:
            line.setPlaceholderText("device number or path")
        # Enter keeps the typed text as the choice instead of adding a list entry without a
        # device behind it.
        self.camera_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.camera_combo.activated.connect(self._on_camera_chosen)
        self.refresh_button = QToolButton()
        self.refresh_button.setText("⟳")
        self.refresh_button.setToolTip("Look for cameras again")
        self.refresh_button.clicked.connect(self.refresh_cameras)
        self.resolution_combo = QComboBox()
        self.resolution_combo.setToolTip("Resolution requested from the camera (it may deliver "
                                         "another one; the input title shows what arrives).")
        self._fill_resolutions(list(COMMON_RESOLUTIONS))
        self.resolution_combo.activated.connect(self._on_camera_chosen)
        self.mirror_check = QCheckBox("Mirror")
        self.mirror_check.setToolTip("Flip the camera image left-right (selfie view).")
        self.mirror_check.toggled.connect(self.controller.set_mirror)

        self.video_label = QLabel("no file")
        self.video_label.setObjectName("videoName")
        self.video_label.setMaximumWidth(VIDEO_NAME_WIDTH)
        self.video_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_video_button = QPushButton("Open…")
        self.open_video_button.setToolTip("Open a video file")
        self.open_video_button.clicked.connect(self.open_video_dialog)

        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("Start the chosen source, or stop the stream (the last "
                                     "frame stays).")
        self.start_button.clicked.connect(self._on_start_clicked)
        self.freeze_button = QPushButton("Freeze")
        self.freeze_button.setToolTip("Stop the stream and keep the frame on screen as the "
                                      "still input, to explore every parameter on it.")
        self.freeze_button.clicked.connect(self.controller.freeze)

        self.play_button = QPushButton("Pause")
        self.play_button.setToolTip("Pause or play the stream")
        self.play_button.clicked.connect(self.controller.toggle_pause)
        self.step_button = QPushButton("Step")
        self.step_button.setToolTip("Pause and show the next frame")
        self.step_button.clicked.connect(self.controller.step)
        self.loop_check = QCheckBox("Loop")
        self.loop_check.setToolTip("Play the video again from the start when it ends")
        self.loop_check.toggled.connect(self.controller.set_loop)
        self.seek_slider = QSlider(Qt.Orientation.Horizontal)
        self.seek_slider.setToolTip("Position in the video; drag to seek")
        self.seek_slider.setMinimumWidth(120)
        self.seek_slider.valueChanged.connect(self.controller.seek)
        self.position_label = QLabel()
        self.position_label.setObjectName("livePosition")
        self.position_label.setMinimumWidth(150)

        self.record_kind_combo = QComboBox()
        for key, title in RECORD_KINDS.items():
            self.record_kind_combo.addItem(title, key)
        self.record_kind_combo.setToolTip("What a recording shows; maps are drawn with the "
                                          "current colours.")
        self.record_kind_combo.currentIndexChanged.connect(self._update_record_widgets)
        self.record_map_combo = QComboBox()
        self.record_map_combo.setToolTip("The map recorded with 'One map' or 'Input + one map'")
        self.record_map_combo.setMinimumContentsLength(10)
        self.record_map_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.record_button = QPushButton("● Record…")
        self.record_button.setToolTip("Record the stream to an MP4 file; click again to stop "
                                      "and finish the file.")
        self.record_button.clicked.connect(self.toggle_recording)

        self.stats_label = QLabel()
        self.stats_label.setObjectName("liveStats")
        self.stats_label.setToolTip("Live input: frames per second read from the source and "
                                    "computed, median compute time per frame, and frames "
                                    "skipped because compute was busy (latency never grows).")
        self.stats_label.hide()

    def _action(self, text: str, slot: object, tip: str, shortcut: str | None = None
                ) -> QAction:
        return make_action(self, text, slot, shortcut or None, tip)  # type: ignore[arg-type]

    def _build_actions(self) -> None:
        self.open_video_action = self._action(
            "Open &video…", self.open_video_dialog,
            "Play a video file (any format FFmpeg reads) through the pipeline", "Ctrl+Shift+V")
        self.record_action = self._action(
            "&Record…", self.toggle_recording,
            "Record the stream (input, a map or all maps) to an MP4 file", "Ctrl+R")
        self.camera_action = self._action(
            "&Camera", lambda: self.choose_source(CAMERA), "Stream a camera")
        self.video_action = self._action(
            "&Video file…", self.open_video_dialog, "Play a video file")
        self.synthetic_action = self._action(
            "&Synthetic pattern", lambda: self.choose_source(SYNTHETIC),
            "Stream a moving test pattern (bars, a rotating line, a moving disk)")
        self.still_action = self._action(
            "Still &image", lambda: self.choose_source(STILL),
            "Stop the stream and go back to the still image")
        self.play_action = self._action(
            "&Play / pause", self.controller.toggle_pause, "Pause or play the stream")
        self.step_action = self._action(
            "S&tep one frame", self.controller.step, "Pause and show the next frame")
        self.freeze_action = self._action(
            "&Freeze frame", self.controller.freeze,
            "Keep the frame on screen as the still input and stop the stream", "Ctrl+Shift+F")
        self.stop_action = self._action("St&op stream", self.controller.stop,
                                        "Stop the stream; the last frame stays")
        self.actions_by_name: dict[str, QAction] = {
            "open_video": self.open_video_action, "record": self.record_action,
            "camera": self.camera_action, "video": self.video_action,
            "synthetic": self.synthetic_action, "still": self.still_action,
            "play": self.play_action, "step": self.step_action,
            "freeze": self.freeze_action, "stop": self.stop_action}

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.setSpacing(6)
        source_label = QLabel("Source")
        source_label.setBuddy(self.source_combo)
        top.addWidget(source_label)
        top.addWidget(self.source_combo)
        self.camera_box = QWidget()
        camera_layout = QHBoxLayout(self.camera_box)
        camera_layout.setContentsMargins(0, 0, 0, 0)
        camera_layout.setSpacing(4)
        camera_layout.addWidget(self.camera_combo)
        camera_layout.addWidget(self.refresh_button)
        camera_layout.addWidget(self.resolution_combo)
        camera_layout.addWidget(self.mirror_check)
        top.addWidget(self.camera_box)
        self.video_box = QWidget()
        video_layout = QHBoxLayout(self.video_box)
        video_layout.setContentsMargins(0, 0, 0, 0)
        video_layout.setSpacing(4)
        video_layout.addWidget(self.video_label)
        video_layout.addWidget(self.open_video_button)
        top.addWidget(self.video_box)
        top.addWidget(self.start_button)
        top.addWidget(self.freeze_button)
        top.addStretch(1)

        # Playback and recording only apply to a stream: this row shows while one runs.
        self.transport = QWidget()
        bottom = QHBoxLayout(self.transport)
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.setSpacing(6)
        bottom.addWidget(self.play_button)
        bottom.addWidget(self.step_button)
        bottom.addWidget(self.loop_check)
        bottom.addWidget(self.seek_slider, 1)
        bottom.addWidget(self.position_label)
        bottom.addStretch(0)  # takes the room of a hidden slider (cameras, the pattern)
        record_label = QLabel("Record")
        record_label.setBuddy(self.record_kind_combo)
        bottom.addSpacing(8)
        bottom.addWidget(record_label)
        bottom.addWidget(self.record_kind_combo)
        bottom.addWidget(self.record_map_combo)
        bottom.addWidget(self.record_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(3)
        layout.addLayout(top)
        layout.addWidget(self.transport)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    # ---------------------------------------------------------------- sources

    @property
    def kind(self) -> str:
        """The source kind chosen: a key of :data:`SOURCE_KINDS`."""
        return self._kind

    def _set_kind(self, kind: str) -> None:
        self._kind = kind
        self.source_combo.setCurrentIndex(self.source_combo.findData(kind))
        self._show_kind_widgets()

    def _show_kind_widgets(self) -> None:
        self.camera_box.setVisible(self._kind == CAMERA)
        self.video_box.setVisible(self._kind == VIDEO)
        self._update_buttons()

    def _on_source_chosen(self, row: int) -> None:
        self.choose_source(self.source_combo.itemData(row))

    def choose_source(self, kind: str) -> None:
        """Switch to a source kind and start it (a video asks for a file first).

        Parameters
        ----------
        kind : str
            A key of :data:`SOURCE_KINDS`.
        """
        if kind == STILL:
            self._set_kind(STILL)
            self.controller.stop()
            self.sigStillRequested.emit()
            return
        if kind == VIDEO and self.video_path is None:
            self._set_kind(self._kind)  # undo the combo change until a file is chosen
            self.open_video_dialog()
            return
        self._set_kind(kind)
        self.start()

    def start(self) -> None:
        """Start the chosen source (camera, video or pattern); a still image has nothing."""
        if self._kind == CAMERA:
            if not self.cameras_listed:
                self.refresh_cameras(report=False)
            device = self.camera_device()
            if device is None:
                self.sigMessage.emit(
                    "No camera found. Plug one in and press ⟳, or type a device number "
                    "or path.", "error")
                return
            self.controller.open_camera(device, self.resolution(), self.mirror_check.isChecked())
        elif self._kind == VIDEO and self.video_path is not None:
            self.controller.open_video(self.video_path)
        elif self._kind == SYNTHETIC:
            self.controller.open_synthetic()

    def show_still(self) -> None:
        """Show "Still image" as the source (the window opened an image); stops the stream."""
        self.controller.stop()
        self._set_kind(STILL)

    def _on_start_clicked(self) -> None:
        if self.controller.state is LiveState.IDLE:
            self.start()
        else:
            self.controller.stop()

    # ---------------------------------------------------------------- cameras

    def refresh_cameras(self, report: bool = True) -> None:
        """List the cameras that open and the resolutions of the first one.

        Probing opens each device, so a camera that is streaming here keeps its entry
        instead of being probed.

        Parameters
        ----------
        report : bool, optional
            Say so in a message when no camera is found.
        """
        running = self.controller.source
        busy = running.index if isinstance(running, CameraSource) \
            and isinstance(running.index, int) else None
        cameras = [(c.index, c.name) for c in list_cameras()]
        if busy is not None and busy not in [index for index, _ in cameras]:
            cameras.insert(0, (busy, running.name if isinstance(running, CameraSource) else ""))
        typed = self.camera_combo.currentText()
        self.camera_combo.clear()
        for index, name in cameras:
            self.camera_combo.addItem(f"{index}: {name}", index)
        typed_index = _CAMERA_NUMBER.match(typed)
        if typed_index is not None:  # keep the device chosen before (e.g. restored) if listed
            self.camera_combo.setCurrentIndex(
                max(self.camera_combo.findData(int(typed_index.group(1))), 0))
        self.cameras_listed = True
        if not cameras:
            self.camera_combo.setEditText(typed if _CAMERA_NUMBER.match(typed) else "")
            if report:
                self.sigMessage.emit("No camera found. Plug one in and press ⟳, or type a "
                                     "device number.", "warning")
            return
        first = cameras[0][0]
        if first != busy:
            try:
                sizes = probe_resolutions(first)
            except SourceError as exc:
                self.sigMessage.emit(str(exc), "warning")
                sizes = []
            self._fill_resolutions(sizes or list(COMMON_RESOLUTIONS))

    def _fill_resolutions(self, sizes: list[Size]) -> None:
        current = self.resolution() if self.resolution_combo.count() else DEFAULT_RESOLUTION
        self.resolution_combo.clear()
        for size in sizes:
            self.resolution_combo.addItem(str(size), size)
        row = self.resolution_combo.findText(str(current))
        if row < 0:
            row = self.resolution_combo.findText(str(DEFAULT_RESOLUTION))
        self.resolution_combo.setCurrentIndex(max(row, 0))

    def camera_index(self) -> int | None:
        """Return the camera number chosen: the listed entry, or the number typed.

        Returns
        -------
        int or None
            Device index, ``None`` if nothing is chosen or a device path was typed.
        """
        device = self.camera_device()
        return device if isinstance(device, int) else None

    def camera_device(self) -> int | str | None:
        """Return the camera chosen: the listed entry, the number or the device path typed.

        Returns
        -------
        int, str or None
            Device index, a path such as ``/dev/video0``, or ``None`` if the field is empty.
        """
        text = self.camera_combo.currentText()
        row = self.camera_combo.currentIndex()
        data = self.camera_combo.itemData(row) if row >= 0 else None
        if isinstance(data, int) and self.camera_combo.itemText(row) == text:
            return data
        match = _CAMERA_NUMBER.match(text)
        if match:
            return int(match.group(1))
        return text.strip() or None

    def resolution(self) -> Size:
        """Return the resolution chosen.

        Returns
        -------
        Size
            ``(width, height)``.
        """
        size = self.resolution_combo.currentData()
        return size if isinstance(size, Size) else DEFAULT_RESOLUTION

    def choices(self) -> LiveChoices:
        """Return the options chosen, to remember them for the next start.

        Returns
        -------
        LiveChoices
            Camera, resolution, mirror, loop, record kind, video file and the folder of
            the last recording.
        """
        width, height = self.resolution()
        return LiveChoices(self.camera_index(), (width, height),
                           self.mirror_check.isChecked(), self.loop_check.isChecked(),
                           str(self.record_kind_combo.currentData()),
                           "" if self.video_path is None else str(self.video_path),
                           "" if self.record_folder is None else str(self.record_folder))

    def restore_choices(self, choices: LiveChoices) -> None:
        """Show remembered options without starting anything.

        The video file becomes the one "Video file" plays if it still exists.

        Parameters
        ----------
        choices : LiveChoices
            From the settings.
        """
        if choices.camera_index is not None:
            self.camera_combo.setEditText(str(choices.camera_index))
        size = Size(*choices.resolution)
        if self.resolution_combo.findText(str(size)) < 0:
            self.resolution_combo.addItem(str(size), size)
        self.resolution_combo.setCurrentIndex(self.resolution_combo.findText(str(size)))
        self.mirror_check.setChecked(choices.mirror)
        self.loop_check.setChecked(choices.loop)
        self.record_kind_combo.setCurrentIndex(
            max(self.record_kind_combo.findData(choices.record_kind), 0))
        if choices.video_path and Path(choices.video_path).is_file():
            self._show_video_path(Path(choices.video_path))
        if choices.record_folder and Path(choices.record_folder).is_dir():
            self.record_folder = Path(choices.record_folder)

    def _on_camera_chosen(self, _row: int = 0) -> None:
        if self._kind == CAMERA and self.controller.state is not LiveState.IDLE:
            self.start()  # switch device or resolution now

    # ---------------------------------------------------------------- video

    def open_video_dialog(self) -> None:
        """Ask for a video file and play it."""
        folder = str(self.video_path.parent) if self.video_path is not None else ""
        path, _ = file_prompts.ask_open_path(self, "Open video", folder, VIDEO_FILTERS)
        if path:
            self.open_video(path)

    def open_video(self, path: str | Path) -> None:
        """Play a video file; if it cannot be read, a message says why and nothing changes.

        Parameters
        ----------
        path : str or pathlib.Path
            The file.
        """
        self.controller.open_video(path)

    # ---------------------------------------------------------------- recording

    def record_target(self) -> RecordTarget:
        """Return what the record controls ask for.

        Returns
        -------
        RecordTarget
            Kind, and the map chosen for map kinds.
        """
        kind = self.record_kind_combo.currentData()
        row = self.record_map_combo.currentIndex()
        stage, index = self._map_keys[row] if 0 <= row < len(self._map_keys) else ("conv", 0)
        return RecordTarget(kind, stage, index)

    def set_map_names(self, names: tuple[str, ...], pooled: bool) -> None:
        """List the maps the window shows, for choosing the one to record.

        Parameters
        ----------
        names : tuple of str
            Names of the enabled filters.
        pooled : bool
            Whether the layer pools (then the pooled maps are listed too).
        """
        keys = [("conv", i) for i in range(len(names))]
        if pooled:
            keys += [("pooled", i) for i in range(len(names))]
        titles = [names[i] if stage == "conv" else f"{names[i]} · pooled" for stage, i in keys]
        current = [self.record_map_combo.itemText(i)
                   for i in range(self.record_map_combo.count())]
        if keys == self._map_keys and titles == current:
            return
        chosen = self.record_map_combo.currentIndex()
        self._map_keys = keys
        self.record_map_combo.blockSignals(True)
        self.record_map_combo.clear()
        self.record_map_combo.addItems(titles)
        self.record_map_combo.setCurrentIndex(min(max(chosen, 0), len(titles) - 1))
        self.record_map_combo.blockSignals(False)

    def toggle_recording(self) -> None:
        """Stop the recording in progress, or ask for a file and start one."""
        if self.controller.recording is not None:
            self.controller.stop_recording()
            return
        if not self.controller.streaming:
            self.sigMessage.emit("Start a camera, video or the pattern before recording.",
                                 "warning")
            return
        target = self.record_target()
        folder = self.record_folder or (self.video_path.parent if self.video_path else None)
        stem = re.sub(r"[^\w.-]+", "-", Path(self.controller.source_title).stem).strip("-")
        fmt = recording_format()  # H.264 MP4 if this OpenCV build can, else WebM / AVI
        suggestion = f"{stem or 'stream'}-{target.kind.replace('_', '-')}{fmt.extension}"
        path_text, _ = file_prompts.ask_save_path(
            self, f"Record to video ({fmt.label})",
            str(folder / suggestion) if folder else suggestion,
            f"{fmt.name} video (*{fmt.extension})")
        if not path_text:
            return
        path = Path(path_text)
        if path.suffix.lower() in VIDEO_SUFFIXES:
            path = path.with_suffix(fmt.extension)
        elif path.suffix.lower() != fmt.extension:
            path = path.with_name(path.name + fmt.extension)
        overwrite = path.exists()
        if overwrite and not file_prompts.confirm_overwrite(self, [path]):
            return
        self.record_folder = path.parent
        self.controller.start_recording(path, target, overwrite=overwrite)

    def _update_record_widgets(self) -> None:
        recording = self.controller.recording is not None
        needs_map = self.record_kind_combo.currentData() in ("map", "input_and_map")
        self.record_kind_combo.setEnabled(not recording)
        self.record_map_combo.setVisible(needs_map)
        self.record_map_combo.setEnabled(not recording)

    def _on_recording_changed(self, path: Path | None) -> None:
        recording = path is not None
        self.record_button.setText("■ Stop recording" if recording else "● Record…")
        set_kind(self.record_button, "tone", "error" if recording else "")
        self.record_action.setText("Stop &recording" if recording else "&Record…")
        if path is not None:
            self.record_folder = path.parent
            save_record_folder(path.parent)  # now: after a crash the next start looks there
            self.record_button.setToolTip(f"Recording to {path}; click to stop and finish the "
                                          "file.")
        self._update_record_widgets()
        self._update_buttons()

    # ---------------------------------------------------------------- state

    def _update_buttons(self) -> None:
        state = self.controller.state
        idle = state is LiveState.IDLE
        streaming = self.controller.streaming
        finite = self.controller.seekable and self.controller.frame_count is not None
        self.start_button.setText("Start" if idle else "Stop")
        self.start_button.setEnabled(not idle or self._kind != STILL)
        self.freeze_button.setEnabled(streaming)
        self.freeze_action.setEnabled(streaming)
        self.stop_action.setEnabled(not idle)
        self.play_button.setText("Play" if state in (LiveState.PAUSED, LiveState.ENDED)
                                 else "Pause")
        for widget in (self.play_button, self.step_button, self.play_action, self.step_action):
            widget.setEnabled(streaming)
        self.loop_check.setVisible(finite)
        self.seek_slider.setVisible(finite)
        self.record_button.setEnabled(streaming or self.controller.recording is not None)
        self.record_action.setEnabled(self.record_button.isEnabled())
        self.transport.setVisible(streaming)

    def _on_state_changed(self, _state: LiveState) -> None:
        self._update_buttons()

    def _on_source_changed(self, source: FrameSource | None) -> None:
        if source is not None:
            if isinstance(source, CameraSource):
                self._set_kind(CAMERA)
            elif isinstance(source, VideoFileSource):
                self._show_video_path(source.path)
                self._set_kind(VIDEO)
            else:
                self._set_kind(SYNTHETIC)
            count = self.controller.frame_count
            self.seek_slider.blockSignals(True)
            self.seek_slider.setRange(0, max((count or 1) - 1, 0))
            self.seek_slider.setValue(0)
            self.seek_slider.blockSignals(False)
            self.position_label.setText("")
        else:
            self.stats_label.hide()
        self._update_buttons()

    def _show_video_path(self, path: Path) -> None:
        self.video_path = path
        self.video_label.setText(self.video_label.fontMetrics().elidedText(
            path.name, Qt.TextElideMode.ElideMiddle, VIDEO_NAME_WIDTH))
        self.video_label.setToolTip(str(path))

    def _on_frame(self, frame: Frame) -> None:
        count = self.controller.frame_count
        if count is not None and not self.seek_slider.isSliderDown():
            self.seek_slider.blockSignals(True)
            self.seek_slider.setValue(frame.index)
            self.seek_slider.blockSignals(False)
        text = f"frame {frame.index + 1}" + (f" / {count}" if count else "")
        if frame.source_time is not None:
            text += f" · {format_time(frame.source_time)}"
        self.position_label.setText(text)

    def _on_stats(self, stats: LiveStats) -> None:
        self.stats_label.setText(stats.text())
        self.stats_label.setVisible(self.controller.streaming)
