"""Tutorial content: the worked examples the workbench reproduces, as raw inputs + pipelines."""

from workbench.tutorials.examples import TUTORIAL_EXAMPLES, TutorialExample, get_example

__all__ = ["TUTORIAL_EXAMPLES", "TutorialExample", "get_example"]
