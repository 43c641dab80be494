"""The two honest baselines of an evaluation, on hand-computed images: the
bare sketch's PSNR and the share of white background kept white."""

import math

import numpy as np
import pytest

from colorize.errors import ColorizeError
from colorize.evaluation import metrics

import helpers


def _image(rows, size=8):
    """(1, size, size, 3) uint8: `rows` is a list of (row count, RGB)."""
    img = np.concatenate([np.tile(np.array(rgb, np.uint8), (n, size, 1)) for n, rgb in rows])
    assert img.shape == (size, size, 3)
    return img[np.newaxis]


def test_white_kept_counts_white_truth_pixels_that_stay_white():
    # Truth: 4 white rows over 4 red rows. Output: the white rows become
    # white, white, light gray 230 (L = 91.3 > 85, C = 0: still white) and
    # gray 200 (L = 80.6 < 85: no longer white); red rows become white, which
    # does not count (their truth is not white). 24 of 32 white pixels kept.
    truth = _image([(4, (255, 255, 255)), (4, (255, 0, 0))])
    pred = _image([(2, (255, 255, 255)), (1, (230, 230, 230)), (1, (200, 200, 200)), (4, (255, 255, 255))])
    lch = metrics.rgb_to_lch(np.array([[230, 230, 230], [200, 200, 200]]))
    np.testing.assert_allclose(lch[:, 0], [91.29, 80.60], atol=0.01)  # worked by hand from the sRGB curve
    assert helpers.metrics_of(pred, truth)["white_kept"] == 0.75


def test_white_bounds_are_strict_and_about_chroma_too():
    # L > 92 and C < 6 in the truth; L > 85 and C < 12 in the output.
    lch = np.array([[92.0, 0.0, 0.0], [92.1, 5.9, 0.0], [99.0, 6.0, 0.0], [86.0, 11.9, 0.0], [86.0, 12.0, 0.0]])
    assert metrics.white_mask(lch, metrics.WHITE_TRUE).tolist() == [False, True, False, False, False]
    assert metrics.white_mask(lch, metrics.WHITE_KEPT).tolist() == [True, True, True, True, False]
    # Pale yellow paper (255, 255, 200): L = 98.8 but C = 27.7, not white.
    yellow = metrics.rgb_to_lch(np.array([255, 255, 200]))
    assert yellow[0] > 92 and yellow[1] > 12
    truth = _image([(8, (255, 255, 200))])
    assert helpers.metrics_of(truth, truth)["white_kept"] is None  # no white in the truth


def test_the_bare_sketch_psnr_is_the_sketch_as_gray_rgb():
    # A white sketch against yellow (255, 255, 0): only B differs, by 255, so
    # the MSE over the three channels is 255^2 / 3 and PSNR = 10 log10(3).
    truth = _image([(8, (255, 255, 0))])
    sketch = np.full((1, 8, 8, 1), 255, np.uint8)
    m = helpers.metrics_of(truth, truth, sketch=sketch)
    assert m["psnr_sketch"] == pytest.approx(10 * math.log10(3), abs=1e-9)
    assert m["psnr"] == metrics.PSNR_CAP  # the prediction itself is perfect
    # Half the sketch black (lines): those 32 pixels are off by 255 in R and G
    # and 0 in B, the others by 255 in B: MSE = (32 * 2 + 32) * 255^2 / (64 * 3).
    sketch[0, 4:] = 0
    mse = (32 * 2 + 32) * 255.0**2 / (64 * 3)
    expected = 10 * math.log10(255.0**2 / mse)
    assert helpers.metrics_of(truth, truth, sketch=sketch)["psnr_sketch"] == pytest.approx(expected, abs=1e-9)
    assert helpers.metrics_of(truth, truth)["psnr_sketch"] is None  # no sketch given


def test_streaming_gives_the_figures_of_the_whole_batch():
    rng = np.random.default_rng(0)
    truth = rng.integers(200, 256, (4, 8, 8, 3), dtype=np.uint8)
    pred = rng.integers(150, 256, (4, 8, 8, 3), dtype=np.uint8)
    sketch = rng.integers(0, 256, (4, 8, 8, 1), dtype=np.uint8)
    acc = metrics.MetricAccumulator()
    acc.update(pred[:1], truth[:1], sketch[:1])
    acc.update(pred[1:], truth[1:], sketch[1:])
    whole = helpers.metrics_of(pred, truth, sketch)
    for name in ("psnr_sketch", "white_kept"):
        assert whole[name] is not None and acc.result()[name] == pytest.approx(whole[name], rel=1e-12)


def test_a_sketch_of_another_size_is_an_error():
    truth = _image([(8, (255, 255, 255))])
    with pytest.raises(ColorizeError, match="sketch shape"):
        helpers.metrics_of(truth, truth, sketch=np.zeros((1, 8, 9, 1), np.uint8))
