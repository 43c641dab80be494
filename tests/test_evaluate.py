"""Evaluation of a tiny trained run: the numbers agree with the metrics
computed independently on the colorizer's output, for any batch size."""

import json
import os

import numpy as np
import pytest

from colorize import data, evaluate, metrics, train


@pytest.fixture(scope="module")
def run_dir(tiny_run):
    return tiny_run("chroma")


def test_metrics_match_the_colorizer_output_computed_directly(run_dir):
    result = evaluate.evaluate_run(run_dir, max_examples=5, batch_size=2, progress=False)
    assert (result["variant"], result["split"], result["sketch"], result["examples"]) == ("chroma", "test", "line", 5)
    assert result["metrics"]["images"] == 5 and result["metrics"]["pixels"] == 5 * 64 * 64

    # Independently: the first 5 test examples through the colorizer,
    # rounded to uint8 as a saved PNG, then the metrics.
    config, _, colorizer = train.load_run(run_dir)
    sketch, truth = next(iter(data.make_dataset(config.replace(sketch="line"), "test", training=False, batch_size=5)))
    pred = np.clip(np.round(colorizer(sketch, training=False).numpy()), 0, 255).astype(np.uint8)
    expected = metrics.compute_metrics(pred, truth.numpy())
    for name, value in expected.items():
        assert result["metrics"][name] == pytest.approx(value, rel=1e-6, abs=1e-9), name

    # Batching does not change the numbers.
    again = evaluate.evaluate_run(run_dir, max_examples=5, batch_size=5, progress=False)
    for name, value in result["metrics"].items():
        assert again["metrics"][name] == pytest.approx(value, rel=1e-6, abs=1e-9), name


def test_samples_are_masked_by_the_sketch_and_binary_sketches_are_binary(run_dir):
    line = evaluate.sample_predictions(run_dir, 3)
    assert line["sketch"].shape == (3, 64, 64, 1) and line["prediction"].shape == line["truth"].shape == (3, 64, 64, 3)
    assert line["prediction"].dtype == np.uint8
    # Output = color * sketch / 255 <= sketch (+ rounding): lines are dark.
    assert np.all(line["prediction"].astype(int) <= line["sketch"].astype(int) + 1)
    binary = evaluate.sample_predictions(run_dir, 3, sketch="binary")
    assert np.any(binary["sketch"] != line["sketch"])
    # 0/255 sketches shrunk 256 -> 64 px by area averaging: 17 gray levels.
    assert set(np.unique(binary["sketch"]).tolist()) <= {int(np.round(255 * k / 16)) for k in range(17)}
    np.testing.assert_array_equal(binary["truth"], line["truth"])  # same test images
    result = evaluate.evaluate_run(run_dir, sketch="binary", max_examples=3, progress=False)
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


@pytest.mark.parametrize(
    "argv, message",
    [
        (["{tmp}/missing"], "no such run directory"),
        (["{tmp}"], "not a run directory"),
        (["{run}", "--sketch", "mix"], "--sketch must be one of line, binary"),
        (["{run}", "--max-examples", "0"], "--max-examples must be positive"),
        (["{run}", "--split", "nope"], "has no split 'nope'"),
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
