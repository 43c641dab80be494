"""`hint_fill.line_regions` at large sizes: ball centers found at a smaller
scale, the lines split between their regions, deep ink labeled."""

import cv2
import numpy as np

from colorize.inference import hint_fill
from experiments import predict_speed


def partition_agreement(a, b):
    """Share of pixels whose label in `a` is the one most of `a`'s region has in `b`."""
    key = a.astype(np.int64) * (int(b.max()) + 1) + b
    keys, counts = np.unique(key, return_counts=True)
    region = keys // (int(b.max()) + 1)
    order = np.lexsort((counts, region))
    region, counts = region[order], counts[order]
    return counts[np.r_[region[1:] != region[:-1], True]].sum() / a.size


def test_ball_centers_at_a_smaller_scale_give_the_regions_of_the_full_scale(monkeypatch):
    for seed, gap in ((1, 40), (2, 44)):
        lines = predict_speed.drawing(2000, 2000, seed)  # closed outlines, 10 px lines
        fast = hint_fill.line_regions(lines, gap=gap)  # ball radius >= 21: centers found at 1/4 scale
        assert (gap / 2 + 1) // hint_fill.SCALE_RADIUS >= hint_fill.MAX_FACTOR == 4
        with monkeypatch.context() as patch:
            patch.setattr(hint_fill, "MAX_FACTOR", 1)
            exact = hint_fill.line_regions(lines, gap=gap)
        paper = lines > 200
        a, b = exact[paper], fast[paper]
        assert partition_agreement(a, b) > 0.99 and partition_agreement(b, a) > 0.99
        assert abs(int(exact.max()) - int(fast.max())) <= 2


def test_a_gap_is_closed_at_a_smaller_scale_and_a_wider_one_is_not():
    size, gap = 1200, 40
    for width, closed in ((gap - 4, True), (2 * gap + 8, False)):
        lines = np.full((size, size), 255, np.uint8)
        cv2.rectangle(lines, (300, 300), (900, 900), 0, 4)
        lines[580 : 580 + width, 296:306] = 255  # a break in the left side
        labels = hint_fill.line_regions(lines, gap=gap)
        assert (labels[600, 600] != labels[10, 10]) == closed, width


def test_lines_split_between_their_regions_and_deep_ink_takes_a_neighbour():
    lines = np.full((200, 300), 255, np.uint8)
    lines[:, 140:160] = 0  # a 20 px wide wall between two regions
    cv2.circle(lines, (60, 100), 30, 0, -1)  # a black disc inside the left one
    labels = hint_fill.line_regions(lines, gap=4)
    left, right = labels[100, 10], labels[100, 290]
    assert left != right and set(np.unique(labels).tolist()) == {left, right}
    # The wall's columns split at its middle (3 passes from each side, then
    # the rest from nearby blocks: within a block of the middle).
    wall_left = (labels[:, 140:160] == left).mean(axis=0)
    assert np.all(wall_left[:3] == 1) and np.all(wall_left[-3:] == 0)
    assert abs(wall_left.sum() - 10) <= 4
    assert np.all(labels[70:131, 30:91] == left)  # the disc, deep ink: its surrounding region
