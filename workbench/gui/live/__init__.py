"""Live input: the capture controller, its panel, recording, and the live benchmark."""
