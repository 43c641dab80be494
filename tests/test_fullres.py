"""Full-resolution output: trained-scale sizes, the graph's bilinear path and
the line-bounded region upsampling."""

import cv2
import numpy as np
import pytest
import tensorflow as tf

from colorize.errors import ColorizeError
from colorize.inference import fullres
from colorize.serving import trained_scale

RED = (220.0, 40.0, 40.0)
BLUE = (40.0, 60.0, 220.0)


@pytest.mark.parametrize(
    "height, width, image_size, expected",
    [
        (480, 640, 64, (64, 85)),  # 640 * 64 / 480 = 85.33
        (640, 480, 64, (85, 64)),  # non-square keeps its aspect either way
        (256, 256, 128, (128, 128)),
        (50, 40, 128, (160, 128)),  # small sketches grow to the trained scale
        (800, 16000, 64, (64, 1280)),  # a 1:20 strip keeps its panels at the trained scale (tiled later)
        (20000, 200, 64, (6400, 64)),
        (1, 6000, 64, (3, 16384)),  # long side capped at MAX_ASPECT * 64
        (6000, 6000, 128, (128, 128)),
    ],
)
def test_trained_size(height, width, image_size, expected):
    th, tw = trained_scale.trained_size(height, width, image_size)
    assert (int(th), int(tw)) == expected


def full_resolution(color, sketch, method="regions"):
    """`(H, W, 3)` uint8: the trained-scale color at the sketch's size by
    `method` (NumPy and OpenCV), lines multiplied in."""
    color = np.asarray(color, np.float32)
    if fullres.check_method(method) == "regions":
        up = fullres.upsample_regions(color, sketch)
    else:
        up = fullres.upsample_bilinear(color, sketch.shape)
    return fullres.multiply_lines(up, sketch, overwrite=True)


def test_to_trained_scale_resizes_rounds_and_tiles_pad_white():
    rng = np.random.default_rng(0)
    sketch = rng.integers(0, 256, (2, 480, 640, 1)).astype(np.uint8)
    x = trained_scale.to_trained_scale(tf.constant(sketch), 64)
    assert x.shape == (2, 64, 85, 1)
    area = tf.image.resize(sketch.astype(np.float32), (64, 85), method="area").numpy()
    np.testing.assert_array_equal(x.numpy(), np.round(area))
    tiles, layout = trained_scale.split_tiles(x, 64)
    assert tiles.shape == (2, 64, 88, 1) and layout["offsets"].numpy().tolist() == [0]
    np.testing.assert_array_equal(tiles.numpy()[:, :, 85:], 255.0)  # padding is white paper
    np.testing.assert_array_equal(tiles.numpy()[:, :, :85], x.numpy())
    # Growing uses bilinear; a constant sketch stays constant either way.
    x = trained_scale.to_trained_scale(tf.fill((1, 20, 30, 1), tf.constant(77, tf.uint8)), 64)
    assert x.shape == (1, 64, 96, 1)
    np.testing.assert_array_equal(x.numpy(), 77.0)


def test_graph_bilinear_equals_numpy_path():
    rng = np.random.default_rng(1)
    color = rng.uniform(0, 255, (1, 16, 21, 3)).astype(np.float32)
    sketch = rng.integers(0, 256, (1, 90, 120, 1)).astype(np.uint8)
    graph = trained_scale.compose_bilinear(tf.constant(color), tf.constant(sketch)).numpy()[0]
    numpy = full_resolution(color[0], sketch[0, ..., 0], method="bilinear")
    assert graph.shape == numpy.shape == (90, 120, 3)
    assert np.abs(graph.astype(int) - numpy.astype(int)).max() <= 1
    # Lines multiply: black stays black, and nothing is brighter than the sketch.
    assert np.all(numpy <= sketch[0])


def _two_regions(height=120, width=160, line_x=80):
    """A full-size sketch split by a vertical 3 px line, and a low-res color
    that is red left, blue right, with a blurry (bleeding) transition."""
    sketch = np.full((height, width), 255, np.uint8)
    sketch[:, line_x - 1 : line_x + 2] = 0
    color = np.zeros((12, 16, 3), np.float32)
    color[:, :8] = RED
    color[:, 8:] = BLUE
    color = cv2.GaussianBlur(color, (0, 0), 1.5)  # the network's soft edge
    return sketch, color


def test_regions_put_color_edges_on_the_lines():
    sketch, color = _two_regions()
    regions = full_resolution(color, sketch, "regions").astype(float)
    bilinear = full_resolution(color, sketch, "bilinear").astype(float)
    np.testing.assert_array_equal(regions[:, 79:82], 0.0)  # the line stays black
    left, right = regions[:, :79], regions[:, 82:]
    # Each region is one flat color, right up to the line.
    assert left.std(axis=(0, 1)).max() < 0.5 and right.std(axis=(0, 1)).max() < 0.5
    assert np.abs(left[:, -1] - left[:, 0]).max() <= 1
    # That color is the region's own (red left, blue right) ...
    assert left[0, 0, 0] > 150 and left[0, 0, 2] < 100
    assert right[0, -1, 2] > 150 and right[0, -1, 0] < 100
    # ... while bilinear bleeds blue into red next to the line.
    assert np.abs(bilinear[:, 78] - bilinear[:, 0]).max() > 40


def test_regions_keep_a_gradient_the_net_predicts():
    # No lines: one region whose color changes a lot -> not flattened.
    sketch = np.full((60, 80), 255, np.uint8)
    color = np.zeros((15, 20, 3), np.float32)
    color[..., 0] = np.linspace(0, 255, 20)[np.newaxis]
    color[..., 2] = 128
    regions = full_resolution(color, sketch, "regions").astype(int)
    bilinear = full_resolution(color, sketch, "bilinear").astype(int)
    assert np.abs(regions - bilinear).max() <= 2


def test_regions_do_not_flatten_across_a_gap():
    # The separating line has a gap: the two halves are one region, whose
    # predicted color varies a lot, so it keeps the bilinear color.
    sketch, color = _two_regions()
    sketch[50:70] = 255
    regions = full_resolution(color, sketch, "regions").astype(float)
    assert regions[5, 5, 0] > 150 and regions[5, -5, 2] > 150


def test_regions_flatten_noise_and_fill_lines_from_the_nearest_region():
    rng = np.random.default_rng(2)
    sketch = np.full((100, 100), 255, np.uint8)
    cv2.circle(sketch, (50, 50), 30, 128, 2)  # gray line: its color shows
    color = np.full((25, 25, 3), (200.0, 150.0, 90.0), np.float32)
    color += rng.normal(0, 2, color.shape).astype(np.float32)
    up = fullres.upsample_regions(color, sketch)
    inside = up[45:55, 45:55]
    assert inside.std(axis=(0, 1)).max() < 1e-3  # one flat color
    np.testing.assert_allclose(inside[0, 0], (200, 150, 90), atol=2.5)
    on_line = up[sketch < 200]
    np.testing.assert_allclose(on_line, np.broadcast_to(inside[0, 0], on_line.shape), atol=2.5)


def test_regions_measured_on_samples_keep_small_regions_and_large_flat_ones():
    # 16x upsampling: cell = 64 px, statistics on every 4th pixel. A 3x3 px
    # region (inside a tiny box, lines dilated by 1 px) holds no sample: it
    # keeps the bilinear color
    # rather than taking another region's; the big regions, measured on
    # their samples, come out flat in their own colors, up to the line.
    sketch, color = _two_regions(height=192, width=256, line_x=128)
    color = cv2.resize(color, (16, 12), interpolation=cv2.INTER_AREA)
    cv2.rectangle(sketch, (39, 39), (45, 45), 0, 1)  # paper 41..43 once dilated: between samples 40 and 44
    assert fullres.SAMPLES_PER_CELL == 16
    up = fullres.upsample_regions(color, sketch)
    bilinear = fullres.upsample_bilinear(color, sketch.shape)
    np.testing.assert_allclose(up[41:44, 41:44], bilinear[41:44, 41:44], atol=1e-3)
    left, right = up[100:, :126], up[:, 131:]
    assert left.std(axis=(0, 1)).max() < 0.5 and right.std(axis=(0, 1)).max() < 0.5
    assert left[-1, 0, 0] > 150 and right[0, -1, 2] > 150


def test_bad_arguments():
    with pytest.raises(ColorizeError, match="unknown upsampling method 'nearest'; choose one of regions, bilinear"):
        fullres.check_method("nearest")
    assert fullres.check_method("bilinear") == "bilinear"
    with pytest.raises(ColorizeError, match="uint8"):
        fullres.upsample_regions(np.zeros((4, 4, 3)), np.zeros((8, 8), np.float32))
