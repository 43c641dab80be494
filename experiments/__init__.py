"""Experiments, benchmarks and the generated docs: each module is a command
(`python -m experiments.NAME`), and most import TensorFlow when they load,
so the package installs the quiet TensorFlow start-up (`colorize.tf_logs`)
before any of them does."""

from colorize import tf_logs

tf_logs.install()
