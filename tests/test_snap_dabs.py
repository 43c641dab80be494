"""A dab on a line goes to the region beside it whose color is nearest its
own (`hint_flood.snap_dabs`); a dab on paper stays where it is."""

import cv2
import numpy as np
from test_hint_fill import one_hint
from test_hint_flood import open_circle

from colorize.inference import hint_fill, hint_flood

ORANGE = (240, 150, 40)
CREAM = (240, 238, 226)


def _drawing(size=200, thickness=4):
    """A filled disc outline on white: lines, the disc's mask, and the
    network's colors (the disc orange, the paper cream)."""
    lines = np.full((size, size), 255, np.uint8)
    center, radius = (size // 2, size // 2), size // 3
    cv2.circle(lines, center, radius, 0, thickness)
    disc = np.zeros((size, size), np.uint8)
    cv2.circle(disc, center, radius, 1, -1)  # to the middle of the line
    color = np.empty((size, size, 3), np.uint8)
    color[...] = CREAM
    color[disc.astype(bool)] = ORANGE
    return lines, disc.astype(bool), color


def _labeled(size=200):
    """`_drawing` with its line-bounded regions (`hint_fill.line_regions`)."""
    lines, disc, color = _drawing(size)
    return lines, disc, color, hint_fill.line_regions(lines, hint_fill.default_gap(size, size))


def _snap_one(color, lines, labels, y, x, rgb, side, notes=None):
    """`snap_dabs` of one square dab: (hint_rgb, mask, new_rgb, new_mask)."""
    hint_rgb, mask = one_hint(lines.shape[0], y, x, rgb, side)
    new_rgb, new_mask = hint_flood.snap_dabs(color, lines, hint_rgb, mask, labels, notes=notes)
    return hint_rgb, mask, new_rgb, new_mask


def test_a_dab_straddling_the_outline_fills_the_side_of_its_color():
    size = 200
    lines, disc, color = _drawing(size)
    gap = hint_fill.default_gap(size, size)
    labels = hint_fill.line_regions(lines, gap)
    # A 5 px patch on the disc's right edge, mostly outside it (on the
    # paper), whose color is the disc's: a hint patch straddling the line.
    x = size // 2 + size // 3 - 1
    hint_rgb, mask = one_hint(size, size // 2, x, (236, 148, 44), 5)
    assert set(labels[mask & (lines == 255)].tolist()) == {labels[0, 0]}  # its paper pixels all outside
    plain = hint_flood.fill_hinted_regions(color, lines, hint_rgb, mask)
    snapped = hint_flood.fill_hinted_regions(color, lines, hint_rgb, mask, snap=True)
    outside = (lines == 255) & ~cv2.dilate(disc.view(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    # Without snapping the majority wins: the page goes orange.
    assert (plain[outside] == (236, 148, 44)).all(-1).mean() > 0.9
    # Snapped, the dab fills the disc and the page keeps the network's cream.
    np.testing.assert_array_equal(snapped[outside], color[outside])
    inner = labels == labels[size // 2, size // 2]
    assert (snapped[inner & (lines == 255)] == (236, 148, 44)).all(-1).mean() > 0.99
    # The moved dab lies on the disc's paper only; its middle was on the line: a note says so.
    notes = []
    new_rgb, new_mask = hint_flood.snap_dabs(color, lines, hint_rgb, mask, labels, notes=notes)
    assert len(notes) == 1 and "is on a line: it fills the figure beside it, not the page around it" in notes[0]
    assert new_mask.any() and (labels[new_mask] == labels[size // 2, size // 2]).all()
    assert (new_rgb[new_mask] == (236, 148, 44)).all()


def test_a_dark_dab_beside_the_outline_goes_to_the_side_nearest_its_lightness():
    size = 200
    lines, disc, color, labels = _labeled(size)
    color[disc] = (60, 40, 30)  # a dark disc on cream paper
    x = size // 2 + size // 3 - 1
    *_, new_mask = _snap_one(color, lines, labels, size // 2, x, (90, 80, 70), 5)  # line and disc mixed
    assert new_mask.any() and (labels[new_mask] == labels[size // 2, size // 2]).all()


def test_dabs_on_paper_are_kept_as_they_are():
    size = 200
    lines, disc, color, labels = _labeled(size)
    # Inside the disc, far from the line, in a color unlike the network's.
    hint_rgb, mask = one_hint(size, size // 2, size // 2, (20, 60, 220), 6)
    new_rgb, new_mask = hint_flood.snap_dabs(color, lines, hint_rgb, mask, labels)
    assert new_rgb is hint_rgb and new_mask is not None
    np.testing.assert_array_equal(new_mask, mask)
    # On the paper outside, next to nothing: kept too.
    hint_rgb, mask = one_hint(size, 5, 5, ORANGE, 6)
    _, new_mask = hint_flood.snap_dabs(color, lines, hint_rgb, mask, labels)
    np.testing.assert_array_equal(new_mask, mask)


def test_a_dab_of_the_lines_own_darkness_on_a_line_is_the_line_and_fills_nothing():
    # A black dab on the outline of an orange disc on cream paper (a click
    # on the line itself) asks for no region: neither side is filled black.
    size = 200
    lines, disc, color, labels = _labeled(size)
    x = size // 2 + size // 3 - 1
    notes = []
    hint_rgb, mask, _, new_mask = _snap_one(color, lines, labels, size // 2, x, (10, 10, 10), 5, notes)
    assert (mask & (lines < 128)).any() and (mask & (lines == 255)).any()
    near = cv2.dilate(mask.view(np.uint8), np.ones((5, 5), np.uint8)).view(bool) & (lines == 255)
    assert np.unique(labels[near]).size == 2  # both sides are within reach
    assert not new_mask.any()
    assert len(notes) == 1 and "(#0a0a0a) is the lines' own color on a line: it fills nothing" in notes[0]
    filled = hint_flood.fill_hinted_regions(color, lines, hint_rgb, mask, snap=True)
    paper = lines == 255
    np.testing.assert_array_equal(filled[paper], color[paper])
    # Beside a dark region it is that region's color: it still fills it.
    color[disc] = (30, 30, 30)
    *_, new_mask = _snap_one(color, lines, labels, size // 2, x, (10, 10, 10), 5)
    assert new_mask.any() and (labels[new_mask] == labels[size // 2, size // 2]).all()


def test_a_careless_dab_goes_to_the_region_its_middle_is_in_whatever_its_color():
    # A 9 px dab whose middle is inside the disc, one column of it on the
    # outline: the disc takes it, even in a color nearer the paper's
    # (light blue), and even when it is dark (a dark red is a color, not
    # the line). Its middle on the paper outside: the paper takes it.
    size = 200
    lines, disc, color, labels = _labeled(size)
    inner, outer = labels[size // 2, size // 2], labels[0, 0]
    edge = size // 2 + size // 3 - 2  # the outline's first ink column on the right
    assert lines[size // 2, edge] == 0 and lines[size // 2, edge - 1] == 255
    for left, expected in ((edge - 8, inner), (edge + 4, outer)):
        for rgb in ((200, 225, 245), (150, 20, 20)):
            notes = []
            _, mask, new_rgb, new_mask = _snap_one(color, lines, labels, size // 2 - 4, left, rgb, 9, notes)
            assert (mask & (lines == 0)).any()
            assert new_mask.any() and (labels[new_mask] == expected).all(), (left, rgb)
            assert notes == []  # where it went is where it was put: nothing to say
            assert (new_rgb[new_mask] == rgb).all()


def test_a_dab_on_an_outline_fills_the_figure_not_the_page_and_between_figures_the_nearest_color():
    size = 200
    lines, disc, color, labels = _labeled(size)
    # Centred on the disc's outline, white (the page's color): the disc, not the page.
    x = size // 2 + size // 3 - 2  # the outline's first ink column: the 5 px dab covers its width
    notes = []
    *_, new_mask = _snap_one(color, lines, labels, size // 2 - 2, x, (255, 255, 255), 5, notes)
    assert lines[size // 2, x + 2] == 0  # its middle is on the ink
    assert new_mask.any() and (labels[new_mask] == labels[size // 2, size // 2]).all()
    assert "fills the figure beside it, not the page around it" in notes[0]
    # A line across the disc parts two figures, orange and blue: a blue dab on it goes to the blue one.
    cv2.line(lines, (size // 2, 0), (size // 2, size - 1), 0, 4)
    labels = hint_fill.line_regions(lines, hint_fill.default_gap(size, size))
    color[:, size // 2 :][disc[:, size // 2 :]] = (40, 90, 220)
    notes = []
    *_, new_mask = _snap_one(color, lines, labels, size // 2 - 2, size // 2 - 2, (50, 100, 210), 5, notes)
    assert lines[size // 2, size // 2] == 0
    blue = labels[size // 2, size // 2 + 20]
    assert new_mask.any() and (labels[new_mask] == blue).all()
    assert "fills the region beside it whose color is nearest its own" in notes[0]


def _open_disc(size=400, thickness=5, gap_degrees=20):
    """A circle on white open at its right (`gap_degrees` of its outline
    missing, wider than the default gap closing: the disc and the page are
    one region), and its inside (paper 5 px and more from the line)."""
    lines = np.full((size, size), 255, np.uint8)
    center, radius = (size // 2, size // 2), size // 3
    half = gap_degrees / 2
    cv2.ellipse(lines, center, (radius, radius), 0, half, 360 - half, 0, thickness, cv2.LINE_AA)
    disc = np.zeros((size, size), np.uint8)
    cv2.circle(disc, center, radius - thickness // 2 - 5, 1, -1)
    return lines, disc > 0


def _closed(lines):
    regions = hint_fill.PaperRegions(lines)
    wide = regions.labels(round(hint_flood.FIGURE_GAP_SHARE * min(lines.shape)))
    return lambda: (wide, hint_flood._border_labels(wide))


def test_a_dab_wholly_on_the_line_of_a_figure_open_to_the_page_goes_to_the_figure():
    size = 400
    lines, inside = _open_disc(size)
    labels = hint_fill.line_regions(lines, hint_fill.default_gap(size, size))
    top = size // 2 - size // 3  # the outline's top, at the middle column
    assert labels[size // 2, size // 2] == labels[5, 5]  # one region with the page
    color = np.full((size, size, 3), 200, np.uint8)
    hint_rgb, mask = one_hint(size, top - 1, size // 2 - 1, (32, 80, 192), 3)  # 3 px, wholly on the 5 px line
    assert (lines[mask] < 128).all()
    notes = []
    new_rgb, new_mask = hint_flood.snap_dabs(color, lines, hint_rgb, mask, labels, notes=notes, closed=_closed(lines))
    ys, _ = np.nonzero(new_mask)
    assert new_mask.any() and (ys > top).all() and (lines[new_mask] >= 128).all()  # below the line: inside
    assert "fills the figure beside it, not the page around it" in notes[0]
    # Without the wider regions it is not lost on the ink either: the paper beside it, both sides.
    new_rgb, new_mask = hint_flood.snap_dabs(color, lines, hint_rgb, mask, labels)
    ys, _ = np.nonzero(new_mask)
    assert new_mask.any() and (lines[new_mask] >= 128).all() and ys.min() < top < ys.max()


def test_a_dab_on_a_line_wider_than_its_reach_finds_the_paper_beside_it_and_on_solid_ink_says_so():
    size = 400
    lines, inside = _open_disc(size, thickness=9, gap_degrees=0)
    labels = hint_fill.line_regions(lines, hint_fill.default_gap(size, size))
    color = np.full((size, size, 3), 200, np.uint8)
    top = size // 2 - size // 3
    hint_rgb, mask = one_hint(size, top - 1, size // 2 - 1, (32, 80, 192), 3)  # 2 px and more inside the ink
    assert (cv2.dilate(mask.view(np.uint8), np.ones((5, 5), np.uint8)).view(bool) <= (lines < 128)).all()
    notes = []
    new_rgb, new_mask = hint_flood.snap_dabs(color, lines, hint_rgb, mask, labels, notes=notes)
    assert new_mask.any() and (lines[new_mask] >= 128).all()
    # A solid black block: no paper beside the dab; it is dropped, with a note.
    lines = lines.copy()
    lines[20:120, 20:120] = 0
    hint_rgb, mask = one_hint(size, 60, 60, (32, 80, 192), 5)
    notes = []
    new_rgb, new_mask = hint_flood.snap_dabs(color, lines, hint_rgb, mask, labels, notes=notes)
    assert not new_mask.any()
    (note,) = notes
    assert note == f"hint at 62,62 (#2050c0) is on ink with no paper beside it: it fills nothing; {hint_flood._INSIDE}"


def test_a_dab_on_the_outline_of_an_open_figure_gets_one_note_that_names_it_where_it_was_put():
    # A circle open at the right (about 42 px, wider than the gaps closed), the network's
    # paper outside it; a dab on its outline at the left. It is moved to the figure's side
    # (a note), and that side is filled up to the network's paper (a note): those were two
    # lines naming two places a few px apart, as if there were two hints.
    size = 400
    lines = open_circle()
    disc = np.zeros((size, size), np.uint8)
    cv2.circle(disc, (200, 200), 121, 1, -1)
    color = np.empty((size, size, 3), np.uint8)
    color[...] = CREAM
    color[disc > 0] = ORANGE
    hint_rgb, mask = one_hint(size, 198, 78, (236, 148, 44), 5)  # its middle on the line, at 80,200
    _, _, notes = hint_flood.fill_layers(
        color.copy(), color.copy(), lines, hint_rgb, mask, paper_wall=disc == 0, wall_cell=size / 32
    )
    assert len(notes) == 1, notes
    (note,) = notes
    assert note.startswith("hint at 80,200 (#ec942c) is on a line: it fills ")
    assert ", which is inside an outline open to the page at a gap of about" in note
    assert note.endswith("filled up to where the network sees paper; put it inside the region to fill")


def test_the_regions_at_the_widest_gap_are_found_once_for_a_dab_wholly_on_a_line(monkeypatch):
    # The move (`snap_dabs`, the figure's side) and the fill (`plan_fill`, how open the
    # figure is) both need the regions with gaps of FIGURE_GAP_SHARE closed: one pass.
    size = 400
    lines = open_circle(half_gap=15, thickness=9)  # closed only at the widest gap
    disc = np.zeros((size, size), np.uint8)
    cv2.circle(disc, (200, 200), 124, 1, -1)
    color = np.full((size, size, 3), 240, np.uint8)
    color[disc > 0] = ORANGE
    hint_rgb, mask = one_hint(size, 199, 79, (236, 148, 44), 3)  # wholly on the 9 px line
    gaps = []
    labels = hint_fill.PaperRegions.labels
    monkeypatch.setattr(hint_fill.PaperRegions, "labels", lambda self, gap: gaps.append(gap) or labels(self, gap))
    _, _, notes = hint_flood.fill_layers(
        color.copy(), color.copy(), lines, hint_rgb, mask, paper_wall=disc == 0, wall_cell=size / 32
    )
    widest = round(hint_flood.FIGURE_GAP_SHARE * size)
    assert gaps.count(widest) == 1, gaps
    assert len(notes) == 1 and "which is inside an outline open to the page" in notes[0], notes


def test_a_dab_on_a_thin_outline_of_an_open_figure_fills_the_figure_not_the_page():
    # A new user's 2 px outline: the wide regions, grown into the ink, gave a few pixels on the
    # page's side of the line to the figure, so both sides looked like the figure, the dab kept
    # its pixels on both, and its page half filled the whole page (with a note of "hints of its
    # own" on the paper, which had none).
    size = 400
    lines = open_circle(thickness=2)
    disc = np.zeros((size, size), np.uint8)
    cv2.circle(disc, (200, 200), 121, 1, -1)
    color = np.full((size, size, 3), 240, np.uint8)
    color[disc > 0] = ORANGE
    ys, xs = np.mgrid[:size, :size]
    mask = np.hypot(ys - 320, xs - 200) <= 5  # centered on the bottom of the outline
    hint_rgb = np.zeros((size, size, 3), np.uint8)
    hint_rgb[mask] = (224, 48, 32)
    _, flat, notes = hint_flood.fill_layers(
        color.copy(), color.copy(), lines, hint_rgb, mask, paper_wall=disc == 0, wall_cell=size / 32
    )
    assert np.all(flat[disc == 0] == color[disc == 0])  # the page as the network left it
    assert np.all(flat[200, 100:300] == (224, 48, 32))
    (note,) = notes
    assert note.startswith("hint at 200,320 (#e03020) is on a line: it fills the figure beside it")
