"""Class means: the annealed mean decodes each class to the mean color of the
training pixels in it, recorded in a model's decoding.json and used by every
path that decodes (predict, the SavedModel, evaluate)."""

import json
import math
import shutil

import numpy as np
import pytest
from keras import ops

from colorize import runs
from colorize.errors import ColorizeError
from colorize.evaluation import metrics
from colorize.nets import annealed_mean, color
from colorize.nets.annealed_mean import AnnealedMean


def _np(x):
    return ops.convert_to_numpy(x).astype("float64")


def test_rgb_class_colors_are_averaged_by_hand():
    # 0.25 on class 0 and 0.75 on class 511, whose class means are given:
    # each channel is 0.25 * mean_0 + 0.75 * mean_511.
    colors = color.bin_centers("rgb").astype("float64")
    colors[0], colors[511] = (10.0, 20.0, 30.0), (200.0, 210.0, 250.0)
    logits = np.full((1, 1, 1, 512), -1e4, "float32")
    logits[..., 0], logits[..., 511] = math.log(0.25), math.log(0.75)
    out = _np(AnnealedMean("rgb", temperature=1.0, class_colors=colors)(logits))
    np.testing.assert_allclose(out[0, 0, 0], [152.5, 162.5, 195.0], atol=1e-3)


def test_the_bin_centres_are_the_default():
    logits = np.random.default_rng(0).normal(0, 2, (2, 3, 4, 512)).astype("float32")
    for space in color.SPACES:
        plain = _np(AnnealedMean(space, temperature=0.5)(logits))
        given = _np(AnnealedMean(space, temperature=0.5, class_colors=color.bin_centers(space))(logits))
        np.testing.assert_allclose(plain, given, atol=1e-3)


def test_one_class_mean_everywhere_decodes_to_it_whatever_the_logits():
    logits = np.random.default_rng(1).normal(0, 3, (1, 5, 5, 512)).astype("float32")
    # LCH (scaled): L 60 %, C 50, hue 40 degrees -> one sRGB color.
    lch = np.array([60.0 * 255 / 100, 50.0 * 255 / 100, 40.0 * 255 / 360])
    expected = _np(color.from_scaled(lch[None].astype("float32"), "lch"))[0] * 255
    for chromatic_only in (False, True):
        layer = AnnealedMean("lch", temperature=1.0, chromatic_only=chromatic_only, class_colors=np.tile(lch, (512, 1)))
        np.testing.assert_allclose(_np(layer(logits)).reshape(-1, 3), np.tile(expected, (25, 1)), atol=0.01)


def test_the_layer_round_trips_its_class_colors_through_its_config():
    colors = np.tile([12.5, 100.0, 250.0], (512, 1))
    layer = AnnealedMean("rgb", class_colors=colors)
    again = AnnealedMean.from_config(layer.get_config())
    np.testing.assert_array_equal(again.class_colors, colors)
    assert AnnealedMean("rgb").get_config()["class_colors"] is None


@pytest.mark.parametrize(
    "colors, message",
    [
        (np.zeros((511, 3)), "512 rows of 3 values"),
        (np.full((512, 3), np.nan), "finite values in 0..255"),
        (np.full((512, 3), 256.0), "finite values in 0..255"),
        ([["a", "b", "c"]] * 512, "must be numbers"),
    ],
)
def test_malformed_class_colors_are_refused(colors, message):
    with pytest.raises(ColorizeError, match=message):
        AnnealedMean("rgb", class_colors=colors)


def test_class_means_of_pixels():
    # RGB: two pixels in class 0, one in the white class, nothing elsewhere.
    scaled = np.array([[4.0, 8.0, 12.0], [6.0, 10.0, 20.0], [250.0, 252.0, 254.0]])
    counts, sums = annealed_mean.class_sums(scaled, "rgb")
    assert counts.sum() == 3 and counts[0] == 2 and counts[511] == 1
    means = annealed_mean.class_means(counts, sums, "rgb")
    np.testing.assert_allclose(means[0], [5.0, 9.0, 16.0])
    np.testing.assert_allclose(means[511], [250.0, 252.0, 254.0])
    centres = color.bin_centers("rgb")
    np.testing.assert_array_equal(means[1:511], centres[1:511])  # never seen: the bin centre


def test_lch_class_means_average_the_hue_on_the_circle():
    # Two pixels of one class whose hues are 1 and 31 (scale 0..255): the mean is 16.
    scaled = np.array([[100.0, 100.0, 1.0], [110.0, 110.0, 31.0]])
    counts, sums = annealed_mean.class_sums(scaled, "lch")
    (q,) = np.flatnonzero(counts)
    means = annealed_mean.class_means(counts, sums, "lch")
    np.testing.assert_allclose(means[q], [105.0, 105.0, 16.0], atol=1e-9)


def test_recorded_class_colors(tmp_path):
    assert annealed_mean.recorded_class_colors(str(tmp_path)) is None  # no decoding.json
    runs.write_decoding(str(tmp_path), {"temperature": 0.5})
    assert annealed_mean.recorded_class_colors(str(tmp_path)) is None
    runs.write_decoding(str(tmp_path), {annealed_mean.CLASS_COLORS: [[1.0, 2.0, 3.0]] * 512})
    np.testing.assert_array_equal(annealed_mean.recorded_class_colors(str(tmp_path)), [[1.0, 2.0, 3.0]] * 512)
    runs.write_decoding(str(tmp_path), {annealed_mean.CLASS_COLORS: [[1.0, 2.0]] * 512})
    with pytest.raises(ColorizeError, match=r"decoding\.json: class colors must be 512 rows of 3 values"):
        annealed_mean.recorded_class_colors(str(tmp_path))


RED = [200.0, 40.0, 40.0]  # every class's mean: any probabilities decode to it


@pytest.fixture(scope="module")
def red_run(run_dir, tmp_path_factory):
    """A copy of the tiny (RGB) run whose recorded class means are all `RED`."""
    copy = tmp_path_factory.mktemp("red") / "run"
    shutil.copytree(run_dir, copy)
    runs.write_decoding(str(copy), {annealed_mean.CLASS_COLORS: [RED] * 512})
    return str(copy)


def test_predict_the_savedmodel_and_evaluate_decode_to_the_recorded_class_means(red_run, tmp_path):
    from colorize.evaluation import evaluator  # noqa: PLC0415 (TensorFlow)
    from colorize.inference import coloring  # noqa: PLC0415
    from colorize.serving import saved_model  # noqa: PLC0415

    sketch = np.full((64, 64), 255, np.uint8)
    sketch[20:44, 30] = 0
    model = coloring.Model(red_run)
    np.testing.assert_allclose(model.color(sketch).reshape(-1, 3), np.tile(RED, (64 * 64, 1)), atol=0.01)
    # The export keeps them as constants of its graph.
    exported = coloring.Model(saved_model.export(red_run, str(tmp_path / "export")))
    np.testing.assert_allclose(exported.color(sketch).reshape(-1, 3), np.tile(RED, (64 * 64, 1)), atol=0.01)
    # Given class means override the recorded ones.
    centres = coloring.Model(red_run, class_colors=color.bin_centers("rgb"))
    assert np.abs(centres.color(sketch) - RED).max() > 5.0
    # evaluate: the prediction is RED times the sketch / 255 (the untrained net's own colors are gray).
    result = evaluator.evaluate_run(red_run, split="test", max_examples=2, progress=False)
    red_chroma = metrics.rgb_to_lch(np.array(RED))[1]
    assert 0.8 * red_chroma < result["metrics"]["chroma"] <= red_chroma + 0.5


def test_class_colors_of_a_dataset_keep_each_class_in_its_bin(run_dir):
    from experiments import calibrate_decoding  # noqa: PLC0415 (TensorFlow)

    config = runs.load_config(run_dir)
    colors, record = calibrate_decoding.class_colors(config, count=4)
    assert record["class_colors_from"] == f"{config.dataset} train, 4 windows at {config.image_size // 4} px"
    assert colors.shape == (512, 3)
    bins = color.class_bins()
    low, high = bins * color.BIN_WIDTH, (bins + 1) * color.BIN_WIDTH
    assert np.all((colors >= low) & (colors <= high))  # a mean of values in a bin stays in it
    assert np.any(np.abs(colors - color.bin_centers("rgb")) > 1.0)  # and the seen classes moved off the centre
    assert record[annealed_mean.CLASS_COLORS] == np.round(colors, 3).tolist()


def test_calibrate_decoding_records_the_class_means_and_keeps_them(red_run, tmp_path):
    from experiments import calibrate_decoding  # noqa: PLC0415 (TensorFlow)

    run = tmp_path / "run"
    shutil.copytree(red_run, run)
    argv = [str(run), "--split", "test", "--max-examples", "2", "--temperatures", "1", "--thresholds", "0.3"]
    assert calibrate_decoding.main([*argv, "--class-means", "3", "--write"]) == 0
    recorded = json.loads((run / runs.DECODING).read_text())
    assert "3 windows" in recorded["class_colors_from"]
    measured = recorded[annealed_mean.CLASS_COLORS]
    assert measured != [RED] * 512
    assert calibrate_decoding.main([*argv, "--write"]) == 0  # chosen again, decoding to the recorded means
    again = json.loads((run / runs.DECODING).read_text())
    assert again[annealed_mean.CLASS_COLORS] == measured and again["temperature"] == 1.0
