"""The session: everything a user can change or undo, and the events the window listens to.

Qt-free. Widgets call its methods (``session.open_image(path)``, ``session.edit(...)``) and
refresh in handlers connected to its psygnal signals; nothing reads another widget's state.
The compute worker is told through :attr:`Session.compute_requested` and hands results
back with :meth:`Session.set_result`, tagged with the generation they were computed for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from psygnal import Signal

from workbench.core import Filter, Pipeline, PipelineResult
from workbench.io.data_input import RawData
from workbench.io.images import ImageLoadError, LoadedImage
from workbench.render import ViewOptions
from workbench.session.edits import (
    fit_to_signal,
    image_input_mode,
    insert_filter,
    set_input_mode,
    set_raw_channels,
    with_layer,
)
from workbench.session.history import History
from workbench.session.input_state import (
    DEFAULT_IMAGE,
    SAMPLE_PREFIX,
    InputState,
    read_source,
)
from workbench.session.stack_edits import (
    STACK_PRESETS,
    add_layer,
    delete_layer,
    duplicate_layer,
    follow_channels,
    move_layer,
)
from workbench.tutorials import TutorialExample, get_example


@dataclass(frozen=True, eq=False)
class SessionState:
    """One undoable state: the pipeline and the input it runs on."""

    pipeline: Pipeline
    input: InputState


@dataclass(frozen=True)
class Selection:
    """What the panels edit: a layer, a filter of it and a kernel channel (0-based).

    ``filter`` is -1 when the layer has no filters.
    """

    layer: int = 0
    filter: int = 0
    channel: int = 0


@dataclass(frozen=True, eq=False)
class ShownResult:
    """A computed result with what it was computed from."""

    result: PipelineResult
    pipeline: Pipeline
    generation: int
    seconds: float


class Session:
    """The one owner of the user's state.

    Parameters
    ----------
    pipeline : Pipeline
        The starting pipeline (an empty one gets one empty layer).
    max_side : int, optional
        The starting size limit.
    clock : callable, optional
        For undo coalescing (tests pass a fake clock).
    view : ViewOptions, optional
        The starting colour options of the map views.
    """

    pipeline_changed = Signal(object)  # Pipeline
    input_changed = Signal(object)  # InputState
    selection_changed = Signal(object)  # Selection
    view_changed = Signal(object)  # ViewOptions
    history_changed = Signal(bool, bool)  # can undo, can redo
    result_changed = Signal(object)  # ShownResult
    problem_changed = Signal(object)  # str or None: why the current state has no result
    compute_requested = Signal(bool)  # urgent (a live frame: no debounce)
    message = Signal(str, str)  # text, kind ("error", "warning", "info", "status")

    def __init__(self, pipeline: Pipeline, max_side: int | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 view: ViewOptions | None = None) -> None:
        start = InputState() if max_side is None else InputState(max_side=max_side)
        self._history: History[SessionState] = History(
            SessionState(with_layer(pipeline), start), clock)
        self._selection = Selection()
        self._view = view or ViewOptions()
        # Kernel slices of layer k+1 whose layer-k map was removed or disabled: enabling it
        # again brings them back (undo does too, through the history).
        self._removed_slices: dict[tuple[int, str], list[np.ndarray]] = {}
        self._generation = 0
        self._tensor_key: tuple[object, ...] | None = None
        self._tensor: np.ndarray | None = None
        self._result: ShownResult | None = None
        self._problem: str | None = None
        # The user's own state from before a tutorial example, to go back to in one step.
        self._before_tutorial: SessionState | None = None

    # ------------------------------------------------------------------ reading

    @property
    def pipeline(self) -> Pipeline:
        """The current pipeline."""
        return self._history.present.pipeline

    @property
    def input(self) -> InputState:
        """The current input."""
        return self._history.present.input

    @property
    def state(self) -> SessionState:
        """The current undoable state."""
        return self._history.present

    @property
    def selection(self) -> Selection:
        """The selected layer, filter and channel."""
        return self._selection

    @property
    def view_options(self) -> ViewOptions:
        """How maps are coloured (colormap, scaling, shared levels); not undoable."""
        return self._view

    @property
    def layer_index(self) -> int:
        """The selected layer's index."""
        return self._selection.layer

    @property
    def generation(self) -> int:
        """Counts state changes; a result is current when it carries this number."""
        return self._generation

    @property
    def selected_map(self) -> int:
        """The selected filter's position among its layer's enabled ones (its map).

        The first enabled filter's when the selected one is disabled; -1 when none is.
        """
        layers = self.pipeline.layers
        if not 0 <= self.layer_index < len(layers):
            return -1
        filters = layers[self.layer_index].filters
        chosen = self.selection.filter
        if 0 <= chosen < len(filters) and filters[chosen].enabled:
            return sum(f.enabled for f in filters[:chosen])
        return 0 if any(f.enabled for f in filters) else -1

    @property
    def result(self) -> ShownResult | None:
        """The last good result (possibly of an older state: see :attr:`result_is_current`)."""
        return self._result

    @property
    def result_is_current(self) -> bool:
        """The last result was computed from the current state."""
        return self._result is not None and self._result.generation == self._generation

    @property
    def problem(self) -> str | None:
        """Why the current state cannot be computed, or None."""
        return self._problem

    @property
    def can_undo(self) -> bool:
        """There is a step to undo."""
        return self._history.can_undo

    @property
    def can_redo(self) -> bool:
        """There is a step to redo."""
        return self._history.can_redo

    @property
    def tutorial(self) -> TutorialExample | None:
        """The tutorial example the current input belongs to, if any."""
        key = self.input.tutorial
        return get_example(key) if key else None

    @property
    def tensor(self) -> np.ndarray | None:
        """The ``(C, H, W)`` float32 tensor the pipeline runs on (derived, cached)."""
        state = self._history.present
        key = (id(state.input), state.pipeline.input_mode)
        if key != self._tensor_key:
            self._tensor = state.input.tensor(state.pipeline)
            self._tensor_key = key
        return self._tensor

    # ------------------------------------------------------------- changing state

    def _set_state(self, state: SessionState, coalesce_key: str | None = None,
                   record: bool = True) -> bool:
        old = self._history.present
        if state.pipeline == old.pipeline and state.input is old.input:
            return False
        if record:
            self._history.push(state, coalesce_key)
        else:
            self._history.replace_present(state)
        self._after_change(old)
        return True

    def _after_change(self, old: SessionState, urgent: bool = False) -> None:
        new = self._history.present
        self._generation += 1
        # The selection is clamped before anyone hears of the change, announced after.
        selection_moved = self._store_selection(self._selection)
        if new.input is not old.input:
            self.input_changed.emit(new.input)
        if new.pipeline != old.pipeline:
            self.pipeline_changed.emit(new.pipeline)
        if selection_moved:
            self.selection_changed.emit(self._selection)
        self.history_changed.emit(self.can_undo, self.can_redo)
        self.compute_requested.emit(urgent)

    def set_pipeline(self, pipeline: Pipeline, coalesce_key: str | None = None) -> bool:
        """Make ``pipeline`` current as one undoable step.

        Parameters
        ----------
        pipeline : Pipeline
            The new pipeline (an empty one gets one empty layer).
        coalesce_key : str, optional
            Names the edited field; edits of it within a second are one undo step.

        Returns
        -------
        bool
            False if nothing changed.
        """
        pipeline, followed = follow_channels(self.pipeline, with_layer(pipeline),
                                             self._removed_slices)
        changed = self._set_state(replace(self.state, pipeline=pipeline), coalesce_key)
        if changed and followed:
            self.message.emit(followed, "status")
        return changed

    def edit(self, change: Callable[[Pipeline], Pipeline],
             coalesce_key: str | None = None) -> bool:
        """Apply ``change`` to the current pipeline (see :meth:`set_pipeline`).

        Parameters
        ----------
        change : callable
            Maps the current pipeline to the new one.
        coalesce_key : str, optional
            See :meth:`set_pipeline`.

        Returns
        -------
        bool
            Whether the pipeline changed.
        """
        return self.set_pipeline(change(self.pipeline), coalesce_key)

    # ------------------------------------------------------------------ layers

    def _change_stack(self, edited: tuple[Pipeline, str], select: int) -> bool:
        pipeline, done = edited
        if not self.set_pipeline(pipeline):
            return False
        self.select(layer=select, filter=0, channel=0)
        self.message.emit(done, "status")
        return True

    def add_layer(self) -> bool:
        """Insert a copying layer after the selected one and select it (undoable).

        Returns
        -------
        bool
            Whether the stack changed.
        """
        k = self.layer_index
        return self._change_stack(add_layer(self.pipeline, k), k + 1)

    def duplicate_layer(self) -> bool:
        """Insert a copy of the selected layer after it and select the copy (undoable).

        Returns
        -------
        bool
            Whether the stack changed.
        """
        k = self.layer_index
        return self._change_stack(duplicate_layer(self.pipeline, k), k + 1)

    def delete_layer(self) -> bool:
        """Remove the selected layer (not the last one left; undoable).

        Returns
        -------
        bool
            Whether the stack changed; if not, a message says why.
        """
        k = self.layer_index
        if len(self.pipeline.layers) < 2:
            self.message.emit("The only layer cannot be deleted: a pipeline needs one.",
                              "warning")
            return False
        return self._change_stack(delete_layer(self.pipeline, k, self._raw_channels()),
                                  max(k - 1, 0))

    def move_layer(self, delta: int) -> bool:
        """Move the selected layer ``delta`` places towards the output (undoable).

        Parameters
        ----------
        delta : int
            -1 moves it one place towards the input, +1 towards the output.

        Returns
        -------
        bool
            Whether the stack changed.
        """
        k = self.layer_index
        target = k + delta
        if not 0 <= target < len(self.pipeline.layers) or delta == 0:
            return False
        return self._change_stack(move_layer(self.pipeline, k, target, self._raw_channels()),
                                  target)

    def _raw_channels(self) -> int | None:
        raw = self.input.raw
        return None if raw is None else int(raw.values.shape[0])

    def open_stack_preset(self, key: str) -> bool:
        """Replace the pipeline by a teaching stack (undoable), keeping the input mode.

        Parameters
        ----------
        key : str
            A key of :data:`~workbench.session.stack_edits.STACK_PRESETS`.

        Returns
        -------
        bool
            Whether the stack changed.
        """
        title, build = STACK_PRESETS[key]
        mode = self.pipeline.input_mode if self.pipeline.input_mode != "raw" else "gray"
        pipeline = build(mode)
        if self.input.kind == "raw":
            self.message.emit("Teaching stacks run on images: open an image first.", "warning")
            return False
        return self._change_stack((pipeline, f"Opened the teaching stack {title}"),
                                  len(pipeline.layers) - 1)

    def add_learned_filter(self, learned: Filter) -> bool:
        """Append a learned kernel to the selected layer's bank and select it (undoable).

        Parameters
        ----------
        learned : Filter
            The kernel (its slice is repeated over the channels the layer reads).

        Returns
        -------
        bool
            Whether the bank changed.
        """
        if not self.pipeline.layers:
            return False
        layer = self.layer_index
        pipeline, index = insert_filter(self.pipeline, layer, learned)
        if not self.set_pipeline(pipeline):
            return False
        self.select(layer=layer, filter=index, channel=0)
        self.message.emit(f"Added the learned filter “{learned.name}” to layer {layer + 1}",
                          "status")
        return True

    def use_learned_network(self, pipeline: Pipeline, title: str) -> bool:
        """Make trained conv layers the pipeline (undoable), on the current image in grey.

        Parameters
        ----------
        pipeline : Pipeline
            The learned layers (grey input).
        title : str
            What was trained, for the message.

        Returns
        -------
        bool
            Whether the pipeline changed.
        """
        if self.input.kind == "raw":
            self.message.emit("Learned filters run on images: open an image first.", "warning")
            return False
        return self._change_stack((pipeline, f"Using the filters learned on {title}: every "
                                   "view and export works on them"), 0)

    def reset(self, pipeline: Pipeline, input_state: InputState | None = None) -> None:
        """Start afresh from ``pipeline`` (and an input): the undo history is forgotten.

        Parameters
        ----------
        pipeline : Pipeline
            The new pipeline.
        input_state : InputState, optional
            The new input; the current one is kept when omitted.
        """
        old = self._history.present
        self._history.reset(SessionState(with_layer(pipeline), input_state or old.input))
        self._after_change(old)

    def undo(self) -> bool:
        """Go back one step (pipeline and input together).

        Returns
        -------
        bool
            False if there was nothing to undo.
        """
        old = self._history.present
        if not self._history.undo():
            return False
        self._after_change(old)
        return True

    def redo(self) -> bool:
        """Re-apply the step undone last.

        Returns
        -------
        bool
            False if there was nothing to redo.
        """
        old = self._history.present
        if not self._history.redo():
            return False
        self._after_change(old)
        return True

    # --------------------------------------------------------------------- input

    def open_source(self, source: str) -> bool:
        """Make an image file or sample the input (one undoable step).

        Raw data and a tutorial example are left; the pipeline reads gray or RGB again.

        Parameters
        ----------
        source : str
            A path or ``"sample:<key>"``.

        Returns
        -------
        bool
            Whether it was read; otherwise :attr:`message` says why and nothing changed.
        """
        try:
            new_input = read_source(source, self.input.max_side)
        except (ImageLoadError, KeyError) as exc:
            reason = exc.args[0] if isinstance(exc, KeyError) else str(exc)
            self.message.emit(f"Could not open the image: {reason}. The current image is "
                              "kept.", "error")
            return False
        pipeline = self.pipeline
        if pipeline.input_mode == "raw":
            pipeline = set_input_mode(pipeline, image_input_mode(pipeline))
        self._set_state(SessionState(pipeline, new_input))
        self.message.emit(f"Opened {new_input.describe()}", "status")
        return True

    def open_image(self, path: str | Path) -> bool:
        """Make an image file the input (see :meth:`open_source`).

        Parameters
        ----------
        path : str or pathlib.Path
            The file.

        Returns
        -------
        bool
            Whether it was read.
        """
        return self.open_source(str(path))

    def open_sample(self, key: str) -> bool:
        """Make a built-in sample the input (see :meth:`open_source`).

        Parameters
        ----------
        key : str
            E.g. ``"camera"``.

        Returns
        -------
        bool
            Whether it was read.
        """
        return self.open_source(SAMPLE_PREFIX + key)

    def show_still(self) -> bool:
        """Show the still image again (after a stream or raw data), or the default sample.

        Returns
        -------
        bool
            Whether it could be read.
        """
        source = self.input.source or DEFAULT_IMAGE
        if self.input.kind == "image" and self.input.source == source:
            return True
        return self.open_source(source)

    def set_max_side(self, max_side: int) -> bool:
        """Limit the input's longer side (an undoable step; the original is re-shrunk).

        Parameters
        ----------
        max_side : int
            Pixels, within ``MAX_SIDE_RANGE``.

        Returns
        -------
        bool
            Whether it changed.
        """
        if max_side == self.input.max_side:
            return False
        return self._set_state(replace(self.state, input=self.input.with_max_side(max_side)),
                               coalesce_key="max_side")

    def open_raw(self, raw: RawData, pipeline: Pipeline | None = None,
                 tutorial: str | None = None) -> None:
        """Make numeric data the input, used as given (input mode ``"raw"``), in one step.

        Parameters
        ----------
        raw : RawData
            The data, ``(C, H, W)``.
        pipeline : Pipeline, optional
            The pipeline to run on it; by default the current one with one kernel slice per
            data channel (``groups`` kept when it divides C).
        tutorial : str, optional
            The tutorial example the data and pipeline are.
        """
        fitted = False
        if pipeline is not None:
            new = pipeline
        else:
            new = set_raw_channels(self.pipeline, raw.channels)
            if raw.values.shape[1] == 1 and raw.values.shape[2] > 1:  # a 1-D signal
                new, fitted = fit_to_signal(new)
        new_input = InputState("raw", self.input.source, None, raw, tutorial,
                               self.input.max_side, raw.name)
        self._set_state(SessionState(with_layer(new), new_input))
        self.message.emit(f"Opened {raw.describe()}", "status")
        if fitted:
            self.message.emit("The input is a 1-D signal, so every kernel now keeps its "
                              "middle row (1 × k) and pooling is 1 × k; Undo brings the 2-D "
                              "kernels back.", "info")

    def open_tutorial(self, key: str) -> TutorialExample:
        """Load a tutorial example: its input, filters and parameters (one undoable step).

        The user's own state is remembered; :meth:`leave_tutorial` goes back to it.

        Parameters
        ----------
        key : str
            See :data:`workbench.tutorials.TUTORIAL_EXAMPLES`.

        Returns
        -------
        TutorialExample
            The example.

        Raises
        ------
        KeyError
            If there is no such example.
        """
        example = get_example(key)
        before = self._before_tutorial if self.input.tutorial else self.state
        self.open_raw(RawData(example.data, example.name), example.pipeline, tutorial=key)
        self._before_tutorial = before
        return example

    def leave_tutorial(self) -> bool:
        """Go back to the state from before the tutorial example (one undoable step).

        Returns
        -------
        bool
            False if no tutorial example is loaded.
        """
        if self.input.tutorial is None:
            return False
        back = self._before_tutorial
        if back is None:  # a tutorial restored from the settings: there was no "before"
            back = SessionState(set_input_mode(self.pipeline, "gray"),
                                replace(self.input, kind="none", raw=None, tutorial=None))
            self._set_state(back)
            self.show_still()
            return True
        self._set_state(back)
        return True

    def set_frame(self, pixels: np.ndarray, title: str) -> None:
        """Make a live frame the input and ask for it to be computed at once.

        Frames do not make undo steps: the stream replaces them. The still image's source
        is kept (:meth:`show_still`). A running tutorial or raw input is left first (that is
        an undoable step).

        Parameters
        ----------
        pixels : numpy.ndarray
            RGB uint8 ``(H, W, 3)``.
        title : str
            Where it comes from, e.g. ``"clip.mp4"``.
        """
        current = self.state
        pipeline = current.pipeline
        frame = InputState("frame", current.input.source, LoadedImage(pixels, Path(title)),
                           max_side=current.input.max_side, title=title)
        if pipeline.input_mode == "raw" or current.input.kind == "raw":
            pipeline = set_input_mode(pipeline, image_input_mode(pipeline))
            self._set_state(SessionState(pipeline, frame))
            return
        old = current
        self._history.replace_present(SessionState(pipeline, frame))
        self._after_change(old, urgent=True)

    # ----------------------------------------------------------------- selection

    def set_view_options(self, options: ViewOptions) -> bool:
        """Change how maps are coloured.

        Parameters
        ----------
        options : ViewOptions
            The new colormap, scaling and shared-levels choice.

        Returns
        -------
        bool
            Whether anything changed.
        """
        if options == self._view:
            return False
        self._view = options
        self.view_changed.emit(options)
        return True

    def select(self, layer: int | None = None, filter: int | None = None,  # noqa: A002
               channel: int | None = None) -> None:
        """Select a layer, a filter of it and a kernel channel (clamped to what exists).

        Parameters
        ----------
        layer, filter, channel : int, optional
            0-based; omitted ones are kept.
        """
        s = self._selection
        self._set_selection(Selection(s.layer if layer is None else layer,
                                      s.filter if filter is None else filter,
                                      s.channel if channel is None else channel))

    def _set_selection(self, wanted: Selection) -> None:
        if self._store_selection(wanted):
            self.selection_changed.emit(self._selection)

    def _store_selection(self, wanted: Selection) -> bool:
        layers = self.pipeline.layers
        layer = min(max(wanted.layer, 0), len(layers) - 1)
        filters = layers[layer].filters
        f = min(max(wanted.filter, 0), len(filters) - 1) if filters else -1
        channels = filters[f].channels if f >= 0 else 1
        selection = Selection(layer, f, min(max(wanted.channel, 0), channels - 1))
        if selection == self._selection:
            return False
        self._selection = selection
        return True

    # ------------------------------------------------------------------- results

    def set_result(self, result: PipelineResult, pipeline: Pipeline, generation: int,
                   seconds: float = 0.0) -> None:
        """Hand back a computed result (from the compute worker).

        Parameters
        ----------
        result : PipelineResult
            What :func:`workbench.core.run_pipeline` returned.
        pipeline : Pipeline
            The pipeline it was computed with.
        generation : int
            :attr:`generation` when it was requested; older results than the shown one
            are ignored.
        seconds : float, optional
            Wall time of the computation.
        """
        if self._result is not None and generation < self._result.generation:
            return
        self._result = ShownResult(result, pipeline, generation, seconds)
        if generation == self._generation:
            self._set_problem(None)
        self.result_changed.emit(self._result)

    def set_compute_error(self, reason: str, generation: int) -> None:
        """Report why the state of ``generation`` could not be computed.

        Parameters
        ----------
        reason : str
            E.g. a :class:`workbench.core.PipelineError` message.
        generation : int
            The generation it was requested for (an older one is ignored).
        """
        if generation == self._generation:
            self._set_problem(reason)

    def _set_problem(self, reason: str | None) -> None:
        if reason != self._problem:
            self._problem = reason
            self.problem_changed.emit(reason)
