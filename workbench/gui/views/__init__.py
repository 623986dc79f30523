"""What the window shows: map grid, inspector, value labels and the session-to-views wiring."""
