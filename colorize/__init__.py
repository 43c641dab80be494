"""Line drawing colorization (Inoue, "Line Drawing Colorization", CS231N)."""

from colorize import tf_logs

__version__ = "0.1.0"

# TensorFlow's start-up lines (CUDA probing on machines without a GPU...)
# are dropped when it is imported after this package; see `tf_logs`.
tf_logs.install()
