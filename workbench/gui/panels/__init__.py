"""The window's editing panels: filter bank, parameters, message bar, tutorial banner."""
