"""Hint layers (RGBA PNGs painted over a sketch), `--hint` points and merging."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from colorize.errors import ColorizeError, ImageError
from colorize.inference import hint_layers

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


def png(array, mode="RGBA"):
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(array, np.uint8), mode).save(buffer, "PNG")
    return buffer.getvalue()


def layer(height, width):
    return np.zeros((height, width, 4), np.uint8)  # fully transparent


def test_opaque_pixels_are_hints_in_their_own_color(tmp_path):
    rgba = layer(12, 16)
    rgba[2:4, 3:6] = (*RED, 255)
    rgba[8, 10] = (*GREEN, 128)  # the threshold: still a hint (a soft brush's edge)
    rgba[9, 10] = (*BLUE, 127)  # just below: not a hint
    rgba[0, 0] = (200, 100, 50, 0)  # color under full transparency: ignored
    path = tmp_path / "sketch.hints.png"
    path.write_bytes(png(rgba))
    for source in (path, str(path), png(rgba)):
        rgb, mask = hint_layers.load_hint_layer(source, 12, 16)
        assert rgb.shape == (12, 16, 3) and rgb.dtype == np.uint8
        assert mask.shape == (12, 16) and mask.dtype == bool
        expected = np.zeros((12, 16), bool)
        expected[2:4, 3:6] = True
        expected[8, 10] = True
        np.testing.assert_array_equal(mask, expected)
        assert np.all(rgb[2:4, 3:6] == RED) and tuple(rgb[8, 10]) == GREEN
        assert not rgb[~mask].any()  # 0 where there is no hint


def test_gray_alpha_and_16_bit_layers_are_read():
    la = np.zeros((6, 6, 2), np.uint8)
    la[1:3, 1:3] = (200, 255)
    rgb, mask = hint_layers.load_hint_layer(png(la, "LA"), 6, 6)
    assert mask.sum() == 4 and np.all(rgb[mask] == 200)

    import pyvips  # noqa: PLC0415 (only this test writes 16-bit PNGs)

    rgba = layer(6, 6).astype(np.uint16)
    rgba[4, 4] = (65535, 257 * 10, 0, 65535)  # 16-bit samples: v / 257 -> (255, 10, 0)
    data = pyvips.Image.new_from_array(rgba, interpretation="rgb16").pngsave_buffer()
    rgb, mask = hint_layers.load_hint_layer(data, 6, 6)
    assert mask.sum() == 1 and tuple(rgb[4, 4]) == (255, 10, 0)


def test_a_half_size_layer_is_scaled_up_without_blending():
    rgba = layer(10, 15)  # the sketch is 20 x 30
    rgba[2, 3] = (*RED, 255)
    rgba[2, 4] = (*GREEN, 255)
    rgb, mask = hint_layers.load_hint_layer(png(rgba), 20, 30)
    expected = np.zeros((20, 30), bool)
    expected[4:6, 6:10] = True  # each layer pixel becomes a 2 x 2 block
    np.testing.assert_array_equal(mask, expected)
    assert np.all(rgb[4:6, 6:8] == RED) and np.all(rgb[4:6, 8:10] == GREEN)


def test_shrinking_averages_hint_pixels_only_and_keeps_thin_strokes():
    rgba = layer(40, 40)  # the sketch is 20 x 20: 2 x 2 blocks
    # Half of a block opaque red, half transparent blue: a hint, pure red
    # (not blended with the transparent blue, nor with black).
    rgba[0:2, 0] = (*RED, 255)
    rgba[0:2, 1] = (*BLUE, 0)
    # Red and green hints in one block: their mean.
    rgba[10, 10:12] = (*RED, 255)
    rgba[11, 10:12] = (*GREEN, 255)
    # One opaque pixel in a block (a quarter): under the 0.5 share, but a
    # dot of its own, kept.
    rgba[30, 30] = (*BLUE, 255)
    rgb, mask = hint_layers.load_hint_layer(png(rgba), 20, 20)
    assert mask[0, 0] and tuple(rgb[0, 0]) == RED
    assert mask[5, 5] and tuple(rgb[5, 5]) == (128, 128, 0)  # (255 + 0) / 2 = 127.5, rounded to even
    assert mask[15, 15] and tuple(rgb[15, 15]) == BLUE
    assert mask.sum() == 3

    # A 1 px line at 4x the sketch's size survives; beside a filled square,
    # the square's soft edge (a quarter share) does not widen it.
    rgba = layer(80, 80)
    rgba[41, 8:72] = (*GREEN, 255)  # thin stroke: rows 40..43 -> sketch row 10
    rgba[0:16, 0:16] = (*RED, 255)  # 4 x 4 sketch pixels exactly
    rgba[16, 0:16] = (*RED, 255)  # one more layer row: a quarter of sketch row 4
    rgb, mask = hint_layers.load_hint_layer(png(rgba), 20, 20)
    assert mask[10, 2:18].all() and np.all(rgb[10, 2:18] == GREEN)
    assert mask[0:4, 0:4].all() and not mask[4, 0:4].any()


def test_aspect_ratio_tolerates_rounding_only():
    rgba = layer(33, 50)
    rgba[5, 5] = (*RED, 255)
    # 33 x 50 scaled to the sketch's width 100 is 66 rows: 1 px from 65.
    _, mask = hint_layers.load_hint_layer(png(rgba), 65, 100)
    assert mask.shape == (65, 100) and mask.any()
    # 1 % of a tall sketch (20 of 2000 rows): 2015 rows pass, 2030 do not.
    for rows, ok in ((403, True), (406, False)):
        tall = layer(rows, 100)
        tall[0, 0] = (*RED, 255)
        if ok:
            assert hint_layers.load_hint_layer(png(tall), 2000, 500)[1].shape == (2000, 500)
        else:
            with pytest.raises(ImageError, match="wrong aspect ratio"):
                hint_layers.load_hint_layer(png(tall), 2000, 500)
    with pytest.raises(ImageError, match="wrong aspect ratio: the hint layer is 50x33, the sketch 100x70"):
        hint_layers.load_hint_layer(png(rgba), 70, 100)


def bad_file_cases(tmp_path):
    """(file, expected reason) for each bad hint file."""
    text = tmp_path / "notes.png"
    text.write_text("these are my hints, not an image\n")
    rgb = tmp_path / "flat.png"
    rgb.write_bytes(png(np.full((20, 30, 3), 255, np.uint8), "RGB"))
    wide = tmp_path / "wide.png"
    wide_layer = layer(10, 30)
    wide_layer[1, 1] = (*RED, 255)
    wide.write_bytes(png(wide_layer))
    empty = tmp_path / "empty.png"
    faint = layer(20, 30)
    faint[..., :3] = 255
    faint[..., 3] = 127  # everywhere just below opaque
    empty.write_bytes(png(faint))
    backed = tmp_path / "backed.png"  # hints saved over an opaque background (a corner left clear)
    background = layer(20, 30)
    background[...] = (255, 255, 255, 255)
    background[:4, :6, 3] = 0  # 24 of 600 pixels clear: 96 % opaque
    backed.write_bytes(png(background))
    cut = tmp_path / "cut.png"  # an RGB PNG cut short: named as damaged, not by its header
    noisy = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    cut.write_bytes(cv2.imencode(".png", noisy)[1].tobytes()[:800])
    return [
        (text, "not an image"),
        (rgb, "no alpha channel: paint hints on a transparent layer"),
        (cut, "corrupt or truncated image data"),
        (wide, "wrong aspect ratio"),
        (empty, "empty hint layer: no opaque pixel"),
        (backed, "opaque almost everywhere (96% of it): a background saved with the hints?"),
        (tmp_path / "missing.png", "no such file"),
        (tmp_path, "is a directory"),
    ]


def test_each_bad_file_is_a_one_line_error_naming_it(tmp_path):
    for path, reason in bad_file_cases(tmp_path):
        with pytest.raises(ImageError) as e:
            hint_layers.load_hint_layer(path, 20, 30)
        message = str(e.value)
        assert message.startswith(f"{path}: ") and reason in message, message
        assert "\n" not in message
    with pytest.raises(ImageError, match=r"^layer\.png: no alpha channel"):
        hint_layers.load_hint_layer(png(np.zeros((4, 4, 3), np.uint8), "RGB"), 4, 4, name="layer.png")


def test_the_check_refuses_what_loading_refuses(tmp_path):
    # Before the model loads, predict checks each layer: the same one-line reasons.
    for path, reason in bad_file_cases(tmp_path):
        with pytest.raises(ImageError) as e:
            hint_layers.check_hint_layer(path, 20, 30)
        assert str(e.value).startswith(f"{path}: ") and reason in str(e.value), str(e.value)
    # A layer turned by its EXIF orientation is checked, as it is loaded, turned.
    turned = layer(20, 30)
    turned[1, 2] = (*RED, 255)
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    Image.fromarray(turned, "RGBA").save(buffer, "PNG", exif=exif)
    hint_layers.check_hint_layer(buffer.getvalue(), 30, 20)
    assert hint_layers.load_hint_layer(buffer.getvalue(), 30, 20)[1].sum() == 1
    for check in (hint_layers.check_hint_layer, hint_layers.load_hint_layer):
        with pytest.raises(ImageError, match="wrong aspect ratio: the hint layer is 20x30, the sketch 30x20"):
            check(buffer.getvalue(), 20, 30)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("3,4,#ff0000", (3, 4, (255, 0, 0))),
        ("3,4,FF8000", (3, 4, (255, 128, 0))),
        (" 120 , 7 , #0a0B0c ", (120, 7, (10, 11, 12))),
        ("0,0,#000000", (0, 0, (0, 0, 0))),
    ],
)
def test_parse_hint(text, expected):
    assert hint_layers.parse_hint(text) == expected


@pytest.mark.parametrize(
    "text, reason",
    [
        ("3,4", "3 comma-separated fields"),
        ("3,4,#ff0000,1", "3 comma-separated fields"),
        ("3.5,4,#ff0000", "whole pixel coordinates"),
        ("x,4,#ff0000", "whole pixel coordinates"),
        ("3,4,#ff00", "6 hexadecimal digits"),
        ("3,4,red", "6 hexadecimal digits"),
        ("3,4,#gg0000", "6 hexadecimal digits"),
    ],
)
def test_parse_hint_errors_quote_the_text(text, reason):
    with pytest.raises(ColorizeError) as e:
        hint_layers.parse_hint(text)
    assert str(e.value).startswith(f"--hint {text!r}: ") and reason in str(e.value)


def test_points_layer_draws_squares_later_on_top():
    rgb, mask = hint_layers.points_layer([(5, 4, RED), (6, 4, GREEN), (0, 9, BLUE)], 10, 12, radius=1)
    expected = np.zeros((10, 12), bool)
    expected[3:6, 4:8] = True  # two overlapping 3 x 3 squares
    expected[8:10, 0:2] = True  # clipped at the corner
    np.testing.assert_array_equal(mask, expected)
    assert np.all(rgb[3:6, 4] == RED) and np.all(rgb[3:6, 5:8] == GREEN)  # the later point wins
    assert np.all(rgb[8:10, 0:2] == BLUE) and not rgb[~mask].any()
    # Radius 0: single pixels.
    assert hint_layers.points_layer([(2, 3, RED)], 5, 5, radius=0)[1].sum() == 1


def test_points_layer_default_radius_scales_with_the_image():
    assert hint_layers.default_radius(100, 100) == 1
    assert hint_layers.default_radius(1024, 2048) == 8
    _, mask = hint_layers.points_layer([(500, 500, RED)], 1024, 1024)
    assert mask.sum() == 17 * 17


def test_points_off_the_image_are_named_and_one_at_the_border_gives_its_part_inside():
    # A point at the border: the part of its square inside.
    assert hint_layers.parse_hint("-1,4,#ff0000") == (-1, 4, RED)  # parses, so that the error can name it
    rgb, mask = hint_layers.points_layer([(0, 4, RED), (11, 9, GREEN)], 10, 12, radius=2)
    expected = np.zeros((10, 12), bool)
    expected[2:7, 0:3] = True  # columns -2..2 of the first square
    expected[7:10, 9:12] = True  # columns 9..11 and rows 7..9 of the second
    np.testing.assert_array_equal(mask, expected)
    assert np.all(rgb[2:7, 0:3] == RED) and np.all(rgb[7:10, 9:12] == GREEN)
    # Off the picture, even by a pixel whose square would reach in (a trial's -5,100 on a 600 px
    # page painted the page, where the user meant the figure at the edge): a one-line error.
    for x, y in ((-1, 4), (12, 4), (5, -1), (5, 10), (15, 3)):
        message = rf"^hint at x={x}, y={y} is off the 12x10 sketch \(x from 0 to 11, y from 0 to 9\)$"
        with pytest.raises(ColorizeError, match=message):
            hint_layers.points_layer([(1, 1, RED), (x, y, RED)], 10, 12, radius=2)
        # check_points refuses the same points, before any layer is drawn.
        with pytest.raises(ColorizeError, match=message):
            hint_layers.check_points([(0, 0, RED), (x, y, RED)], 10, 12)
    hint_layers.check_points([(0, 0, RED), (11, 9, GREEN)], 10, 12)


def test_resize_hints_to_the_network_scale_keeps_every_point():
    points = [(3, 5, RED), (100, 200, GREEN), (255, 255, BLUE)]
    rgb, mask = hint_layers.points_layer(points, 256, 256, radius=0)  # single pixels
    small_rgb, small_mask = hint_layers.resize_hints(rgb, mask, 64, 64)
    assert small_mask.sum() == 3  # a sixteenth share each, but local maxima
    for x, y, color in points:
        assert small_mask[y // 4, x // 4] and tuple(small_rgb[y // 4, x // 4]) == color
    same_rgb, same_mask = hint_layers.resize_hints(rgb, mask, 256, 256)
    np.testing.assert_array_equal(same_rgb, rgb)
    np.testing.assert_array_equal(same_mask, mask)


def test_merge_later_layer_wins():
    a = hint_layers.points_layer([(2, 2, RED)], 6, 6, radius=1)
    b = hint_layers.points_layer([(3, 3, GREEN)], 6, 6, radius=0)
    rgb, mask = hint_layers.merge(a, b)
    np.testing.assert_array_equal(mask, a[1] | b[1])
    assert tuple(rgb[3, 3]) == GREEN and tuple(rgb[1, 1]) == RED and not rgb[~mask].any()
    same = hint_layers.merge(None, b)
    assert same[0] is not b[0] and np.array_equal(same[0], b[0]) and np.array_equal(same[1], b[1])
    assert hint_layers.merge(None, None) is None
    with pytest.raises(ColorizeError, match="cannot merge hints of sizes"):
        hint_layers.merge(a, hint_layers.points_layer([(0, 0, RED)], 5, 6))
