"""Helpers shared by the test modules (fixtures live in conftest.py)."""

import os

import keras
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

tf_only = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="TensorFlow-only (tf.function, tf.data or SavedModel)"
)
"""Marks a test that needs the TensorFlow backend (the math modules' other
tests also run under KERAS_BACKEND=jax)."""


def env(**extra):
    """The environment for a subprocess of the tests: quiet TensorFlow, no
    GPU probing, and this checkout importable; `extra` adds or overrides."""
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": REPO, **extra}
