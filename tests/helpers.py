"""Helpers shared by the test modules (fixtures live in conftest.py): the
subprocess runner and its environment, a free port, test drawings, config
round trips, and the reference forms of what the package computes otherwise
(one batch of metrics, the saturation matrix, reading an OpenRaster file)."""

import io
import os
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile

import cv2
import keras
import numpy as np
import pytest
from PIL import Image

from colorize.evaluation import metrics
from colorize.inference import openraster
from colorize.nets import color

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


def run_python(args, *, environ=None, cwd=REPO, timeout=600, check=True):
    """Runs `python ARGS` (e.g. `["-m", "colorize.predict", ...]` or `["-c",
    code]`) in a fresh interpreter, by default in the checkout with
    `env()` as its environment; with `check`, asserts that it exits 0
    (showing the end of its stderr).

    Returns:
        The `subprocess.CompletedProcess`, its output as text.
    """
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=environ or env(), cwd=cwd, timeout=timeout
    )
    if check:
        assert done.returncode == 0, done.stderr[-3000:]
    return done


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def box_and_circle(height, width):
    """A gray drawing: a rectangle and a circle inside it, black on white, `(height, width)` uint8."""
    img = np.full((height, width), 255, np.uint8)
    cv2.rectangle(img, (width // 5, height // 5), (width * 3 // 4, height * 3 // 4), 0, 2)
    cv2.circle(img, (width // 2, height // 2), min(height, width) // 6, 0, 1, cv2.LINE_AA)
    return img


def two_shapes(height=96, width=128):
    """An RGB sketch of two closed shapes side by side: a rectangle (left) and a circle (right)."""
    img = np.full((height, width, 3), 255, np.uint8)
    cv2.rectangle(img, (8, 12), (58, 84), (0, 0, 0), 2)
    cv2.circle(img, (94, 48), 26, (0, 0, 0), 2)
    return img


def config_round_trip(obj):
    """`type(obj).from_config(obj.get_config())`, after checking that the
    clone's config is the original's."""
    clone = type(obj).from_config(obj.get_config())
    assert clone.get_config() == obj.get_config()
    return clone


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


def run_without_project(body, tmp_path):
    """Runs `WITHOUT_PROJECT` + `body` in a fresh Python, in a new folder
    `tmp_path / "elsewhere"` and without PYTHONPATH, as on a machine that has
    TensorFlow but not this project; asserts that it exits 0.

    Returns:
        The folder it ran in (where its outputs are).
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    work = tmp_path / "elsewhere"
    work.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_PROJECT + body], cwd=work, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return work


def metrics_of(pred, truth, sketch=None):
    """All metrics of one batch (`MetricAccumulator` fed once)."""
    acc = metrics.MetricAccumulator()
    acc.update(pred, truth, sketch)
    return acc.result()


def saturation_matrix(space="lch"):
    """M_sat of the paper, materialized: (512, 512) float32, 0 where two
    classes share a chroma bin, else 1 (the losses use its marginal form)."""
    chroma = color.chroma_bins(space)
    return (chroma[:, None] != chroma[None, :]).astype("float32")


def read_ora(path):
    """The layers of an OpenRaster file: layer name -> `(H, W, 4)` uint8 RGBA,
    in stack order (top first), plus "mergedimage" and "thumbnail"; asserts
    that the mimetype entry comes first, as the format requires."""
    with zipfile.ZipFile(path) as z:
        assert z.namelist()[:1] == ["mimetype"] and z.read("mimetype") == openraster.MIMETYPE.encode()
        stack = ET.fromstring(z.read("stack.xml"))
        sources = [(layer.get("name"), layer.get("src")) for layer in stack.iter("layer")]
        sources += [("mergedimage", "mergedimage.png"), ("thumbnail", "Thumbnails/thumbnail.png")]
        out = {}
        for layer, src in sources:
            with Image.open(io.BytesIO(z.read(src))) as im:
                out[layer] = np.asarray(im.convert("RGBA"))
        return out


def run_sweep(module, run_dir, tmp_path, examples=3):
    """Runs an experiment sweep's `main` on `examples` test windows of
    `run_dir` into a JSON file under `tmp_path`: its record."""
    import json  # noqa: PLC0415

    out = tmp_path / f"{module.__name__.rsplit('.', 1)[-1]}.json"
    argv = [run_dir, "--split", "test", "--max-examples", str(examples), "--out", str(out)]
    assert module.main(argv) == 0
    record = json.loads(out.read_text())
    assert record["examples"] == examples
    return record
