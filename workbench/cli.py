"""Command line: ``conv-workbench`` opens the window; sub-commands work headless.

``conv-workbench [WORKSPACE.json] [--image PATH] [--screenshot OUT.png]`` starts the GUI;
``conv-workbench bench`` runs the benchmark and ``conv-workbench apply`` the batch export.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

SubcommandMain = Callable[[Sequence[str]], int]


def _bench(argv: Sequence[str]) -> int:
    if "--live" in argv:
        # The live benchmark runs the real window: GUI code, imported only when asked for.
        from workbench.gui.live.bench import main as live_main

        return live_main([a for a in argv if a != "--live"])
    from workbench.bench.compare import main as bench_main

    return bench_main(argv)


def _apply(argv: Sequence[str]) -> int:
    from workbench.batch import main as apply_main

    return apply_main(argv)


def _train(argv: Sequence[str]) -> int:
    from workbench.learning.command import main as train_main

    return train_main(argv)


SUBCOMMANDS: dict[str, tuple[SubcommandMain, str]] = {
    "bench": (_bench, "time the core against OpenCV, SciPy and PyTorch"),
    "apply": (_apply, "run a filter bank over images, folders and videos and export the maps"),
    "train": (_train, "learn filters by gradient descent: the kernel detective or a small CNN"),
}


def gui_parser() -> argparse.ArgumentParser:
    """Build the parser for the GUI entry point.

    Returns
    -------
    argparse.ArgumentParser
        Parser for ``conv-workbench [WORKSPACE] [--image PATH] [--screenshot OUT] [--size WxH]``.
    """
    parser = argparse.ArgumentParser(
        prog="conv-workbench",
        description="Explore convolutional layers: type kernels, see feature maps and pooling "
                    "live. Sub-commands: " + "; ".join(
                        f"'{name}' ({text})" for name, (_, text) in SUBCOMMANDS.items()) + ".")
    parser.add_argument("workspace", nargs="?",
                        help="workspace JSON file to open, or a model file (.onnx, .keras, "
                             ".h5, .safetensors, .pt, .pth) to browse")
    parser.add_argument("--workspace", dest="workspace_opt", metavar="FILE",
                        help="workspace JSON file to open (same as the positional argument)")
    parser.add_argument("--image", metavar="PATH", help="image to load instead of the sample")
    parser.add_argument("--screenshot", metavar="OUT.png",
                        help="render the window offscreen once results arrive, save, exit")
    parser.add_argument("--size", metavar="WxH", type=_window_size,
                        help="window size, e.g. 1280x720 (for a screenshot of a small screen)")
    parser.add_argument("--appearance", choices=APPEARANCE_CHOICES,
                        help="light or dark window for this run (default: as remembered, "
                             "View > Appearance)")
    return parser


# The keys of workbench.gui.appearance.APPEARANCES (not imported: the CLI starts without Qt).
APPEARANCE_CHOICES = ("system", "light", "dark")


def _window_size(text: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        raise argparse.ArgumentTypeError(f"size must look like 1280x720, got {text!r}")
    w, h = int(width), int(height)
    if not (320 <= w <= 8192 and 240 <= h <= 8192):
        raise argparse.ArgumentTypeError(f"size {w}x{h} is outside 320x240 .. 8192x8192")
    return w, h


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``conv-workbench`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; defaults to ``sys.argv[1:]``.

    Returns
    -------
    int
        Process exit code.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in SUBCOMMANDS:
        return SUBCOMMANDS[args[0]][0](args[1:])
    options = gui_parser().parse_args(args)
    from workbench.gui.app import run_gui

    return run_gui(workspace=options.workspace_opt or options.workspace, image=options.image,
                   screenshot=options.screenshot, size=options.size,
                   appearance=options.appearance)
