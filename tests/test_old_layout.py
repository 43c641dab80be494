"""Runs, exports and the shipped weights saved before the stage subpackages
still load and color exactly as they did (`tests/data/old_layout/`: files
written by the previous layout's code, and what it colored)."""

import os
import tarfile

import cv2
import numpy as np
import pytest
import tensorflow as tf

from colorize.inference import coloring, hint_layers
from colorize.nets import trained

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "old_layout")


@pytest.fixture(scope="module")
def golden():
    with np.load(os.path.join(HERE, "golden.npz")) as g:
        return dict(g)


@pytest.fixture(scope="module")
def sketch():
    gray = cv2.imread(os.path.join(HERE, "sketch.png"), cv2.IMREAD_GRAYSCALE)
    hints = hint_layers.load_hint_layer(os.path.join(HERE, "sketch.hints.png"), *gray.shape)
    return np.dstack([gray] * 3), hints


@pytest.fixture(scope="module")
def old_export(tmp_path_factory):
    folder = tmp_path_factory.mktemp("old_export")
    with tarfile.open(os.path.join(HERE, "export.tar.gz")) as tar:
        tar.extractall(folder, filter="data")
    return str(folder / "export")


def _same(out, expected):
    # Identical but for float rounding (at most one level, on a few pixels).
    diff = np.abs(out.astype(int) - expected.astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() < 0.01, (diff.max(), (diff > 0).mean())


@pytest.mark.parametrize(
    ("name", "folder", "network"),
    [("lch", "run_lch", "ClassificationNet"), ("regression", "run_regression", "RegressionUNet")],
)
def test_a_run_saved_by_the_previous_layout_loads_and_colors_the_same(name, folder, network, sketch, golden):
    run_dir = os.path.join(HERE, folder)
    config, net = trained.load_net(run_dir)
    assert type(net).__name__ == network and config.variant == name and config.hints
    rgb, (hint_rgb, hint_mask) = sketch
    model = coloring.Model(run_dir, flip_average=False)  # the goldens: one pass
    _same(coloring.colorize_array(rgb, model)["rgb"], golden[f"{name}_auto"])
    _same(coloring.colorize_array(rgb, model, hint_rgb, hint_mask)["rgb"], golden[f"{name}_hints"])
    bilinear = coloring.colorize_array(rgb, model, hint_rgb, hint_mask, upsample="bilinear")["rgb"]
    _same(bilinear, golden[f"{name}_bilinear"])


@pytest.mark.slow
def test_an_export_of_the_previous_layout_serves_and_predicts_the_same(old_export, sketch, golden):
    rgb, (hint_rgb, hint_mask) = sketch
    model = coloring.Model(old_export, flip_average=False)
    _same(coloring.colorize_array(rgb, model)["rgb"], golden["export_auto"])
    _same(coloring.colorize_array(rgb, model, hint_rgb, hint_mask)["rgb"], golden["export_hints"])
    core = tf.saved_model.load(old_export)
    with open(os.path.join(HERE, "sketch.png"), "rb") as f:
        png = f.read()
    with open(os.path.join(HERE, "sketch.hints.png"), "rb") as f:
        hints_png = f.read()
    served = core.signatures["serving_default"](images=tf.constant([png]))["rgb"].numpy()[0]
    _same(served, golden["export_serving_default"])
    guided = core.signatures["guided"](images=tf.constant([png]), hints=tf.constant([hints_png]))["rgb"].numpy()[0]
    _same(guided, golden["export_guided"])


def test_the_shipped_weights_color_as_before(sketch, golden):
    rgb, (hint_rgb, hint_mask) = sketch
    # The model the package shipped then (it ships another now): its config and float16 weights.
    model = coloring.Model(os.path.join(HERE, "shipped_openclipart"), flip_average=False)
    _same(coloring.colorize_array(rgb, model)["rgb"], golden["shipped_auto"])
    _same(coloring.colorize_array(rgb, model, hint_rgb, hint_mask)["rgb"], golden["shipped_hints"])
