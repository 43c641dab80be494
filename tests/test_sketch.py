"""Tests for colorize.data.sketch: the paper's pipeline (decoding is tested in test_images.py)."""

import numpy as np
import pytest

from colorize.data import sketch
from colorize.errors import ColorizeError

SIZE = sketch.SIZE


# ------------------------------------------------------------ the pipeline --


def test_extract_sketch_golden_values_of_a_one_pixel_line():
    # A black 1-px column on white: the erode/dilate opening erases it, so
    # diff = 3 * 255 -> 255 on the column only; the 8x8 box (columns x-4..x+3)
    # spreads 255/8 over columns 5..12 (255 - 31.875 = 223); the 3x3 dilation
    # restores 255 at the two outer columns 5 and 12.
    gray = np.full((16, 16), 255, np.uint8)
    gray[:, 8] = 0
    line, binary = sketch.extract_sketch(gray)
    expected = np.full(16, 255, np.uint8)
    expected[6:12] = 223
    np.testing.assert_array_equal(line, np.tile(expected, (16, 1)))
    np.testing.assert_array_equal(binary, np.where(expected == 223, 0, 255)[None].repeat(16, 0))


def test_black_square_gives_dark_edges_and_white_elsewhere():
    img = np.full((64, 64, 3), 255, np.uint8)
    img[16:48, 16:48] = 0
    line, binary = sketch.extract_sketch(img)
    assert line.shape == binary.shape == (64, 64) and line.dtype == np.uint8
    # Every edge of the square has a dark band (the 2-px opening band, blurred).
    for edge in (line[32, 12:20], line[32, 44:52], line[12:20, 32], line[44:52, 32]):
        assert edge.min() <= 191
    assert binary[32, 16] == 0 and binary[16, 32] == 0 and binary[47, 32] == 0
    # Paper far outside and inside the square stays white.
    assert (line[:8] == 255).all() and (line[:, 56:] == 255).all()
    assert (line[26:38, 26:38] == 255).all()
    assert set(np.unique(binary)) == {0, 255}
    assert (binary[26:38, 26:38] == 255).all() and (binary[:8] == 255).all()


@pytest.mark.parametrize("bgr", [(255, 255, 255), (40, 200, 90), (0, 0, 0)])
def test_flat_image_has_no_lines(bgr):
    img = np.full((40, 56, 3), bgr, np.uint8)
    line, binary = sketch.extract_sketch(img)
    assert (line == 255).all()
    assert (binary == 255).all()


def test_saturation_and_colorless_threshold():
    # HSV S = 255 (max - min) / max: (235, 235, 255) has S = 20 exactly.
    assert sketch.saturation(np.full((4, 4, 3), (235, 235, 255), np.uint8)) == 20
    assert sketch.is_colorful(np.full((4, 4, 3), (235, 235, 255), np.uint8))
    assert not sketch.is_colorful(np.full((4, 4, 3), (236, 236, 255), np.uint8))
    half = np.full((4, 4, 3), 255, np.uint8)
    half[:, :2] = (0, 0, 255)  # pure red, S = 255, beside white, S = 0
    assert sketch.saturation(half) == 127.5


def test_colorless_filter_rejects_gray_and_keeps_colorful():
    rng = np.random.default_rng(1)
    gray = np.repeat(rng.integers(0, 256, (64, 64, 1), dtype=np.uint8), 3, axis=2)
    assert sketch.saturation(gray) == 0
    assert not sketch.is_colorful(gray)
    colorful = gray.copy()
    colorful[:, :, 0] = 0  # no blue: saturated yellows and reds
    assert sketch.is_colorful(colorful)


def test_resize_short_side():
    assert sketch.resize_short_side(np.zeros((512, 1024, 3), np.uint8)).shape == (256, 512, 3)
    assert sketch.resize_short_side(np.zeros((700, 300, 3), np.uint8)).shape == (597, 256, 3)
    assert sketch.resize_short_side(np.zeros((100, 150), np.uint8), 50).shape == (50, 75)
    same = np.zeros((256, 300, 3), np.uint8)
    assert sketch.resize_short_side(same) is same
    # INTER_AREA averages when shrinking: a 2x2 checkerboard becomes its mean.
    board = np.indices((512, 512)).sum(0) % 2 * 255
    small = sketch.resize_short_side(board.astype(np.uint8))
    assert small.shape == (256, 256) and np.abs(small.astype(int) - 128).max() <= 1


@pytest.mark.parametrize("length", [256, 257, 300, 320, 511, 512, 513, 700, 1000, 2049])
def test_windows_cover_the_long_side_with_the_papers_count(length):
    offsets = sketch.window_offsets(length)
    assert len(offsets) == -(-length // SIZE)  # ceil(long / short)
    assert offsets[0] == 0 and offsets[-1] == length - SIZE
    covered = np.zeros(length, bool)
    for o in offsets:
        covered[o : o + SIZE] = True
    assert covered.all()
    steps = np.diff(offsets)
    assert len(steps) == 0 or steps.max() - steps.min() <= 1  # equally spaced


def test_window_offsets_examples_and_errors():
    assert sketch.window_offsets(256) == [0]
    assert sketch.window_offsets(320) == [0, 64]
    assert sketch.window_offsets(512) == [0, 256]
    assert sketch.window_offsets(513) == [0, 128, 257]
    assert sketch.window_offsets(10, size=4) == [0, 3, 6]
    with pytest.raises(ColorizeError):
        sketch.window_offsets(255)


def test_crop_windows_landscape_and_portrait():
    wide = np.arange(256 * 320).reshape(256, 320).astype(np.int32)
    windows = sketch.crop_windows(wide)
    assert [w.shape for w in windows] == [(256, 256)] * 2
    np.testing.assert_array_equal(windows[1], wide[:, 64:320])
    tall = np.zeros((600, 256, 3), np.uint8)
    tall[-1] = 7
    windows = sketch.crop_windows(tall)
    assert len(windows) == 3 and windows[-1][-1, 0, 0] == 7
    with pytest.raises(ColorizeError):
        sketch.crop_windows(np.zeros((300, 400), np.uint8))


def test_prepare_examples_rules():
    rng = np.random.default_rng(0)
    colorful = np.zeros((300, 700, 3), np.uint8)
    colorful[..., 2] = 255
    colorful[..., 1] = rng.integers(0, 256, (300, 700))
    windows, reason = sketch.prepare_examples(colorful)
    # 300x700 -> 256x597 -> ceil(597 / 256) = 3 windows.
    assert reason is None and len(windows) == 3
    resized = sketch.resize_short_side(colorful)
    line, binary = sketch.extract_sketch(resized)
    for (color, line_w, binary_w), o in zip(windows, sketch.window_offsets(597), strict=True):
        assert color.shape == (256, 256, 3) and line_w.shape == binary_w.shape == (256, 256)
        assert color.dtype == line_w.dtype == binary_w.dtype == np.uint8
        assert color.flags.c_contiguous and line_w.flags.c_contiguous
        np.testing.assert_array_equal(color, resized[:, o : o + 256])
        np.testing.assert_array_equal(line_w, line[:, o : o + 256])
        np.testing.assert_array_equal(binary_w, binary[:, o : o + 256])

    assert sketch.prepare_examples(colorful[:255]) == ([], "too small")
    assert sketch.prepare_examples(np.full((256, 256, 3), 255, np.uint8)) == ([], "colorless")
    assert sketch.prepare_examples(np.zeros((400, 256, 3), np.uint8)) == ([], "colorless")
    # Only the colorless window of a half-white image is dropped.
    half = np.full((256, 512, 3), 255, np.uint8)
    half[:, :256] = (255, 0, 0)
    windows, reason = sketch.prepare_examples(half)
    assert reason is None and len(windows) == 1 and (windows[0][0] == (255, 0, 0)).all()
    with pytest.raises(ColorizeError):
        sketch.prepare_examples(np.zeros((300, 300), np.uint8))
