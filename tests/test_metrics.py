"""Metrics against values worked out by hand.

Reference Lab values of the sRGB primaries (D65): red (53.24, 80.09, 67.20),
green (87.73, -86.18, 83.18), blue (32.30, 79.19, -107.86). Hence
chroma sqrt(a^2 + b^2): red 104.55, green 119.78, blue 133.81; hue
atan2(b, a): red 40.00 deg, green 136.02 deg, blue -53.72 = 306.28 deg.
"""

import math

import numpy as np
import pytest

from colorize.errors import ColorizeError
from colorize.evaluation import metrics

import helpers

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)
GRAY, WHITE, BLACK = (128, 128, 128), (255, 255, 255), (0, 0, 0)
C_RED, C_GREEN, C_BLUE = 104.55, 119.78, 133.81
H_RED, H_GREEN, H_BLUE = 40.00, 136.02, 306.28


def image(*colors, size=8):
    """One `(1, size, size, 3)` uint8 image: vertical stripes of equal width."""
    img = np.zeros((1, size, size, 3), np.uint8)
    width = size // len(colors)
    for i, c in enumerate(colors):
        img[0, :, i * width : (i + 1) * width] = c
    return img


def test_chroma_and_hue_of_primaries():
    lch = metrics.rgb_to_lch(np.array([RED, GREEN, BLUE], np.uint8))
    np.testing.assert_allclose(lch[:, 1], [C_RED, C_GREEN, C_BLUE], atol=0.02)
    np.testing.assert_allclose(lch[:, 2], [H_RED, H_GREEN, H_BLUE], atol=0.02)
    # Red vs blue: 306.28 - 40.00 = 266.28, the short way round 93.72 deg.
    assert metrics.hue_difference(H_RED, H_BLUE) == pytest.approx(93.72, abs=1e-9)
    lch_gray = metrics.rgb_to_lch(np.array([GRAY, WHITE, BLACK], np.uint8))
    assert np.all(lch_gray[:, 1] < metrics.GRAY_CHROMA)
    np.testing.assert_allclose(lch_gray[:, 0], [53.585, 100.0, 0.0], atol=0.01)


@pytest.mark.parametrize(
    "h1, h2, expected",
    [
        (359.0, 1.0, 2.0),
        (1.0, 359.0, 2.0),
        (10.0, 350.0, 20.0),
        (0.0, 180.0, 180.0),
        (-10.0, 10.0, 20.0),
        (725.0, 3.0, 2.0),
        (90.0, 90.0, 0.0),
    ],
)
def test_hue_difference_wraps_at_the_seam(h1, h2, expected):
    assert metrics.hue_difference(h1, h2) == pytest.approx(expected, abs=1e-9)


def test_mse_and_psnr_of_a_known_pair():
    truth = np.zeros((1, 8, 8, 3), np.uint8)
    pred = truth.copy()
    pred[0, 3, 5, 0] = 16  # one red value off by 16 in 64 pixels
    m = helpers.metrics_of(pred, truth)
    assert m["mse_r"] == pytest.approx(256 / 64)
    assert m["mse_g"] == 0.0 and m["mse_b"] == 0.0
    assert m["mse_rgb"] == pytest.approx(4 / 3)
    # 10 log10(255^2 / (4/3)) = 10 log10(48768.75)
    assert m["psnr"] == pytest.approx(46.8814, abs=1e-4)
    assert m["images"] == 1 and m["pixels"] == 64


def test_black_for_white_golden_values():
    m = helpers.metrics_of(image(BLACK), image(WHITE))
    assert m["mse_rgb"] == pytest.approx(255.0**2)
    assert m["psnr"] == pytest.approx(0.0, abs=1e-9)
    assert m["mse_l"] == pytest.approx(100.0**2, rel=1e-6)
    assert m["mse_c"] == pytest.approx(0.0, abs=1e-4)
    assert m["chroma"] == pytest.approx(0.0, abs=1e-9)
    # All-gray truth: hue undefined everywhere, so is the chroma ratio.
    assert m["hue_error"] is None and m["hue_mse"] is None and m["chroma_ratio"] is None
    assert m["ssim"] < 0.01


def test_perfect_prediction():
    truth = np.random.default_rng(0).integers(0, 256, (3, 16, 16, 3)).astype(np.uint8)
    m = helpers.metrics_of(truth.astype(np.float32), truth)
    for name in ("mse_r", "mse_g", "mse_b", "mse_rgb", "mse_l", "mse_c", "hue_error", "hue_mse"):
        assert m[name] == pytest.approx(0.0, abs=1e-9), name
    assert m["psnr"] == metrics.PSNR_CAP  # infinite in theory; capped, finite mean
    assert m["ssim"] == pytest.approx(1.0)
    assert m["chroma_ratio"] == pytest.approx(1.0)
    assert math.isfinite(metrics.psnr(truth[0], truth[0]))


def test_hue_error_is_weighted_by_true_chroma_and_ignores_gray():
    # Truth: red | green | gray | gray. Prediction: blue | green | blue | green.
    truth = image(RED, GREEN, GRAY, GRAY)
    pred = image(BLUE, GREEN, BLUE, GREEN)
    m = helpers.metrics_of(pred, truth)
    # Red pixels are 93.72 deg off with weight 104.55, green ones exact with
    # weight 119.78; gray pixels weigh nothing, whatever hue was predicted.
    expected = C_RED * 93.72 / (C_RED + C_GREEN)  # 43.68
    assert m["hue_error"] == pytest.approx(expected, abs=0.02)
    assert m["hue_mse"] == pytest.approx(C_RED * 93.72**2 / (C_RED + C_GREEN), rel=1e-3)
    # Chroma: means over the four equal stripes.
    assert m["chroma"] == pytest.approx((C_BLUE + C_GREEN + C_BLUE + C_GREEN) / 4, abs=0.02)
    assert m["chroma_true"] == pytest.approx((C_RED + C_GREEN) / 4, abs=0.02)
    assert m["chroma_ratio"] == pytest.approx(m["chroma"] / m["chroma_true"])
    assert m["mse_c"] == pytest.approx(((C_BLUE - C_RED) ** 2 + 0 + C_BLUE**2 + C_GREEN**2) / 4, rel=1e-3)


def test_streaming_equals_one_batch():
    rng = np.random.default_rng(1)
    pred = rng.integers(0, 256, (5, 12, 10, 3)).astype(np.uint8)
    truth = rng.integers(0, 256, (5, 12, 10, 3)).astype(np.uint8)
    acc = metrics.MetricAccumulator()
    acc.update(pred[:2], truth[:2])
    acc.update(pred[2:], truth[2:])
    streamed, whole = acc.result(), helpers.metrics_of(pred, truth)
    assert streamed.keys() == whole.keys()
    # Without sketches the bare-sketch PSNR is undefined in both (None, which
    # pytest.approx does not compare); everything else is a number.
    assert streamed["psnr_sketch"] is None and whole["psnr_sketch"] is None
    for name, value in whole.items():
        if name != "psnr_sketch":
            assert streamed[name] == pytest.approx(value, rel=1e-9), name


def test_empty_accumulator_and_table():
    empty = metrics.MetricAccumulator().result()
    assert empty["images"] == 0 and empty["mse_rgb"] is None
    table = metrics.format_table(helpers.metrics_of(image(RED), image(RED)), title="t")
    assert table.splitlines()[0] == "t" and len(table.splitlines()) == 1 + len(metrics.METRICS)
    assert "n/a" in metrics.format_table(empty)


def test_bad_shapes_are_one_line_errors():
    with pytest.raises(ColorizeError, match="differs"):
        helpers.metrics_of(np.zeros((1, 8, 8, 3)), np.zeros((1, 8, 9, 3)))
    with pytest.raises(ColorizeError, match="RGB batches"):
        helpers.metrics_of(np.zeros((8, 8, 3)), np.zeros((8, 8, 3)))
    with pytest.raises(ColorizeError, match="too small"):
        helpers.metrics_of(np.zeros((1, 4, 4, 3)), np.zeros((1, 4, 4, 3)))


def test_page_color_and_color_overlap():
    truth = np.full((1, 16, 16, 3), 255.0)
    truth[0, :8, :8] = (220, 40, 30)  # red
    truth[0, 8:, 8:] = (30, 60, 200)  # blue
    sketch = np.full((1, 16, 16, 1), 255.0)
    sketch[0, 7, :] = 0  # a line through the red square: not counted
    # Perfect: the page is white and the colors match.
    same = helpers.metrics_of(truth, truth, sketch)
    assert same["page_r"] == same["page_g"] == same["page_b"] == same["page_min"] == 255.0
    # The line crosses the page (the truth white there): the bare sketch's page is 8 black of 128 white pixels.
    assert same["page_sketch"] == pytest.approx(255.0 * 120 / 128)
    assert helpers.metrics_of(truth, truth)["page_sketch"] is None  # no sketch given
    assert same["color_overlap"] == pytest.approx(1.0)
    # A cream page: its mean color, the smallest channel.
    cream = truth.copy()
    cream[0, :8, 8:] = (238, 239, 226)
    cream[0, 8:, :8] = (238, 239, 226)
    result = helpers.metrics_of(cream, truth, sketch)
    assert (result["page_r"], result["page_g"], result["page_b"]) == (238.0, 239.0, 226.0)
    assert result["page_min"] == 226.0
    # Colors swapped between the squares: it says which colors, not where. The
    # line's row leaves 56 red and 64 blue pixels counted, so the output has
    # 56 blue and 64 red: min(56, 64) twice over 120.
    swapped = truth.copy()
    swapped[0, :8, :8], swapped[0, 8:, 8:] = (30, 60, 200), (220, 40, 30)
    assert helpers.metrics_of(swapped, truth, sketch)["color_overlap"] == pytest.approx(112 / 120)
    # Gray where the colors are: no overlap (red and blue are far from a* = b* = 0).
    gray = truth.copy()
    gray[0, :8, :8] = gray[0, 8:, 8:] = 128
    assert helpers.metrics_of(gray, truth, sketch)["color_overlap"] == pytest.approx(0.0)
    # The red right, the blue gray: the red's share, 56 of 120.
    half = truth.copy()
    half[0, 8:, 8:] = 128
    assert helpers.metrics_of(half, truth, sketch)["color_overlap"] == pytest.approx(56 / 120)
    # A truth without color (paper and lines only): no overlap figure.
    blank = np.full((1, 16, 16, 3), 255.0)
    assert helpers.metrics_of(blank, blank, sketch)["color_overlap"] is None


def test_overlap_references():
    """What a gray output and another image's colors score on the same truth pixels."""
    red, blue, gray = (220, 40, 30), (30, 60, 200), (150, 150, 150)  # gray: L 62, neither paper nor line
    truth = np.full((3, 16, 16, 3), 255.0)
    truth[0, :8] = red  # all red
    truth[1, :8], truth[1, 8:] = red, blue  # half red, half blue
    truth[2, :4], truth[2, 4:8] = gray, blue  # a quarter gray, a quarter blue (half of its counted pixels each)
    acc = metrics.MetricAccumulator()
    acc.update(np.full_like(truth, 128.0), truth)  # the output itself does not enter the references
    result = acc.result()
    # Gray output: only the third image has gray truth, half of its pixels.
    assert result["overlap_gray"] == pytest.approx((0 + 0 + 0.5) / 3)
    assert result["overlap_gray"] == pytest.approx(result["color_overlap"])  # the output is gray
    # Ordered pairs: 0 and 1 share red, half of 1's pixels; 1 and 2 share blue, half of each; 0 and 2 nothing.
    assert result["overlap_other"] == pytest.approx((0.5 * 2 + 0.5 * 2 + 0) / 6)
    # One image: no other to compare with; no colored truth at all: no references.
    assert helpers.metrics_of(truth[:1], truth[:1])["overlap_other"] is None
    blank = np.full((1, 16, 16, 3), 255.0)
    assert helpers.metrics_of(blank, blank)["overlap_gray"] is None
