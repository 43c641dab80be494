"""Region decisions (`fullres.upsample_regions` with the network's
evidence): paper is pure white, a colored region takes its chromatic mean
flat, and the calibration's rule keeps white paper before PSNR."""

import cv2
import numpy as np

from colorize.inference import fullres
from experiments import calibrate_decoding

ORANGE = (235, 140, 40)
CREAM = (238, 239, 226)


def _figure(size=256, small=16):
    """A circle on white at full size; at the trained scale the network's
    color (cream) and its chromatic mean (orange) everywhere."""
    sketch = np.full((size, size), 255, np.uint8)
    cv2.circle(sketch, (size // 2, size // 2), size // 4, 0, 3)
    color = np.full((small, small, 3), CREAM, np.float32)
    chromatic = np.full((small, small, 3), ORANGE, np.float32)
    return sketch, color, chromatic, small


def test_paper_is_white_and_color_is_the_chromatic_mean_flat():
    sketch, color, chromatic, small = _figure()
    paper = np.full((small, small), 0.6, np.float32)
    paper[5:11, 5:11] = 0.2  # the figure's inside: little paper mass
    out = fullres.upsample_regions(color, sketch, evidence=(paper, chromatic), paper_threshold=0.5)
    np.testing.assert_array_equal(out[5, 5], 255.0)  # white, not the white class's cream
    np.testing.assert_allclose(out[128, 128], ORANGE, atol=1.0)
    inside = np.zeros(sketch.shape, np.uint8)
    cv2.circle(inside, (128, 128), 56, 1, -1)
    assert np.ptp(out[inside.astype(bool)], axis=0).max() < 1.0  # one flat color
    # Without evidence or threshold: no decisions (the network's cream).
    plain = fullres.upsample_regions(color, sketch)
    np.testing.assert_allclose(plain[5, 5], CREAM, atol=1.0)


def _row(psnr, white, chroma=1.0):
    return {"psnr": psnr, "white_kept": white, "chroma_ratio": chroma}


def test_the_rule_keeps_white_then_takes_the_best_psnr():
    results = {
        0.25: {"none": _row(14.0, 0.85, 0.7), 0.5: _row(14.9, 0.95)},  # too gray: not chosen
        0.5: {"none": _row(14.2, 0.86, 0.9), 0.5: _row(14.4, 0.94), 0.7: _row(14.6, 0.90)},
    }
    choice = calibrate_decoding.choose(results)
    assert (choice["temperature"], choice["paper_threshold"]) == (0.5, 0.5)
    # No threshold keeps white: no region decisions.
    results[0.5] = {"none": _row(14.2, 0.86, 0.9), 0.7: _row(14.6, 0.90)}
    assert calibrate_decoding.choose(results)["paper_threshold"] is None
