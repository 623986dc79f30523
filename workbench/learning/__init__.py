"""Learning filters: data sets, the kernel-detective problem and a small CNN.

Qt-free: the window's learning panels, the ``conv-workbench train`` command and a
notebook use the same functions. The gradient descent itself is
:mod:`workbench.core.train`.
"""

from workbench.learning.cnn import (
    CnnSpec,
    Evaluation,
    evaluate,
    initial_network,
    learned_bank,
)
from workbench.learning.datasets import (
    DATASETS,
    Dataset,
    DatasetUnavailable,
    bars_and_edges,
    digits,
    load_dataset,
)
from workbench.learning.detective import (
    HIDDEN_PRESETS,
    DetectiveProblem,
    detective_problem,
    starting_filter,
)

__all__ = [
    "DATASETS", "HIDDEN_PRESETS", "CnnSpec", "Dataset", "DatasetUnavailable",
    "DetectiveProblem", "Evaluation", "bars_and_edges", "detective_problem", "digits",
    "evaluate", "initial_network", "learned_bank", "load_dataset", "starting_filter",
]
