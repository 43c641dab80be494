"""The PSNR-vs-hints experiment on the tiny run: its files, their structure,
and the baselines' numbers."""

import json
import os

import numpy as np
import pytest
from PIL import Image

from colorize.errors import ColorizeError
from colorize.evaluation import evaluator, metrics
from colorize.inference import coloring
from experiments import hints_curve

COUNTS = [0, 2, 10]


@pytest.fixture(scope="module")
def curve(run_dir, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("hints_curve"))
    argv = [run_dir, "--out", out, "--max-examples", "4", "--counts", "10,0,2", "--samples", "2", "--batch-size", "4"]
    argv.append("--fill")
    assert hints_curve.main(argv) == 0
    with open(os.path.join(out, hints_curve.RESULTS)) as f:
        return out, json.load(f)


def test_results_hold_every_curve(curve, run_dir, capsys):
    out, results = curve
    assert results["counts"] == COUNTS and results["split"] == "test" and results["hint_seed"] == evaluator.HINT_SEED
    assert results["dataset"] == "sketch_colorization/synthetic_tiny"
    (name, run), (size, baseline) = *results["runs"].items(), *results["baselines"].items()
    assert name == os.path.basename(run_dir) and run["variant"] == "rebalance" and run["hints_trained"]
    assert size == "64" and run["image_size"] == baseline["image_size"] == 64
    assert run["examples"] == baseline["examples"] == 4
    for entry in (run, baseline):
        assert len(entry["psnr"]) == len(entry["ssim"]) == len(entry["metrics"]) == len(COUNTS)
        assert all(0 < p < metrics.PSNR_CAP for p in entry["psnr"])
        assert [m["psnr"] for m in entry["metrics"]] == entry["psnr"]
    # Everyone is measured on the same images: one bare-sketch PSNR.
    assert run["psnr_sketch"] == pytest.approx(baseline["psnr_sketch"]) == pytest.approx(results["psnr_sketch"])
    # The baseline without hints is the bare sketch itself ...
    assert baseline["psnr"][0] == pytest.approx(baseline["psnr_sketch"], abs=1e-9)
    # ... and the hints (the ground truth's colors) raise it.
    assert baseline["psnr"][2] > baseline["psnr"][0] + 1.0
    assert baseline["psnr"][1] >= baseline["psnr"][0]

    # As predict outputs it: without hints, `colorize_array` of each sketch; the
    # same images, so the same bare sketch.
    sample = evaluator.sample_predictions(run_dir, 4, "test")
    model = coloring.Model(run_dir)
    own = np.stack([coloring.colorize_array(s, model, normalize="off")["rgb"] for s in sample["sketch"][..., 0]])
    acc = metrics.MetricAccumulator()
    acc.update(own, sample["truth"], sample["sketch"])
    assert len(run["fill_psnr"]) == len(COUNTS) and run["fill_psnr"][0] == pytest.approx(acc.result()["psnr"], abs=1e-6)
    assert all(m["psnr_sketch"] == pytest.approx(run["psnr_sketch"]) for m in run["fill_metrics"])

    with open(os.path.join(out, hints_curve.TABLE)) as f:
        table = f.read()
    assert f"| {name} + region fill | 64 |" in table
    assert "| method | px | 0 hints | 2 hints | 10 hints |" in table
    assert f"| flood fill | 64 | {baseline['psnr'][0]:.2f} | {baseline['psnr'][1]:.2f} |" in table
    with Image.open(os.path.join(out, hints_curve.CURVE)) as img:
        assert img.size[0] > 300
    # The grid: 2 images in rows, sketch | hints | flood fill | run | truth.
    with Image.open(os.path.join(out, "samples_hints10.png")) as img:
        width, height = img.size
    assert width > 1.5 * height


def test_baseline_gets_the_hints_the_network_gets(run_dir):
    config = hints_curve.eval_config(run_dir)
    sketch, hint_rgb, hint_mask, truth = next(hints_curve.baseline_examples(config, "test", 5, max_examples=3))
    samples = evaluator.sample_predictions(run_dir, 3, hints=5)
    np.testing.assert_array_equal(hint_mask, samples["hint_mask"][..., 0] > 0.5)
    np.testing.assert_array_equal(hint_rgb, np.rint(samples["hint_color"]).astype(np.uint8))
    np.testing.assert_array_equal(sketch, samples["sketch"][..., 0])
    np.testing.assert_array_equal(truth, samples["truth"])
    assert hint_mask.any(axis=(1, 2)).all()


def test_redraw_and_bad_flags(curve, run_dir, capsys):
    out, results = curve
    os.remove(os.path.join(out, hints_curve.CURVE))
    assert hints_curve.main([run_dir, "--out", out, "--redraw"]) == 0
    assert os.path.exists(os.path.join(out, hints_curve.CURVE))
    assert "| flood fill | 64 |" in capsys.readouterr().out
    for argv, message in (
        ([run_dir, "--counts", "0,x"], "--counts must be comma-separated whole numbers"),
        ([run_dir, "--counts=-1,2"], "--counts must be numbers >= 0"),
        ([run_dir, "--samples", "0"], "--samples must be >= 1"),
    ):
        with pytest.raises(ColorizeError, match=message):
            hints_curve.parse_args(argv)
    with pytest.raises(SystemExit) as e:
        hints_curve.main([run_dir, "--out", os.path.join(out, "empty"), "--redraw"])
    assert e.value.code == 2 and "no results to redraw" in capsys.readouterr().err
