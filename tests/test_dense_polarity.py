"""Polarity for dense pages (`sketch_normalization.light_on_dark`):
stippled, hatched and screentoned pages keep their polarity, and the same
pages drawn white on black are inverted."""

import cv2
import numpy as np
import pytest
import tensorflow as tf

from colorize.serving import sketch_normalization


def stippled(size, density, seed, hatch=True):
    """Towers over a stippled ground (dots of 1 px radius on `density` of
    the page), hatched below: dark ink on white, (size, size) uint8."""
    rng = np.random.default_rng(seed)
    img = np.full((size, size), 255, np.uint8)
    for x, y in rng.integers(0, size, (int(density * size * size / 9), 2)):
        cv2.circle(img, (int(x), int(y)), 1, 0, -1)
    if hatch:
        for x in range(0, size, 7):
            cv2.line(img, (x, size // 2), (x + size // 4, size), 0, 1)
    for x0 in np.linspace(0.1, 0.7, 3) * size:
        x0 = int(x0)
        cv2.rectangle(img, (x0, size // 4), (x0 + size // 6, size * 3 // 4), 0, max(2, size // 180))
        cv2.fillPoly(
            img, [np.array([(x0 - 10, size // 4), (x0 + size // 12, size // 9), (x0 + size // 6 + 10, size // 4)])], 0
        )
    return img


def screentone(size, pitch, radius, seed):
    """A figure outline over a screentone (a regular dot grid, as manga
    tones are) on half of the page, and cross-hatching on a quarter."""
    rng = np.random.default_rng(seed)
    img = np.full((size, size), 255, np.uint8)
    offset = int(rng.integers(0, pitch))
    for y in range(offset, size // 2, pitch):
        for x in range(offset + (y // pitch % 2) * pitch // 2, size, pitch):
            cv2.circle(img, (x, y), radius, 0, -1, cv2.LINE_AA)
    for x in range(0, size, 6):
        cv2.line(img, (x, size * 3 // 4), (x + size // 4, size), 0, 1, cv2.LINE_AA)
        cv2.line(img, (x, size), (x + size // 4, size * 3 // 4), 0, 1, cv2.LINE_AA)
    cv2.ellipse(img, (size // 2, size // 2), (size // 3, size // 4), 0, 0, 360, 0, max(2, size // 200), cv2.LINE_AA)
    return img


def inverted(gray):
    return bool(sketch_normalization.page_levels(tf.constant(gray[..., None]))["invert"])


PAGES = {
    "stippled castle (22 %)": lambda: stippled(900, 0.22, seed=3),
    "stippled, sparse (10 %)": lambda: stippled(700, 0.10, seed=4),
    "stippled, dense (30 %), no hatching": lambda: stippled(1000, 0.30, seed=5, hatch=False),
    "stippled, 2400 px": lambda: stippled(2400, 0.2, seed=6),
    "screentone, pitch 6": lambda: screentone(800, 6, 1, seed=1),
    "screentone, pitch 10": lambda: screentone(1200, 10, 2, seed=2),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_dense_dark_ink_keeps_its_polarity_and_its_negative_is_inverted(name):
    gray = PAGES[name]()
    assert not inverted(gray), f"{name}: dark ink on white taken for light lines"
    assert inverted(255 - gray), f"{name}: white on black not inverted"


def test_a_dense_page_is_normalized_to_dark_lines_on_white():
    gray = stippled(900, 0.22, seed=3)
    net, lines = sketch_normalization.normalize(tf.constant(gray[..., None]))
    net, lines = net.numpy()[..., 0], lines.numpy()[..., 0]
    # The page stays light with dark lines: the towers' outlines are dark, the paper light.
    assert np.median(lines) > 200 and np.median(net) > 200
    assert lines[450, 89:92].max() < 100  # the left tower's side (x = 90, 5 px wide)
