"""`experiments.decoding_alternatives`: other decodings of one network,
each measured as `predict` colors, and every change undone after it."""

import numpy as np
import pytest

from colorize.inference import coloring, fullres

import helpers


def test_every_alternative_is_measured_and_undone(tiny_run, tmp_path):
    from experiments import calibrate_decoding, decoding_alternatives  # noqa: PLC0415 (TensorFlow)

    run_dir = tiny_run("lch")
    record = helpers.run_sweep(decoding_alternatives, run_dir, tmp_path)
    rows = {name: row["none"] for name, row in record["results"].items()}  # the tiny run records no threshold
    assert {"as recorded", "chroma x1.4", "prior correction 1", "flat up to 30/60", "as recorded, again"} <= set(rows)
    config, model, examples = calibrate_decoding.open_model(run_dir, "test", 3)
    temperature, threshold = calibrate_decoding.recorded_decoding(run_dir, config)
    others = {f"temperature {t:g}" for t in decoding_alternatives.TEMPERATURES if t != temperature}
    assert others and others <= set(rows)
    # The first row is predict's decoding; the last, measured after every change, is the same.
    expected = calibrate_decoding.measure_one(model, examples, temperature, threshold)
    for name in ("as recorded", "as recorded, again"):
        assert rows[name]["psnr"] == pytest.approx(expected["psnr"], abs=1e-9)
    # A chroma gain over 1 makes the colors more saturated.
    assert rows["chroma x1.4"]["chroma"] > rows["as recorded"]["chroma"]
    assert (fullres.FLAT_BELOW, fullres.SMOOTH_ABOVE) == (8.0, 24.0)


def test_the_prior_correction_shifts_the_logits_by_minus_beta_log_w(tiny_run):
    from experiments import decoding_alternatives  # noqa: PLC0415 (TensorFlow)

    run_dir = tiny_run("lch")
    model = coloring.Model(run_dir, flip_average=False)
    layer = decoding_alternatives.logits_layer(model)
    bias = layer.bias.numpy().copy()
    weights = decoding_alternatives.training_weights(model_config := _config(run_dir))
    assert weights.shape == (bias.shape[0],) and np.all(weights > 0) and model_config.rebalance
    sketch = np.full((64, 64), 255, np.uint8)
    sketch[16:48, 16] = sketch[16:48, 47] = sketch[16, 16:48] = sketch[47, 16:48] = 0  # a box
    plain = model.color(sketch)
    with decoding_alternatives.prior_correction(model, weights, 1.5):
        np.testing.assert_allclose(layer.bias.numpy(), bias - 1.5 * np.log(weights), rtol=1e-6, atol=1e-6)
        corrected = model.color(sketch)
    np.testing.assert_array_equal(layer.bias.numpy(), bias)  # restored
    assert np.abs(corrected - plain).max() > 0.5
    np.testing.assert_array_equal(model.color(sketch), plain)


def _config(run_dir):
    from experiments import calibrate_decoding  # noqa: PLC0415 (TensorFlow)

    return calibrate_decoding.model_config(run_dir)
