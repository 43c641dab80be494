"""A dark border around a scanned page (`colorize.inference.page_border`)
does not change the colors inside the page."""

import re

import cv2
import numpy as np
import pytest
from test_sketch_normalization import SKY_ROWS, YELLOWISH, draw, page

from colorize import weights
from colorize.inference import coloring, page_border


def scan(size=768, seed=0):
    """The drawing scanned: dark gray ink on yellowish paper, sensor noise."""
    coverage = (255 - draw(size, t=3))[..., None] / 255.0
    rgb = np.array(YELLOWISH, float) * (1 - coverage) + 30.0 * coverage
    rgb += np.random.default_rng(seed).normal(0, 4, rgb.shape)
    return np.clip(np.round(rgb), 0, 255).astype(np.uint8)


def with_border(sheet, top, bottom, left, right, angle=0.0):
    """The sheet on a dark scanner lid (levels 25..36), turned by `angle`
    degrees on the glass: (image, where the sheet's pixels are)."""
    h, w = sheet.shape[:2]
    size = (w + left + right, h + top + bottom)
    lid = 25 + np.random.default_rng(1).integers(0, 12, (size[1], size[0], 3)).astype(np.uint8)
    matrix = cv2.getRotationMatrix2D((left + w / 2, top + h / 2), angle, 1.0)
    matrix[:, 2] += (left, top)
    flat = cv2.warpAffine(sheet, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    where = cv2.warpAffine(np.ones((h, w), np.uint8), matrix, size, flags=cv2.INTER_NEAREST) > 0
    return np.where(where[..., None], flat, lid), where


def test_the_border_is_found_on_each_side_and_a_skewed_page_keeps_its_wedges():
    sheet = scan()
    image, where = with_border(sheet, 60, 25, 45, 0)  # no border on the right
    border = page_border.find(image)
    top, bottom, left, right = border.box
    assert 60 <= top <= 60 + 6 and 768 + 60 - 6 <= bottom <= 768 + 60
    assert 45 <= left <= 45 + 6 and right == image.shape[1]
    assert np.all(border.outside[~where])  # all of the lid is outside
    assert border.outside[where].mean() < 0.02  # and little of the sheet (the shadow's margin)
    assert np.abs(np.array(border.paper) - YELLOWISH).max() <= 3
    # The note names the sides with a border (and their depth, the shadow's margin included), no others.
    assert re.match(r"dark border around the page \(6\d px top, 2\d px bottom, 4\d px left\): ", border.note)
    skewed, where = with_border(sheet, 50, 50, 50, 50, angle=2.0)
    border = page_border.find(skewed)
    assert np.all(border.outside[~where]) and border.outside[where].mean() < 0.03
    # The page handed to the network has paper where the wedges were.
    top, bottom, left, right = border.box
    crop = border.crop(skewed)
    wedge = border.outside[top:bottom, left:right]
    assert wedge.any() and np.all(crop[wedge] == border.paper)


@pytest.mark.parametrize(
    "name",
    ["plain drawing", "lines to the edges", "night page", "night sky with a moon", "light lines on black", "tiny"],
)
def test_pages_without_a_lid_have_no_border(name):
    if name == "plain drawing":
        image = scan()
    elif name == "lines to the edges":
        image = scan()
        for y in range(0, 768, 40):  # a hatching that runs off every side
            cv2.line(image, (0, y), (767, y + 30), (20, 20, 20), 4)
    elif name == "night page":  # a black sky over the top 62 %, touching three sides
        image = page((20, 20, 20), "night")
        assert SKY_ROWS > 0.2 * image.shape[0]
    elif name == "night sky with a moon":  # stars wider than lines and a moon near a side cut the sky's runs short
        image = scan(1000)[:800]
        image[:480] = 0
        rng = np.random.default_rng(2)
        for x, y in rng.integers(0, [1000, 470], (120, 2)):
            cv2.circle(image, (int(x), int(y)), int(rng.integers(2, 6)), (255, 255, 255), -1)
        cv2.circle(image, (930, 120), 45, (255, 255, 255), -1)
    elif name == "light lines on black":
        image = 255 - scan()
    else:
        image = np.full((10, 12, 3), 30, np.uint8)
    assert page_border.find(image) is None


@pytest.fixture(scope="module")
def shipped():
    return coloring.Model(weights.default_model())


def test_a_dark_border_leaves_the_colors_inside_the_page_as_without_it(shipped, monkeypatch):
    sheet = scan()
    image, _ = with_border(sheet, 60, 25, 45, 12)
    out = coloring.colorize_array(image, shipped)
    assert out["rgb"].shape == image.shape
    assert out["notes"][0].startswith("dark border around the page (")
    # The page found inside the border is the sheet less a few pixels of the lid's shadow (the test
    # above): its colors are those of that page colored alone, to the level, in the same place (the
    # few pixels in the box taken for the lid's shadow aside: they are kept as they were).
    border = page_border.find(image)
    top, bottom, left, right = border.box
    assert 60 <= top and bottom <= 60 + 768 and 45 <= left and right <= 45 + 768
    alone = coloring.colorize_array(sheet[top - 60 : bottom - 60, left - 45 : right - 45], shipped)
    page = ~border.outside[top:bottom, left:right]
    assert page.mean() > 0.999
    np.testing.assert_array_equal(out["rgb"][top:bottom, left:right][page], alone["rgb"][page])
    np.testing.assert_array_equal(out["lines"][top:bottom, left:right][page], alone["lines"][page])
    # The lid is kept as it was, without lines.
    np.testing.assert_array_equal(out["rgb"][:50], image[:50])
    assert np.all(out["lines"][:50] == 255)
    # Without looking for the border the lid changes the colors (the fault).
    monkeypatch.setattr(page_border, "find", lambda image: None)
    blind = coloring.colorize_array(image, shipped)
    fault = np.abs(blind["rgb"][top:bottom, left:right].astype(int) - alone["rgb"])
    assert fault.mean() > 4.0
