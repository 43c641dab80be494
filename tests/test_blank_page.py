"""Blank is blank (`colorize.inference.blank_page`): a page with no lines
comes back as it was, with a note, and the network is not asked."""

import cv2
import numpy as np
import pytest

from colorize.inference import blank_page, coloring


class NoNetwork:
    """A model that fails the test if it is used."""

    sketch_kind = "line"

    def __getattr__(self, name):
        raise AssertionError(f"the network was asked ({name}) for a blank page")


def pages(tmp_path):
    """Blank pages as files, decoded the way predict decodes them."""
    rng = np.random.default_rng(0)
    cv2.imwrite(str(tmp_path / "white.png"), np.full((60, 80), 255, np.uint8))
    cv2.imwrite(str(tmp_path / "transparent.png"), np.zeros((60, 80, 4), np.uint8))
    faint = np.clip(rng.normal(242, 3, (60, 80)), 0, 255).astype(np.uint8)
    cv2.imwrite(str(tmp_path / "faint.png"), faint)
    cream = np.clip(rng.normal((225, 240, 248), 4, (300, 400, 3)), 0, 255).astype(np.uint8)  # BGR
    for x, y in rng.integers(10, 290, (3, 2)):  # three specks of dust, 4 px each
        cream[y : y + 2, x : x + 2] = 40
    cv2.imwrite(str(tmp_path / "cream_dust.jpg"), cream, [cv2.IMWRITE_JPEG_QUALITY, 80])
    cv2.imwrite(str(tmp_path / "black.png"), np.zeros((60, 80), np.uint8))
    return {
        name: coloring.load_rgb(str(tmp_path / f"{name}.{ext}"))
        for name, ext in (
            ("white", "png"),
            ("transparent", "png"),
            ("faint", "png"),
            ("cream_dust", "jpg"),
            ("black", "png"),
        )
    }


def test_blank_pages_come_back_as_they_were_with_a_note(tmp_path):
    for name, rgb in pages(tmp_path).items():
        assert blank_page.is_blank(rgb), name
        out = coloring.colorize_array(rgb, NoNetwork())
        np.testing.assert_array_equal(out["rgb"], rgb)
        np.testing.assert_array_equal(out["color"], rgb)
        assert np.all(out["lines"] == 255)
        assert out["notes"] == ["blank page: no lines to color, returned as it was"], name
    # The transparent page is white once its alpha is composited on white, as predict decodes it.
    assert np.all(pages(tmp_path)["transparent"] == 255)
    hint_rgb = np.zeros((60, 80, 3), np.uint8)
    hint_mask = np.zeros((60, 80), bool)
    hint_mask[10:14, 10:14] = True
    out = coloring.colorize_array(np.full((60, 80), 255, np.uint8), NoNetwork(), hint_rgb, hint_mask)
    assert out["notes"] == ["blank page: no lines to color, returned as it was (its hints are not used)"]


@pytest.mark.parametrize("polarity", ["dark on light", "light on dark"])
def test_a_sparse_line_is_not_blank(polarity):
    page = np.full((4000, 4000), 250, np.uint8)
    cv2.line(page, (1000, 2000), (1400, 2000), 30, 1)  # 401 px of ink: a tenth of the width
    if polarity == "light on dark":
        page = 255 - page
    assert blank_page.ink_pixels(page) == 401
    assert not blank_page.is_blank(page)
    page[2000, 1000:1200] = page[0, 0]  # the line halved: under 2e-5 of the page
    assert blank_page.ink_pixels(page) == 201 and blank_page.is_blank(page)


def test_a_drawing_is_not_blank_and_its_ink_is_counted_either_way():
    page = np.full((64, 64, 3), 255, np.uint8)
    cv2.rectangle(page, (10, 10), (40, 40), (0, 0, 200), 1)  # a blue outline: far from white in R and G
    assert blank_page.ink_pixels(page) == 120
    assert blank_page.unchanged(page) is None
    assert blank_page.ink_pixels(255 - page) == 120
