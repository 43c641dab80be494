"""Flat where flat (`fullres.upsample_regions`): a large region without
hints gets a smooth or flat color, never the trained scale's cells."""

import cv2
import numpy as np

from colorize.inference import fullres


def cell_noise(rows, cols, amplitude, seed):
    """`(rows, cols, 3)` float32 noise constant over 4 x 4 cells, as the
    network's output stride gives it."""
    rng = np.random.default_rng(seed)
    cells = rng.uniform(-amplitude, amplitude, (rows // 4, cols // 4, 3)).astype(np.float32)
    return np.repeat(np.repeat(cells, 4, axis=0), 4, axis=1)


def cell_pattern(image, cell):
    """RMS of what a Gaussian of half a cell removes: the steps between cells."""
    image = image.astype(np.float64)
    return float(np.sqrt(np.mean((image - cv2.GaussianBlur(image, (0, 0), cell / 2)) ** 2)))


def page(height, width):
    """A sketch with a frame 20 px in from the border: one large region
    inside it, a thin one outside."""
    sketch = np.full((height, width), 255, np.uint8)
    cv2.rectangle(sketch, (20, 20), (width - 21, height - 21), 0, 3)
    return sketch


def test_a_large_region_with_cell_noise_comes_out_smooth_and_keeps_its_shading():
    height, width = 512, 640  # 8 x the trained scale: a cell is 32 px
    sketch = page(height, width)
    inside = (slice(64, height - 64), slice(64, width - 64))  # a cell away from the frame
    cell = 32.0
    for low, high in ((60, 240), (150, 230)):  # shadings more and less than the flat/smooth switch
        shading = np.zeros((64, 80, 3), np.float32)
        shading[...] = np.linspace(low, high, 80, dtype=np.float32)[None, :, None]
        color = shading + cell_noise(64, 80, 14, seed=1)
        up = fullres.upsample_regions(color, sketch)
        bilinear = fullres.upsample_bilinear(color, sketch.shape)
        assert cell_pattern(bilinear[inside], cell) > 3.0  # the cells show through the bilinear color
        assert cell_pattern(up[inside], cell) < 0.75  # and not through the region's
        # What is left is the region's color without the noise: each
        # column's mean within a few levels of it.
        clean = fullres.upsample_regions(shading, sketch)[inside].mean(axis=0)
        assert np.abs(up[inside].mean(axis=0) - clean).max() < 4.0, (low, high)


def test_a_large_region_with_little_noise_comes_out_flat():
    sketch = page(256, 320)
    color = np.full((32, 40, 3), (210.0, 190.0, 120.0), np.float32) + cell_noise(32, 40, 3, seed=2)
    up = fullres.upsample_regions(color, sketch)
    inside = up[40:-40, 40:-40]
    assert np.ptp(inside, axis=(0, 1)).max() == 0.0
    np.testing.assert_allclose(inside[0, 0], (210, 190, 120), atol=2.0)


def test_smooth_color_keeps_a_linear_ramp_and_removes_single_cells():
    ramp = np.zeros((24, 32, 3), np.float32)
    ramp[..., 0] = np.linspace(0, 255, 32)[None]
    ramp[..., 1] = np.linspace(40, 90, 24)[:, None]
    np.testing.assert_allclose(fullres.smooth_color(ramp, 4.0), ramp, atol=1e-3)  # up to the border
    checker = np.indices((24, 32)).sum(0) // 4 % 2 * 20.0  # cells of 4 px, 0 and 20 in turn
    smooth = fullres.smooth_color(np.repeat(checker[..., None], 3, -1).astype(np.float32), 4.0)
    assert np.abs(smooth[6:-6, 6:-6] - 10.0).max() < 0.5


def test_upsample_rows_are_the_rows_of_the_bilinear_upsampling():
    rng = np.random.default_rng(3)
    smooth = fullres.smooth_color(rng.uniform(0, 255, (30, 40, 3)).astype(np.float32), 4.0)
    whole = fullres.upsample_bilinear(smooth, (300, 400))
    # warpAffine places samples to 1/32 px: within a fraction of a level on a smooth color.
    np.testing.assert_allclose(fullres.upsample_rows(smooth, (300, 400), 120, 190), whole[120:190], atol=0.5)
    np.testing.assert_allclose(fullres.sample_bilinear(smooth, (300, 400), 7), whole[::7, ::7], atol=0.5)
