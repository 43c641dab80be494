"""The colorization task on the tiny synthetic data: its datasets, its class
weights and its train and validation steps, against direct computations."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from colorize import runs, train, variants
from colorize.data import simulated_hints as hints
from colorize.errors import ColorizeError
from colorize.nets import color, models, targets, trained
from colorize.training.task import ColorizationTask


@pytest.fixture(scope="module")
def lch_task(tiny_data_dir):
    return ColorizationTask(variants.resolve("lch", "tiny", data_dir=tiny_data_dir))


def test_rebalance_weights_come_from_the_cached_prior(lch_task):
    config = lch_task.config
    path = runs.class_prior_path(lch_task.builder.data_dir, "lch", config.image_size // 4)
    assert os.path.isfile(path)
    prior = targets.load_or_compute_prior(path, lambda: [], "lch", size=(16, 16))  # read back, not recomputed
    np.testing.assert_allclose(lch_task.class_weights, targets.rebalance_weights(prior, 0.5), rtol=1e-12)
    # Normalized as Zhang et al.: the prior-weighted mean weight is 1 (float32 weights).
    assert float(np.sum(prior * lch_task.class_weights)) == pytest.approx(1.0, rel=1e-6)


def test_unweighted_variants_have_no_class_weights(tiny_data_dir):
    task = ColorizationTask(variants.resolve("classification", "tiny", data_dir=tiny_data_dir))
    assert task.class_weights is None and task.num_train == 45


def test_inputs_have_the_training_shape_and_validation_is_capped(lch_task):
    size, batch = lch_task.config.image_size, lch_task.config.batch_size
    inputs, color_img = next(iter(lch_task.build_inputs("train", training=True)))
    sketch = inputs["sketch"]
    assert sketch.shape == (batch, size, size, 1) and color_img.shape == (batch, size, size, 3)
    assert sketch.dtype == color_img.dtype == tf.uint8
    assert inputs["hint_color"].shape == (batch, size, size, 3) and inputs["hint_mask"].shape == (batch, size, size, 1)
    # tiny: validation_batches = 1 (the split's 3 examples in one batch).
    assert len(list(lch_task.build_inputs("validation", training=False))) == 1


def test_simulated_hints_are_ground_truth_colors_and_follow_the_seed(lch_task):
    def first(task, split="train", training=True):
        inputs, color_img = next(iter(task.build_inputs(split, training=training)))
        return {k: v.numpy() for k, v in inputs.items()}, color_img.numpy()

    inputs, truth = first(lch_task)
    mask, hint = inputs["hint_mask"][..., 0], inputs["hint_color"]
    assert set(np.unique(mask).tolist()) <= {0.0, 1.0} and mask.any()
    assert not hint[mask == 0].any()  # no color where there is no hint
    # 64 px: patches of 1 or 2 px (max_patch_side), each the mean of the
    # ground truth over itself, so within the ground truth's range there;
    # strokes paint their patch's color only where the ground truth is
    # within the stroke tolerance of it.
    hinted = mask > 0
    local_min = -tf.nn.max_pool2d(-tf.constant(truth, tf.float32), 3, 1, "SAME").numpy()
    local_max = tf.nn.max_pool2d(tf.constant(truth, tf.float32), 3, 1, "SAME").numpy()
    slack = hints.STROKE_TOLERANCE + 1e-3
    assert np.all(hint[hinted] >= local_min[hinted] - slack) and np.all(hint[hinted] <= local_max[hinted] + slack)

    # The same seed gives the same training data (flips and hints are
    # stateless); another seed other hints.
    again, truth_again = first(lch_task)
    np.testing.assert_array_equal(truth_again, truth)
    for key in inputs:
        np.testing.assert_array_equal(again[key], inputs[key])
    other = ColorizationTask(lch_task.config.replace(seed=1))
    assert not np.array_equal(first(other)[0]["hint_mask"], inputs["hint_mask"])
    # Validation sees the same hints every epoch.
    val_a = first(lch_task, "validation", training=False)[0]
    val_b = first(lch_task, "validation", training=False)[0]
    np.testing.assert_array_equal(val_a["hint_color"], val_b["hint_color"])


def test_without_hints_the_inputs_and_network_are_the_plain_ones(tiny_data_dir):
    task = ColorizationTask(variants.resolve("regression", "tiny", data_dir=tiny_data_dir, hints=False))
    sketch, color_img = next(iter(task.build_inputs("validation", training=False)))
    assert sketch.shape == (3, 64, 64, 1) and color_img.shape == (3, 64, 64, 3)
    net = task.build_model()
    assert not models.uses_hints(net)
    assert net.count_params() == models.build_net("regression", width=task.config.width).count_params()


def test_a_run_recorded_before_hints_loads_and_predicts_as_before(tmp_path):
    # config.json as runs wrote it before hints existed: no "hints" key.
    old = json.loads(variants.resolve("lch", "tiny").to_json())
    for key in ("hints", "hint_none_share", "hint_geometric_p"):
        old.pop(key)

    class OldConfig:
        def to_json(self):
            return json.dumps(old, indent=2, sort_keys=True)

    run_dir = str(tmp_path)
    runs.save_config(OldConfig(), run_dir)
    keras.utils.set_random_seed(3)
    net = models.build_net("classification", width=0.0625)
    trained.save_net(net, run_dir)
    config, loaded = trained.load_net(run_dir)
    assert config.hints is False and not models.uses_hints(loaded)
    sketch = np.full((2, 32, 32, 1), 255, np.uint8)
    sketch[:, 10:12] = 0
    expected = models.build_colorizer(net, "lch")(sketch).numpy()
    np.testing.assert_allclose(models.build_colorizer(loaded, config.space)(sketch).numpy(), expected, atol=1e-4)


def test_a_train_step_returns_the_global_mean_loss_and_moves_the_weights(lch_task):
    keras.utils.set_random_seed(1)
    net = lch_task.build_model()
    optimizer = lch_task.build_optimizer()
    optimizer.build(net.trainable_variables)
    sketch, color_img = next(iter(lch_task.build_inputs("train", training=True)))  # sketch: with hints
    expected = float(np.mean(lch_task.per_example_loss(net, sketch, color_img, training=True)))
    before = [w.copy() for w in net.get_weights()]
    loss = float(lch_task.train_step((sketch, color_img), net, optimizer, global_batch_size=8))
    assert loss == pytest.approx(expected, rel=1e-5)  # the same float32 batch, summed in another order
    assert any(not np.array_equal(a, b) for a, b in zip(before, net.get_weights(), strict=True))
    # One replica of two: its share of the global mean is half its own mean.
    own_mean = float(np.mean(lch_task.per_example_loss(net, sketch, color_img, training=True)))
    share = float(lch_task.train_step((sketch, color_img), net, optimizer, global_batch_size=16))
    assert share == pytest.approx(own_mean / 2, rel=1e-5)


def test_validation_figures_match_direct_computation(lch_task):
    keras.utils.set_random_seed(2)
    net = lch_task.build_model()
    colorizer = lch_task.build_colorizer(net)
    sketch, color_img = next(iter(lch_task.build_inputs("validation", training=False)))
    out = lch_task.validation_step((sketch, color_img), net, colorizer)
    assert sketch["hint_mask"].numpy().any()  # the validation step gets hints
    rgb = models.build_guided_colorizer(net, "lch", 0.38)(sketch, training=False).numpy()
    np.testing.assert_allclose(out["rgb"].numpy(), rgb, atol=1e-3)
    truth = color_img.numpy().astype(np.float64)
    np.testing.assert_allclose(out["rgb_mse"].numpy(), np.mean((rgb - truth) ** 2, axis=(1, 2, 3)), rtol=1e-4)
    lch_true = keras.ops.convert_to_numpy(color.rgb_to_lch(truth.astype(np.float32) / 255.0))
    np.testing.assert_allclose(out["true_chroma"].numpy(), lch_true[..., 1].mean(axis=(1, 2)), rtol=1e-5)
    loss = lch_task.per_example_loss(net, sketch, color_img, training=False).numpy()
    np.testing.assert_allclose(out["loss"].numpy(), loss, rtol=1e-6)
    assert out["loss"].shape == out["chroma"].shape == (3,)


def test_hints_flag_defaults_on_and_a_resumed_run_keeps_its_own(tmp_path):
    def resolve(*flags, run_dir=str(tmp_path / "new")):
        return train.resolve_config(
            train.parse_args(["--variant", "lch", "--preset", "tiny", "--run-dir", run_dir, *flags])
        )[0]

    assert resolve().hints is True
    assert resolve("--hints", "off").hints is False and resolve("--hints", "ON").hints is True
    with pytest.raises(ColorizeError, match="expected on or off"):
        resolve("--hints", "maybe")
    # A run recorded before hints existed resumes without them, and refuses
    # to be switched to hints halfway.
    old = json.loads(variants.resolve("lch", "tiny").to_json())
    old.pop("hints")
    run_dir = tmp_path / "old"
    run_dir.mkdir()
    (run_dir / runs.CONFIG).write_text(json.dumps(old))
    assert resolve(run_dir=str(run_dir)).hints is False
    with pytest.raises(ColorizeError, match="hints=False"):
        resolve("--hints", "on", run_dir=str(run_dir))
