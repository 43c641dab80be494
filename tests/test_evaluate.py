"""Evaluation of a tiny trained run: the numbers agree with the metrics
computed independently on the colorizer's output, for any batch size."""

import json
import os

import numpy as np
import pytest

from colorize import evaluate, runs
from colorize.data import pipeline
from colorize.evaluation import evaluator, metrics
from colorize.nets import models, trained

import helpers

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# How far the figures of one set of images may move with the batch size.
# The metrics themselves are float64 sums of uint8 values and exact; what
# moves is the network's float32 output, whose kernels sum in another order
# for another batch size (measured: at most 2e-4 gray levels apart between
# batches of 2 and of 5). Rounded to uint8, a value lying that close to a
# half step flips by one gray level. One flip changes a channel's MSE over
# the 5 * 64 * 64 = 20480 pixels by (2 |error| + 1) / 20480: the one seen
# failing a 1e-6 tolerance (3142.6236 against 3142.6196, 1.3e-6 relative) was
# a single pixel 40 gray levels off. 1e-4 relative allows a few such flips;
# a wrong, missing or repeated image moves every figure by percents.
BATCH_RTOL = 1e-4


@pytest.fixture(scope="module")
def run_dir(tiny_run):
    return tiny_run("chroma")


def test_metrics_match_the_colorizer_output_computed_directly(run_dir):
    result = evaluator.evaluate_run(run_dir, max_examples=5, batch_size=2, progress=False)
    assert (result["variant"], result["split"], result["sketch"], result["examples"]) == ("chroma", "test", "line", 5)
    assert result["metrics"]["images"] == 5 and result["metrics"]["pixels"] == 5 * 64 * 64
    # The baselines are there: the bare sketch scores some PSNR, and white kept is a share.
    assert 0 < result["metrics"]["psnr_sketch"] < metrics.PSNR_CAP
    assert result["metrics"]["white_kept"] is None or 0 <= result["metrics"]["white_kept"] <= 1

    # Independently: the first 5 test examples through the colorizer,
    # rounded to uint8 as a saved PNG, then the metrics.
    config, net = trained.load_net(run_dir)
    colorizer = models.build_colorizer(net, config.space, config.temperature)
    sketch, truth = next(
        iter(pipeline.make_dataset(config.replace(sketch="line"), "test", training=False, batch_size=5))
    )
    pred = np.clip(np.round(colorizer(sketch, training=False).numpy()), 0, 255).astype(np.uint8)
    expected = helpers.metrics_of(pred, truth.numpy(), sketch=sketch.numpy())
    for name, value in expected.items():
        assert result["metrics"][name] == pytest.approx(value, rel=BATCH_RTOL, abs=1e-9), name

    # Batching does not change the numbers.
    again = evaluator.evaluate_run(run_dir, max_examples=5, batch_size=5, progress=False)
    for name, value in result["metrics"].items():
        assert again["metrics"][name] == pytest.approx(value, rel=BATCH_RTOL, abs=1e-9), name


def test_samples_are_masked_by_the_sketch_and_binary_sketches_are_binary(run_dir):
    line = evaluator.sample_predictions(run_dir, 3)
    assert line["sketch"].shape == (3, 64, 64, 1) and line["prediction"].shape == line["truth"].shape == (3, 64, 64, 3)
    assert line["prediction"].dtype == np.uint8
    # Output = color * sketch / 255 <= sketch (+ rounding): lines are dark.
    assert np.all(line["prediction"].astype(int) <= line["sketch"].astype(int) + 1)
    binary = evaluator.sample_predictions(run_dir, 3, sketch="binary")
    assert np.any(binary["sketch"] != line["sketch"])
    # 0/255 sketches shrunk 256 -> 64 px by area averaging: 17 gray levels.
    assert set(np.unique(binary["sketch"]).tolist()) <= {int(np.round(255 * k / 16)) for k in range(17)}
    np.testing.assert_array_equal(binary["truth"], line["truth"])  # same test images
    result = evaluator.evaluate_run(run_dir, sketch="binary", max_examples=3, progress=False)
    assert result["sketch"] == "binary" and result["metrics"]["images"] == 3


def test_cli_prints_a_table_and_writes_json(run_dir, capsys):
    assert evaluate.main([run_dir, "--max-examples", "4", "--batch-size", "4"]) == 0
    out = capsys.readouterr().out
    assert "mean CIE-LCH chroma of the output" in out
    assert "evaluated 4/4 images of test" in out and "img/s" in out  # the progress line
    path = os.path.join(run_dir, "eval_test_line.json")
    with open(path) as f:
        result = json.load(f)
    assert result["examples"] == 4 and set(result["metrics"]) >= {name for name, _, _ in metrics.METRICS}
    assert f"wrote {path}" in out


def test_one_source_is_evaluated_alone(run_dir, capsys):
    # synthetic_tiny has one source: its figures are those of the whole split.
    whole = evaluator.evaluate_run(run_dir, max_examples=4, batch_size=2, progress=False)
    assert evaluate.main([run_dir, "--max-examples", "4", "--batch-size", "2", "--source", "synthetic"]) == 0
    out = capsys.readouterr().out
    assert "(source synthetic)" in out
    with open(os.path.join(run_dir, "eval_test_line_synthetic.json")) as f:
        result = json.load(f)
    assert result["source"] == "synthetic" and result["examples"] == 4
    assert result["metrics"] == pytest.approx(whole["metrics"], rel=BATCH_RTOL)


def test_hints_are_sampled_from_the_ground_truth_and_evaluated_with_the_guided_colorizer(run_dir):
    result = evaluator.evaluate_run(run_dir, max_examples=4, batch_size=2, hints=5, progress=False)
    assert result["hints"] == 5 and result["examples"] == 4
    # Independently: the same hints (the fixed evaluation seed, keyed on the
    # image's position) through the guided colorizer.
    config, net = trained.load_net(run_dir)
    assert models.uses_hints(net)  # new runs train with hints
    guided = models.build_guided_colorizer(net, config.space, config.temperature)
    batches = pipeline.make_dataset(
        config, "test", training=False, batch_size=4, hints=True, hint_count=5, hint_seed=evaluator.HINT_SEED
    )
    inputs, truth = next(iter(batches))
    pred = np.clip(np.round(guided(inputs, training=False).numpy()), 0, 255).astype(np.uint8)
    expected = helpers.metrics_of(pred, truth.numpy(), sketch=inputs["sketch"].numpy())
    for name, value in expected.items():
        assert result["metrics"][name] == pytest.approx(value, rel=BATCH_RTOL, abs=1e-9), name
    # The samples carry their hints: 5 patches per image (64 px: sides 1-2,
    # possibly overlapping), so 1 to 20 hinted pixels.
    samples = evaluator.sample_predictions(run_dir, 3, hints=5)
    np.testing.assert_array_equal(samples["hint_mask"], inputs["hint_mask"].numpy()[:3])
    hinted = samples["hint_mask"].sum(axis=(1, 2, 3))
    assert np.all((hinted >= 1) & (hinted <= 20))


def test_cli_hints_write_their_own_json(run_dir, capsys):
    assert evaluate.main([run_dir, "--max-examples", "2", "--hints", "3"]) == 0
    out = capsys.readouterr().out
    assert "3 hints" in out
    with open(os.path.join(run_dir, "eval_test_line_hints3.json")) as f:
        assert json.load(f)["hints"] == 3


def test_hints_on_a_run_trained_without_them_is_a_one_line_error(run_dir, tmp_path, capsys):
    config = runs.load_config(run_dir).replace(hints=False, palette=False)
    plain = str(tmp_path / "plain")
    os.makedirs(plain)
    runs.save_config(config, plain)
    trained.save_net(models.build_net(config.model, width=config.width), plain)
    for argv, message in (
        ([plain, "--hints", "2"], "trained without hints"),
        ([run_dir, "--hints", "-1"], "--hints must be >= 0"),
    ):
        with pytest.raises(SystemExit) as e:
            evaluate.main(argv)
        assert e.value.code == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["{tmp}/missing"], "no such run directory"),
        (["{tmp}"], "not a run directory"),
        (["{run}", "--sketch", "mix"], "--sketch must be one of line, binary"),
        (["{run}", "--max-examples", "0"], "--max-examples must be positive"),
        (["{run}", "--split", "nope"], "has no split 'nope'"),
        (["{run}", "--source", "nope"], "has no windows of source 'nope' (it has: synthetic ("),
        (["{run}", "--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_input_is_one_line_error(run_dir, tmp_path, capsys, argv, message):
    argv = [a.format(tmp=tmp_path, run=run_dir) for a in argv]
    with pytest.raises(SystemExit) as e:
        evaluate.main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
