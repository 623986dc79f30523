"""Conv Workbench: explore convolutional layers on photos, video and webcam."""

__version__ = "0.1.0"
