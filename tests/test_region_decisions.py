"""Region decisions (`fullres.upsample_regions` with the network's
evidence): paper is pure white, a colored region takes its chromatic mean
flat, and the calibration's rule keeps white paper before PSNR."""

import cv2
import numpy as np

from colorize.inference import fullres
from experiments import calibrate_decoding, mixed_regions

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


def test_a_figure_open_to_the_page_is_decided_pixel_by_pixel():
    """A gap in the outline makes the figure and the page one region; its
    cells disagree about paper (mass 0.95 on the page, 0.05 in the figure),
    so its page is white and its figure the chromatic color, instead of the
    whole region one way."""
    sketch, color, chromatic, small = _figure(small=64)  # cells of 4 pixels, 16 at full size
    cv2.rectangle(sketch, (180, 118), (200, 138), 255, -1)  # a gap on the right of the circle
    assert fullres.line_regions(sketch)[2] == 2  # lines and one region
    paper = np.full((small, small), 0.95, np.float32)
    paper[16:48, 16:48] = 0.05  # the figure's cells (pixels 64..192)
    out = fullres.upsample_regions(color, sketch, evidence=(paper, chromatic), paper_threshold=0.5)
    np.testing.assert_array_equal(out[10, 10], 255.0)  # the page: white
    np.testing.assert_array_equal(out[245, 128], 255.0)
    np.testing.assert_allclose(out[128, 128], ORANGE, atol=1.0)  # the figure: its chromatic color
    np.testing.assert_allclose(out[100, 100], ORANGE, atol=1.0)
    # Line pixels take the color of a region pixel next to them: white or orange, never the cream.
    on_line = out[fullres.line_regions(sketch)[0].astype(bool)]
    white = np.all(on_line == 255.0, axis=1)
    orange = np.all(np.abs(on_line - ORANGE) <= 1.0, axis=1)
    assert np.all(white | orange) and white.any() and orange.any()
    # The bleed past the outline of the open figure (2 trained-scale pixels, 8 full-size):
    # the page next to the outline takes the decision of the page deeper in, no halo.
    bleeding = np.full((small, small), 0.95, np.float32)
    bleeding[14:50, 14:50] = 0.05
    halo = fullres.upsample_regions(color, sketch, evidence=(bleeding, chromatic), paper_threshold=0.5)
    np.testing.assert_array_equal(halo[128, 128 - 64 - 6], 255.0)  # left of the circle
    np.testing.assert_array_equal(halo[128 - 64 - 6, 128], 255.0)  # above it
    np.testing.assert_allclose(halo[128, 128], ORANGE, atol=1.0)
    # A closed outline: the network's color bleeding a cell past it is not a merger;
    # the page around it is decided whole, white up to the line.
    closed, _, _, _ = _figure(small=64)
    bleed = np.full((small, small), 0.95, np.float32)
    bleed[14:50, 14:50] = 0.05  # the figure's cells and 2 cells (8 px at full size) around it
    ring = fullres.upsample_regions(color, closed, evidence=(bleed, chromatic), paper_threshold=0.5)
    np.testing.assert_array_equal(ring[128, 128 + 64 + 6], 255.0)
    np.testing.assert_array_equal(ring[60, 60], 255.0)
    np.testing.assert_allclose(ring[128, 128], ORANGE, atol=1.0)
    # With the cells in agreement (no spread), the region is decided whole, as before.
    agreeing = np.full((small, small), 0.6, np.float32)
    whole = fullres.upsample_regions(color, sketch, evidence=(agreeing, chromatic), paper_threshold=0.5)
    np.testing.assert_array_equal(whole[128, 128], 255.0)


def test_a_spot_of_color_on_the_page_away_from_every_line_is_paper(monkeypatch):
    """An open figure makes the page a mixed region; a spot of the network's
    doubt on it (colored cells far from any line) is white paper, the open
    figure's color stays."""
    sketch, color, chromatic, small = _figure(small=64)
    cv2.rectangle(sketch, (180, 118), (200, 138), 255, -1)  # a gap: figure and page one region
    paper = np.full((small, small), 0.95, np.float32)
    paper[16:48, 16:48] = 0.05  # the figure
    paper[4:8, 52:58] = 0.05  # a spot top right, 4+ cells from the circle and from the border
    out = fullres.upsample_regions(color, sketch, evidence=(paper, chromatic), paper_threshold=0.5)
    np.testing.assert_array_equal(out[24, 220], 255.0)
    np.testing.assert_allclose(out[128, 128], ORANGE, atol=1.0)
    # A spot touching the picture's border stays (color running off the page: a sky).
    edge = paper.copy()
    edge[0:4, 52:58] = 0.05
    at_edge = fullres.upsample_regions(color, sketch, evidence=(edge, chromatic), paper_threshold=0.5)
    np.testing.assert_allclose(at_edge[24, 220], ORANGE, atol=1.0)
    monkeypatch.setattr(fullres, "FLOATING_COLOR_IS_PAPER", False)
    kept = fullres.upsample_regions(color, sketch, evidence=(paper, chromatic), paper_threshold=0.5)
    np.testing.assert_allclose(kept[24, 220], ORANGE, atol=1.0)


def test_outlined_share_whitens_doubt_spreading_from_one_line(monkeypatch):
    """With `OUTLINED_SHARE` on, a patch of color on an open page that only
    one line bounds (doubt above a ground line) is paper; an open figure,
    outlined all round but for a gap, keeps its color. Off (the default),
    both stay colored."""
    size, small = 256, 64
    sketch = np.full((size, size), 255, np.uint8)
    cv2.line(sketch, (0, 230), (size - 1, 230), 0, 3)  # a ground line
    cv2.rectangle(sketch, (30, 60), (110, 229), 0, 3)  # a house on it, open at the top
    cv2.rectangle(sketch, (60, 50), (80, 70), 255, -1)  # the gap in its roof
    color = np.full((small, small, 3), CREAM, np.float32)
    chromatic = np.full((small, small, 3), ORANGE, np.float32)
    paper = np.full((small, small), 0.95, np.float32)
    paper[16:57, 8:27] = 0.05  # the house's cells
    paper[44:57, 40:56] = 0.05  # a blotch on the page, standing on the ground line
    inside, blotch = (150, 70), (210, 190)  # (row, column)
    out = fullres.upsample_regions(color, sketch, evidence=(paper, chromatic), paper_threshold=0.5)
    np.testing.assert_allclose(out[inside], ORANGE, atol=1.0)
    np.testing.assert_allclose(out[blotch], ORANGE, atol=1.0)
    monkeypatch.setattr(fullres, "OUTLINED_SHARE", 0.7)
    out = fullres.upsample_regions(color, sketch, evidence=(paper, chromatic), paper_threshold=0.5)
    np.testing.assert_allclose(out[inside], ORANGE, atol=1.0)
    np.testing.assert_array_equal(out[blotch], 255.0)
    np.testing.assert_array_equal(out[20, 200], 255.0)  # the page


def test_outlined_share_counts_lines_and_the_border():
    colored = np.zeros((10, 12), bool)
    colored[0:4, 2:6] = True  # at the top border: 4 border samples of 12 edge samples
    colored[6:9, 8:11] = True  # inside: 8 edge samples, those of column 8 near a line
    deep = np.ones_like(colored)
    deep[:, 8] = False
    count, patches = cv2.connectedComponents(colored.astype(np.uint8), connectivity=8)
    share = fullres.outlined_share(colored, patches, count, deep)
    assert count == 3
    np.testing.assert_allclose(share, [0.0, 4 / 12, 3 / 8])


def test_a_closed_shape_whose_cells_disagree_is_decided_as_a_whole(monkeypatch):
    """A closed shape, not open to the page: half its cells paper, half
    color, the same disagreement that makes an open figure mixed. It is one
    shape, so it gets one decision, never white and color split along no
    line; open to the page through a gap, the same cells are split."""
    sketch, color, chromatic, small = _figure(small=64)
    paper = np.full((small, small), 0.95, np.float32)
    paper[16:48, 16:32] = 0.05  # the circle's left half colored, its right half paper
    inside = np.zeros(sketch.shape, np.uint8)
    cv2.circle(inside, (128, 128), 56, 1, -1)
    inside = inside.astype(bool)
    out = fullres.upsample_regions(color, sketch, evidence=(paper, chromatic), paper_threshold=0.5)
    assert np.ptp(out[inside], axis=0).max() < 1.0  # one flat decision over the whole circle
    monkeypatch.setattr(fullres, "MIXED_ONLY_OPEN", False)
    split = fullres.upsample_regions(color, sketch, evidence=(paper, chromatic), paper_threshold=0.5)
    assert np.ptp(split[inside], axis=0).max() > 100.0  # the old rule: white and orange inside one shape
    monkeypatch.setattr(fullres, "MIXED_ONLY_OPEN", True)
    cv2.rectangle(sketch, (180, 118), (200, 138), 255, -1)  # a gap: the circle joins the page
    opened = fullres.upsample_regions(color, sketch, evidence=(paper, chromatic), paper_threshold=0.5)
    np.testing.assert_allclose(opened[128, 90], ORANGE, atol=1.0)
    np.testing.assert_array_equal(opened[128, 160], 255.0)


def test_paper_holes_inside_a_figure_are_colored():
    """A patch of the network's doubt inside a figure (paper cells enclosed
    by colored ones, small) is not paper; the page, and a large enclosed
    page (inside a frame), are."""
    paper = np.full((32, 32), 0.9, np.float32)
    paper[8:24, 8:24] = 0.1  # a figure
    paper[12:15, 12:15] = 0.7  # doubt inside it: 9 cells
    out = fullres.paper_without_holes(paper, 0.5)
    np.testing.assert_array_equal(out[12:15, 12:15], 0.0)
    np.testing.assert_array_equal(out[0], np.float32(0.9))  # the page touches the border
    np.testing.assert_array_equal(out[8:24, 8:24][paper[8:24, 8:24] < 0.5], np.float32(0.1))  # the rest kept
    framed = np.full((32, 32), 0.1, np.float32)
    framed[2:30, 2:30] = 0.9  # a page inside a frame: 784 cells, over PAPER_HOLE_SHARE of 1024
    np.testing.assert_array_equal(fullres.paper_without_holes(framed, 0.5), framed)


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


def test_the_mixed_spread_is_chosen_by_the_threshold_rule():
    results = {
        9.0: {"none": _row(14.0, 0.86), 0.5: _row(14.3, 0.94)},
        0.2: {"none": _row(14.0, 0.86), 0.25: _row(15.6, 0.95), 0.5: _row(15.8, 0.91)},  # 0.5 loses white
        0.1: {"none": _row(14.0, 0.86), 0.25: _row(15.7, 0.92)},
    }
    assert mixed_regions.choose(results) == {"spread": 0.2, "paper_threshold": 0.25}
    assert mixed_regions.choose({0.2: {"none": _row(14.0, 0.86), 0.5: _row(15.8, 0.91)}}) is None


def test_a_thin_margin_outside_a_frame_is_paper():
    """A frame drawn 12 px inside the picture's edge: the margin between it
    and the edge is one region all around, too thin for a cell away from the
    lines, where the network's cells all see the frame (paper mass 0.2
    there). It is paper. A strip as thin along one side only (a figure cut
    by the window) is decided by its paper mass, as before, and so is a
    frame's margin a line to the edge cuts in two."""
    sketch, color, chromatic, small = _figure(small=64)  # cells of 4 pixels, 16 at full size
    cv2.rectangle(sketch, (12, 12), (243, 243), 0, 3)
    paper = np.full((small, small), 0.95, np.float32)
    paper[:5, :] = paper[-5:, :] = paper[:, :5] = paper[:, -5:] = 0.2  # the margin's cells
    out = fullres.upsample_regions(color, sketch, evidence=(paper, chromatic), paper_threshold=0.5)
    margin = np.ones(sketch.shape, bool)
    margin[8:248, 8:248] = False
    np.testing.assert_array_equal(out[margin], 255.0)
    np.testing.assert_array_equal(out[128, 20], 255.0)  # inside the frame: paper (mass 0.95)
    # Along the left side only: the margin's mass decides, as for any region (colored).
    one_side = np.full((256, 256), 255, np.uint8)
    cv2.line(one_side, (12, 0), (12, 255), 0, 3)
    out = fullres.upsample_regions(color, one_side, evidence=(paper, chromatic), paper_threshold=0.5)
    np.testing.assert_allclose(out[128, 4], ORANGE, atol=1.0)
    cut = sketch.copy()
    cv2.line(cut, (0, 128), (255, 128), 0, 3)  # two halves of the margin, each under half the edge
    out = fullres.upsample_regions(color, cut, evidence=(paper, chromatic), paper_threshold=0.5)
    np.testing.assert_allclose(out[64, 4], ORANGE, atol=1.0)
