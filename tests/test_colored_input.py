"""A colored picture given as a sketch gets a note; sketches of every kind do not."""

import cv2
import numpy as np
import pytest

from colorize.data import sketch
from colorize.inference import colored_input


def _page(color=(255, 255, 255), size=(512, 512)):
    return np.full((*size, 3), color, np.uint8)


def _illustration():
    """A red disk and a blue square with black outlines, on white (what a new user brought)."""
    image = _page()
    cv2.circle(image, (200, 220), 140, (220, 40, 30), -1)
    cv2.circle(image, (200, 220), 140, (0, 0, 0), 4)
    cv2.rectangle(image, (300, 300), (470, 470), (30, 60, 200), -1)
    cv2.rectangle(image, (300, 300), (470, 470), (0, 0, 0), 4)
    return image


def _outlines(image, color, thickness):
    cv2.circle(image, (200, 220), 140, color, thickness, cv2.LINE_AA)
    cv2.rectangle(image, (300, 300), (470, 470), color, thickness, cv2.LINE_AA)
    cv2.line(image, (20, 500), (500, 30), color, thickness, cv2.LINE_AA)
    return image


def test_a_colored_illustration_gets_the_note():
    share = colored_input.fill_share(_illustration())
    assert 0.3 < share < 0.5  # the disk and the square: about 0.38 of the page
    note = colored_input.note(_illustration())
    assert "colored picture" in note and "--from-color" in note and "\n" not in note


def test_a_picture_that_fills_its_frame_gets_the_note():
    # Its colour is most of the picture (the median), not its paper: the paper is read off the edges.
    image = _page()
    cv2.circle(image, (256, 256), 250, (230, 120, 30), -1)
    assert colored_input.note(image) is not None


@pytest.mark.parametrize(
    "name, image",
    [
        ("black lines", _outlines(_page(), (0, 0, 0), 3)),
        ("blue lines", _outlines(_page(), (20, 40, 230), 3)),
        ("thick red lines", _outlines(_page(), (230, 20, 20), 8)),
        ("a blueprint", _outlines(_page((20, 60, 170)), (240, 240, 255), 3)),
        ("yellow paper", _outlines(_page((250, 235, 150)), (40, 30, 20), 3)),
        ("a gray scan", _outlines(_page((200, 200, 196)), (60, 60, 60), 2)),
        ("gray", cv2.cvtColor(_outlines(_page(), (0, 0, 0), 3), cv2.COLOR_RGB2GRAY)),
    ],
)
def test_sketches_get_no_note(name, image):
    assert colored_input.note(image) is None, name


def test_a_picture_too_small_for_a_ring_is_measured_whole():
    assert colored_input.fill_share(_page((250, 0, 0), (3, 3))) == 0.0  # all paper, red
    assert colored_input.fill_share(np.zeros((0, 0, 3), np.uint8)) == 0.0


def test_ink_lines_fill_thick_black_outlines_and_leave_colors_alone(monkeypatch):
    # --from-color multiplies these back: the extracted line of a thick black outline is its two
    # edges, hollow between them; the picture's own ink fills it. Dark colors are not ink.
    image = _page()
    cv2.circle(image, (200, 220), 140, (0, 0, 0), 15)  # a thick black outline
    cv2.rectangle(image, (380, 380), (500, 500), (20, 20, 90), -1)  # a navy fill: dark, but a color
    cv2.rectangle(image, (60, 420), (160, 490), (40, 40, 40), -1)  # a dark gray fill: ink
    line, _ = sketch.extract_sketch(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    out = colored_input.ink_lines(image, line)
    assert out.dtype == np.uint8 and out.shape == line.shape and (out <= line).all()
    midline = [(220 + round(140 * np.sin(t)), 200 + round(140 * np.cos(t))) for t in np.linspace(0, 6.2, 40)]
    rows, cols = np.array(midline).T
    assert line[rows, cols].min() > 128  # hollow: the extraction's two edges are 7 px away
    assert out[rows, cols].max() == 0  # solid ink
    assert (out[180:260, 160:240] == line[180:260, 160:240]).all()  # the page inside the ring: as extracted
    assert (out[395:485, 395:485] == line[395:485, 395:485]).all()  # the navy fill is no ink
    assert (out[430:480, 70:150] == 40).all()  # the dark gray fill is, at its own gray
    monkeypatch.setattr(colored_input, "INK_LEVEL", 0)  # no ink: the extracted line alone
    np.testing.assert_array_equal(colored_input.ink_lines(image, line), line)
    assert (colored_input.ink_lines(image[..., 0], line) <= line).all()  # a gray picture
    with pytest.raises(ValueError, match="line of shape"):
        colored_input.ink_lines(image, line[:-1])
