"""The image grid and the chief-only summary writer."""

import os

import cv2
import numpy as np
import pytest
import tensorflow as tf

from colorize import runs
from colorize.training.summaries import SummaryWriter, image_grid


def test_the_grid_puts_sketch_prediction_and_truth_side_by_side():
    sketch = np.array([[[0], [255]]], np.uint8)[np.newaxis]  # (1, 1, 2, 1)
    pred = np.array([[[[-3.0, 10.4, 10.6], [300.0, 127.5, 0.49]]]], np.float32)  # (1, 1, 2, 3)
    truth = np.array([[[[1, 2, 3], [4, 5, 6]]]], np.uint8)
    grid = image_grid(sketch, pred, truth)
    assert grid.dtype == np.uint8 and grid.shape == (1, 6, 3)
    expected = [[0, 0, 0], [255, 255, 255], [0, 10, 11], [255, 128, 0], [1, 2, 3], [4, 5, 6]]
    # Predictions are rounded half to even (127.5 -> 128, 10.6 -> 11) and clipped to 0..255.
    np.testing.assert_array_equal(grid[0], expected)


def test_the_grid_has_at_most_max_rows_examples():
    n, size = 9, 4
    sketch = np.zeros((n, size, size, 1), np.uint8)
    rgb = np.zeros((n, size, size, 3), np.float32)
    assert image_grid(sketch, rgb, rgb.astype(np.uint8)).shape == (6 * size, 3 * size, 3)
    assert image_grid(sketch, rgb, rgb.astype(np.uint8), max_rows=2).shape == (2 * size, 3 * size, 3)


def _events(run_dir):
    """(tag, step, value or image shape) of every summary written."""
    found = []
    for name in sorted(os.listdir(runs.logs_dir(run_dir))):
        for event in tf.compat.v1.train.summary_iterator(os.path.join(runs.logs_dir(run_dir), name)):
            for value in event.summary.value:
                tensor = tf.make_ndarray(value.tensor)
                found.append((value.tag, event.step, tensor.item() if tensor.size == 1 else tensor.shape))
    return found


def test_the_chief_writes_scalars_images_and_the_grid_png(tmp_path):
    run_dir = str(tmp_path)
    writer = SummaryWriter(run_dir)
    writer.scalars(7, {"train/loss": 0.25, "train/learning_rate": 1e-3})
    grid = np.full((4, 6, 3), (10, 20, 30), np.uint8)
    writer.grid(8, 2, grid)
    writer.flush()
    events = _events(run_dir)
    assert ("train/loss", 7, pytest.approx(0.25)) in events
    assert ("train/learning_rate", 7, pytest.approx(1e-3)) in events
    # tf.summary.image stores width, height and the encoded PNG.
    assert [(tag, step) for tag, step, _ in events if tag.startswith("validation/")] == [
        ("validation/sketch_prediction_truth", 8)
    ]
    png = cv2.imread(runs.grid_path(run_dir, 2))[..., ::-1]
    np.testing.assert_array_equal(png, grid)


def test_other_workers_write_nothing(tmp_path):
    writer = SummaryWriter(str(tmp_path), enabled=False)
    writer.scalars(1, {"train/loss": 1.0})
    writer.grid(1, 1, np.zeros((2, 6, 3), np.uint8))
    writer.flush()
    assert os.listdir(tmp_path) == []
