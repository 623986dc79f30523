"""Headless batch runs: ``conv-workbench apply`` over images, folders and videos.

The command sits at the top of the import tree with the CLI: it reads inputs through
:mod:`workbench.sources` and :mod:`workbench.io`, runs :mod:`workbench.core` and exports the
maps; nothing in the package imports it but :mod:`workbench.cli`.
"""

from workbench.batch.apply import PROG, UsageError, main, parse_pair, parse_pool

__all__ = ["PROG", "UsageError", "main", "parse_pair", "parse_pool"]
