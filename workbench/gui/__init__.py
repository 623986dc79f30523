"""The Conv Workbench window (PySide6 + pyqtgraph): the only package that imports Qt.

Start it with :func:`workbench.gui.app.run_gui` (``conv-workbench`` on the command line).
"""
