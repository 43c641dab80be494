"""Averaging over the mirror image (`coloring.Model(flip_average=True)`,
predict's default): `color` and the region evidence are the mean of the
network's output on the drawing and, mirrored back, on its mirror image,
hints mirrored with it; `--flip-average off` is one pass."""

import cv2
import numpy as np
import pytest

from colorize import predict
from colorize.inference import coloring

import helpers


def _drawing():
    """An asymmetric drawing, 96 x 128: a circle left, a box right."""
    img = np.full((96, 128), 255, np.uint8)
    cv2.circle(img, (35, 50), 22, 0, 2)
    cv2.rectangle(img, (75, 20), (120, 80), 0, 2)
    return img


@pytest.mark.parametrize("variant", ["rebalance", "lch"])
def test_color_is_the_mean_over_the_drawing_and_its_mirror_image(tiny_run, variant):
    run_dir = tiny_run(variant)
    one = coloring.Model(run_dir, flip_average=False)
    both = coloring.Model(run_dir)
    assert both.flip_average and coloring.FLIP_AVERAGE
    sketch = _drawing()
    hint_rgb = np.zeros((96, 128, 3), np.uint8)
    hint_mask = np.zeros((96, 128), bool)
    hint_rgb[45:55, 30:40], hint_mask[45:55, 30:40] = (220, 30, 40), True  # a dab in the circle only
    for hints in ((None, None), (hint_rgb, hint_mask)):
        plain = one.color(sketch, *hints)
        plain_evidence = one.evidence
        mirrored = one.color(
            np.ascontiguousarray(sketch[:, ::-1]),
            *(None if h is None else np.ascontiguousarray(h[:, ::-1]) for h in hints),
        )
        mirrored_evidence = one.evidence
        averaged = both.color(sketch, *hints)
        np.testing.assert_allclose(averaged, (plain + mirrored[:, ::-1]) / 2.0, atol=1e-3)
        if variant == "lch":  # the tiny rebalance run paints one gray; this one is not mirror-symmetric
            assert np.abs(plain - mirrored[:, ::-1]).max() > 0.5
        # The evidence of region decisions is averaged alike.
        for a, p, m in zip(both.evidence, plain_evidence, mirrored_evidence, strict=True):
            np.testing.assert_allclose(a, (p + m[:, ::-1]) / 2.0, atol=1e-4)


def test_predict_takes_flip_average_off(tiny_run, tmp_path):
    run_dir = tiny_run("lch")
    cv2.imwrite(str(tmp_path / "d.png"), _drawing())
    rgb = cv2.cvtColor(_drawing(), cv2.COLOR_GRAY2RGB)
    for flag, flip in (("on", True), ("off", False)):
        argv = [str(tmp_path / "d.png"), "-o", str(tmp_path / flag), "--model", run_dir, "--flip-average", flag]
        assert predict.main([*argv, "--upsample", "bilinear"]) == 0
        written = cv2.cvtColor(cv2.imread(str(tmp_path / flag / "d.png")), cv2.COLOR_BGR2RGB)
        model = coloring.Model(run_dir, flip_average=flip)
        np.testing.assert_array_equal(written, coloring.colorize_array(rgb, model, upsample="bilinear")["rgb"])
    on, off = (cv2.imread(str(tmp_path / flag / "d.png")).astype(int) for flag in ("on", "off"))
    assert np.abs(on - off).max() > 0  # the flag mattered


def test_the_experiment_measures_one_pass_against_the_average(tiny_run, tmp_path):
    from experiments import calibrate_decoding, flip_average  # noqa: PLC0415 (TensorFlow)

    run_dir = tiny_run("lch")
    record = helpers.run_sweep(flip_average, run_dir, tmp_path)
    assert set(record["results"]) == {"one pass", "mirror averaged"}
    # Each row is what `measure` gives with the model's flip_average set so.
    config, model, examples = calibrate_decoding.open_model(run_dir, "test", 3)
    temperature, threshold = calibrate_decoding.recorded_decoding(run_dir, config)
    model.flip_average = False
    expected = calibrate_decoding.measure_one(model, examples, temperature, threshold)
    assert record["results"]["one pass"]["none"]["psnr"] == pytest.approx(expected["psnr"], abs=1e-6)
