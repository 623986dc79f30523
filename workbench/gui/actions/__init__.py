"""Menus and the file, bank, raw-data, workspace and export actions behind them."""
