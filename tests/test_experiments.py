"""The paper experiment end to end on the tiny preset, and its figures and
table from hand-made results."""

import json
import os

import numpy as np
import pytest
from PIL import Image

from colorize import runs as colorize_runs
from colorize.evaluation import evaluator
from experiments import paper


def _check_figures(out):
    for name in paper.FIGURES:
        path = os.path.join(out, name)
        with Image.open(path) as img:
            assert img.format == "PNG" and min(img.size) >= 200, name
        assert os.path.getsize(path) < 300 * 1024, name


@pytest.mark.slow
def test_tiny_experiment_trains_evaluates_draws_and_redraws(tiny_data_dir, tmp_path, capsys):
    out, runs = str(tmp_path / "out"), str(tmp_path / "runs")
    argv = ["--preset", "tiny", "--data-dir", tiny_data_dir, "--variants", "regression,lch"]
    argv += ["--out", out, "--runs-dir", runs, "--samples", "3", "--max-examples", "6"]
    assert paper.main(argv) == 0
    _check_figures(out)
    with open(os.path.join(out, paper.RESULTS)) as f:
        results = json.load(f)
    assert list(results["variants"]) == ["regression", "lch"]
    assert (results["preset"], results["dataset"], results["image_size"]) == (
        "tiny",
        "sketch_colorization/synthetic_tiny",
        64,
    )
    for variant, entry in results["variants"].items():
        assert entry["run_dir"] == os.path.join(runs, variant)
        assert entry["train_seconds"] > 0 and entry["steps"] == 4  # tiny: 1 epoch x 4 steps
        # The saved numbers are those of colorize.evaluate on that run.
        direct = evaluator.evaluate_run(entry["run_dir"], max_examples=6, progress=False)["metrics"]
        for name, value in direct.items():
            assert entry["evaluation"]["metrics"][name] == pytest.approx(value, rel=1e-6, abs=1e-9), (variant, name)
    assert results["samples"] == os.path.join(runs, paper.SAMPLES)  # big: next to the runs
    assert sorted(os.listdir(out)) == sorted([*paper.FIGURES, paper.RESULTS, paper.TABLE])
    with np.load(results["samples"]) as s:
        assert s["sketch"].shape == (3, 64, 64, 1) and s["truth"].shape == (3, 64, 64, 3)
        assert s["prediction_regression"].shape == s["prediction_lch"].shape == (3, 64, 64, 3)
    table = open(os.path.join(out, paper.TABLE)).read()
    assert "| Regression |" in table and "| LCH |" in table

    # Rerunning does not retrain (the runs are finished) and keeps the time.
    model = colorize_runs.model_path(os.path.join(runs, "lch"))
    mtime = os.path.getmtime(model)
    for name in paper.FIGURES:
        os.remove(os.path.join(out, name))
    capsys.readouterr()
    assert paper.main(argv + ["--redraw"]) == 0
    _check_figures(out)
    assert "== " not in capsys.readouterr().out  # --redraw neither trains nor evaluates
    assert paper.main(argv) == 0
    assert "already trained" in capsys.readouterr().out
    assert os.path.getmtime(model) == mtime
    with open(os.path.join(out, paper.RESULTS)) as f:
        again = json.load(f)
    for variant in results["variants"]:
        assert again["variants"][variant]["train_seconds"] == results["variants"][variant]["train_seconds"]


def _fake_results(tmp_path):
    """Results of five variants with known numbers, and their samples."""
    rng = np.random.default_rng(0)
    variants = {}
    for i, name in enumerate(paper.LABELS):
        m = {
            key: 10.0 * (i + 1)
            for key in ("chroma", "mse_r", "mse_g", "mse_b", "mse_l", "mse_c", "hue_error", "hue_mse", "psnr")
        }
        m.update(chroma_true=20.0, chroma_ratio=m["chroma"] / 20.0, ssim=0.5, mse_rgb=m["mse_r"])
        variants[name] = dict(run_dir=name, train_seconds=60.0 * (i + 1), evaluation=dict(metrics=m))
    variants["chroma"]["evaluation"]["metrics"]["hue_mse"] = None
    samples = dict(
        sketch=rng.integers(0, 256, (2, 32, 32, 1), dtype=np.uint8),
        truth=rng.integers(0, 256, (2, 32, 32, 3), dtype=np.uint8),
    )
    for name in paper.LABELS:
        samples[f"prediction_{name}"] = rng.integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    out = str(tmp_path / "out")
    os.makedirs(out)
    results = dict(preset="tiny", split="test", samples=str(tmp_path / "runs" / paper.SAMPLES), variants=variants)
    paper._write_results(out, results, samples)
    return out


def test_redraw_from_saved_results_and_the_table(tmp_path, capsys):
    out = _fake_results(tmp_path)
    assert paper.main(["--redraw", "--out", out]) == 0
    _check_figures(out)
    # Fig. 6 has a row per method: sketch, five variants, ground truth.
    with Image.open(os.path.join(out, "fig6_samples.png")) as img:
        assert img.size[1] > img.size[0]  # 7 rows of 2 images: taller than wide
    table = paper.markdown_table(json.load(open(os.path.join(out, paper.RESULTS)))).splitlines()
    assert len(table) == 2 + 5
    assert table[2].startswith(
        "| Regression | 10.00 | 20.00 | 0.50 | 10 | 10 | 10 | 10.0 | 10.0 | 10.0 | 10 | 10.00 | 0.500 | 1.0 min |"
    )
    assert table[6].startswith("| Chroma loss | 50.00 | 20.00 | 2.50 |") and "| n/a |" in table[6]
    assert "| Regression |" in capsys.readouterr().out

    # Without its samples, --redraw still draws the charts, not Fig. 6.
    os.remove(str(tmp_path / "runs" / paper.SAMPLES))
    for name in paper.FIGURES:
        os.remove(os.path.join(out, name))
    assert paper.main(["--redraw", "--out", out]) == 0
    assert "not redrawing" in capsys.readouterr().out
    assert sorted(os.listdir(out)) == sorted([*paper.FIGURES[1:], paper.RESULTS, paper.TABLE])


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--variants", "regression,nope"], "--variants: unknown ['nope']"),
        (["--preset", "huge"], "unknown preset 'huge'"),
        (["--samples", "0"], "--samples must be positive"),
        (["--redraw", "--out", "{tmp}"], "no results.json to draw from"),
    ],
)
def test_bad_flags_are_one_line_errors(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as e:
        paper.main([a.format(tmp=tmp_path) for a in argv])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
