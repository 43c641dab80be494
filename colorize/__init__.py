"""Line drawing colorization (Inoue, "Line Drawing Colorization", CS231N).

Importing the package does nothing else: the commands (`python -m
colorize.predict`, `train`, `evaluate`, `export`, `demo`) install
`colorize.tf_logs`, TensorFlow's quiet start-up, themselves.
"""

__version__ = "0.1.0"
