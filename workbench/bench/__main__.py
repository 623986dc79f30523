"""``python -m workbench.bench``: the same as ``conv-workbench bench`` (without ``--live``)."""

import sys

from workbench.bench.compare import main

if __name__ == "__main__":
    sys.exit(main())
