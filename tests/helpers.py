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


WITHOUT_PROJECT = """\
import os, sys
# As on a machine without the project: drop every path that holds it and the
# import hooks of an editable install (setuptools puts either the checkout on
# sys.path or a finder on sys.meta_path), then check that it is gone.
sys.path = [p for p in sys.path if not os.path.isfile(os.path.join(p or ".", "colorize", "__init__.py"))]
sys.meta_path = [f for f in sys.meta_path if not getattr(f, "__module__", "").startswith("__editable__")]
sys.path_hooks = [h for h in sys.path_hooks if not getattr(h, "__module__", "").startswith("__editable__")]
sys.path_importer_cache.clear()
try:
    import colorize
except ImportError:
    pass
else:
    raise SystemExit("colorize is importable here")
"""
"""The start of a subprocess script that must run with TensorFlow alone."""
