"""Line drawing colorization (Inoue, "Line Drawing Colorization", CS231N)."""

__version__ = "0.1.0"
