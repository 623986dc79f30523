"""The Learn menu's windows: the kernel detective and the small-CNN trainer.

Both drive a Qt-free run of :mod:`workbench.learning.runs` in a :class:`TrainingThread`
and draw its snapshots; the learned filters go into the session on request.
"""

from workbench.gui.learning.cnn_window import CnnWindow
from workbench.gui.learning.detective_window import DetectiveWindow
from workbench.gui.learning.launcher import LearningWindows
from workbench.gui.learning.training_thread import TrainingThread

__all__ = ["CnnWindow", "DetectiveWindow", "LearningWindows", "TrainingThread"]
