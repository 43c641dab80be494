"""`experiments.decision_ceiling`: the network's colors with paper decided
by the network per pixel, and by the ground truth per region and per pixel."""

import numpy as np
import pytest

from colorize.evaluation import metrics

import helpers


def _drawing():
    """A 64 px box outline on white; the truth: red inside, a white notch in
    the box's corner (paper inside a colored region), white paper outside."""
    sketch = np.full((64, 64), 255, np.uint8)
    sketch[16:48, 16] = sketch[16:48, 47] = sketch[16, 16:48] = sketch[47, 16:48] = 0
    truth = np.full((64, 64, 3), 255, np.uint8)
    truth[17:47, 17:47] = (200, 30, 40)
    truth[17:21, 17:21] = 255  # 16 px of paper in a region mostly of color
    truth[sketch == 0] = 0
    return sketch, truth


def test_truth_decisions_are_exact_and_per_region_keeps_the_majority():
    from experiments import decision_ceiling  # noqa: PLC0415 (TensorFlow)

    sketch, truth = _drawing()
    paper = np.zeros((16, 16), np.float32)  # the network sees no paper anywhere
    chromatic = np.full((16, 16, 3), (40, 90, 200), np.float32)  # and blue everywhere
    predicted = np.zeros((64, 64, 3), np.uint8)
    rows, n_paper, mixed = decision_ceiling.decided_outputs(sketch, truth, predicted, (paper, chromatic))
    white = decision_ceiling.truth_paper(truth)
    assert n_paper == int(white.sum()) and mixed == 16  # the notch: paper in the box, which is mostly red
    np.testing.assert_array_equal(rows[decision_ceiling.PREDICT], predicted)
    by_pixel = rows[decision_ceiling.TRUTH_PIXELS]
    assert (by_pixel[white] == 255).all()
    inside = ~white & (sketch == 255)
    np.testing.assert_array_equal(np.unique(by_pixel[inside].reshape(-1, 3), axis=0), [[40, 90, 200]])
    by_region = rows[decision_ceiling.TRUTH_REGIONS]
    assert (by_region[:8] == 255).all()  # the page outside: a region of paper
    np.testing.assert_array_equal(by_region[18, 18], (40, 90, 200))  # the notch goes with its region's majority
    np.testing.assert_array_equal(by_region[30, 30], (40, 90, 200))
    for t in decision_ceiling.PAPER_MASSES:  # no paper mass anywhere: nothing white but the lines' own
        row = rows[decision_ceiling.network_row(t)]
        np.testing.assert_array_equal(row[sketch == 255], np.broadcast_to((40, 90, 200), row[sketch == 255].shape))
    # The truth per pixel keeps every white pixel white; per region, the notch is lost.
    kept = {}
    for name in (decision_ceiling.TRUTH_PIXELS, decision_ceiling.TRUTH_REGIONS):
        acc = metrics.MetricAccumulator()
        acc.update(rows[name][None], truth[None], sketch[None, ..., None])
        kept[name] = acc.result()["white_kept"]
    assert kept[decision_ceiling.TRUTH_PIXELS] == 1.0
    assert kept[decision_ceiling.TRUTH_REGIONS] == pytest.approx(1.0 - 16 / n_paper)


def test_the_sweep_measures_every_row_and_predict_as_it_colors(tiny_run, tmp_path):
    from experiments import calibrate_decoding, decision_ceiling  # noqa: PLC0415 (TensorFlow)

    run_dir = tiny_run("lch")
    record = helpers.run_sweep(decision_ceiling, run_dir, tmp_path)
    rows = {name: row[decision_ceiling.KEY] for name, row in record["results"].items()}
    names = [decision_ceiling.network_row(t) for t in decision_ceiling.PAPER_MASSES]
    truth = [decision_ceiling.TRUTH_REGIONS, decision_ceiling.TRUTH_PIXELS]
    assert list(rows) == [decision_ceiling.PREDICT, *names, *truth]
    config, model, examples = calibrate_decoding.open_model(run_dir, "test", 3)
    temperature, threshold = calibrate_decoding.recorded_decoding(run_dir, config)
    expected = calibrate_decoding.measure_one(model, examples, temperature, threshold)
    assert rows[decision_ceiling.PREDICT]["psnr"] == pytest.approx(expected["psnr"], abs=1e-9)
    if rows[decision_ceiling.TRUTH_PIXELS]["white_kept"] is not None:
        assert rows[decision_ceiling.TRUTH_PIXELS]["white_kept"] >= rows[decision_ceiling.TRUTH_REGIONS]["white_kept"]
    table = decision_ceiling.markdown_table(record)
    assert table.count("\n| ") == len(rows) + 1  # the header and one line per row


def test_an_export_is_refused_in_one_line(export_dir, capsys):
    from experiments import decision_ceiling  # noqa: PLC0415 (TensorFlow)

    with pytest.raises(SystemExit) as exit_info:
        decision_ceiling.main([export_dir, "--max-examples", "1"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {export_dir}: a run directory or packed model is needed, not an export"]


def test_a_count_of_windows_under_1_is_refused_as_such(run_dir, capsys):
    from experiments import decision_ceiling  # noqa: PLC0415 (TensorFlow)

    for bad in ("0", "-3", "abc"):
        with pytest.raises(SystemExit) as exit_info:
            decision_ceiling.main([run_dir, "--max-examples", bad])
        assert exit_info.value.code == 2
        last = capsys.readouterr().err.strip().splitlines()[-1]
        assert last == f"error: argument --max-examples: expected a whole number of at least 1, not '{bad}'"
