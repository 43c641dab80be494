"""A dark border around a scanned page (the scanner's lid) is not the drawing.

A page scanned with the lid open, or smaller than the glass, comes with a
dark band along some of its sides. The network sees the whole picture, so
the band would change the colors inside the page. `find` looks for such
bands; `predict` colors the page inside them as if it had been scanned
alone and keeps the bands as they were.

A side has a border when, on at least half of its length, the picture
starts with a wide dark run (darker than half the paper's level, wider
than `MIN_WIDTH` of the short side, so lines reaching the edge do not
count; light specks as small inside a dark area, such as stars in a night
sky, are filled first), at most `MAX_DEPTH` of the side deep; each column (or row) of a
bordered side is outside the page up to where its run ends, so a skewed
page's wedge is followed. The page is the bounding box of what is not
outside; outside pixels left inside that box (the wedges) become paper for
the network and are put back afterwards. A page that is mostly dark (a
drawing in light lines on black) has no border. Found on a copy reduced to
a short side of at most `WORK_SIDE` pixels, then brought to full size with a
`MARGIN` (the blurred edge of the lid's shadow).
"""

import dataclasses

import cv2
import numpy as np

WORK_SIDE = 512
"""The border is looked for on the page reduced to this short side."""

MIN_WIDTH = 0.02
"""Dark runs narrower than this share of the short side are lines, not a border."""

MAX_DEPTH = 0.2
"""A border is at most this share of its side deep."""

MARGIN = 0.004
"""The outside grows into the page by this share of the short side (at
least 2 px): the soft edge of the lid's shadow."""


@dataclasses.dataclass
class Border:
    """A dark border around a page.

    Attributes:
        box: (top, bottom, left, right) of the page inside the border, full-size pixels.
        outside: `(H, W)` bool, True on the border.
        paper: (r, g, b) the page's paper color.
    """

    box: tuple
    outside: np.ndarray
    paper: tuple

    @property
    def note(self):
        top, bottom, left, right = self.box
        height, width = self.outside.shape
        sides = [
            f"{depth} px {side}"
            for depth, side in ((top, "top"), (height - bottom, "bottom"), (left, "left"), (width - right, "right"))
            if depth
        ]
        where = f"({', '.join(sides)})" if sides else "(wedges at the edges of a skewed page)"
        return f"dark border around the page {where}: the page inside it colored alone, the border kept as it was"

    def crop(self, image):
        """The page: `image` inside the box, border pixels left in it as paper."""
        top, bottom, left, right = self.box
        page = np.array(image[top:bottom, left:right], copy=True)
        inside = self.outside[top:bottom, left:right]
        page[inside] = self.paper if page.ndim == 3 else int(round(np.mean(self.paper)))
        return page

    def crop_hints(self, hints):
        """(hint_rgb, hint_mask) inside the box, or None (no hint left, or none given)."""
        if hints is None:
            return None
        top, bottom, left, right = self.box
        rgb, mask = hints[0][top:bottom, left:right], hints[1][top:bottom, left:right]
        return (rgb, mask) if mask.any() else None

    def paste(self, image, rgb, flat, lines):
        """Full-size outputs: the page's outputs in the box, the border as it was.

        Args:
            image: `(H, W, 3)` or `(H, W)` uint8, the whole picture.
            rgb, flat: `(h, w, 3)` uint8 colored page and its flat color.
            lines: `(h, w)` uint8 the page's lines.

        Returns:
            (rgb, flat, lines) at full size; the border has no lines (255).
        """
        top, bottom, left, right = self.box
        whole = image if image.ndim == 3 else np.dstack([image] * 3)
        out_rgb, out_flat = whole.copy(), whole.copy()
        out_lines = np.full(self.outside.shape, 255, np.uint8)
        out_rgb[top:bottom, left:right] = rgb
        out_flat[top:bottom, left:right] = flat
        out_lines[top:bottom, left:right] = lines
        out_rgb[self.outside] = whole[self.outside]
        out_flat[self.outside] = whole[self.outside]
        out_lines[self.outside] = 255
        return out_rgb, out_flat, out_lines

    def paste_paper(self, paper):
        """`(H, W)` bool: the page's `(h, w)` bool `paper` in the box, the
        border paper (True) around it."""
        top, bottom, left, right = self.box
        out = np.ones(self.outside.shape, bool)
        out[top:bottom, left:right] = paper
        out[self.outside] = True
        return out


def _runs(dark):
    """Per column, how many pixels from the top are dark without a break."""
    light = ~dark
    first = np.argmax(light, axis=0)  # the first light pixel (0 if the top is light)
    return np.where(light.any(axis=0), first, dark.shape[0])


def find(image):
    """The dark border around a page, or None.

    Args:
        image: `(H, W, 3)` uint8 RGB or `(H, W)` uint8 gray.

    Returns:
        A `Border`, or None when no side has one.
    """
    image = np.asarray(image)
    rgb = image if image.ndim == 3 else np.dstack([image] * 3)
    height, width = rgb.shape[:2]
    scale = min(1.0, WORK_SIDE / min(height, width))
    small_rgb = rgb
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small_rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    small = cv2.cvtColor(small_rgb, cv2.COLOR_RGB2GRAY)
    rows, cols = small.shape
    paper_level = float(np.percentile(small, 90))
    if paper_level < 128 or min(rows, cols) < 16:  # a dark page, or too small to tell
        return None
    dark = small < paper_level / 2
    size = max(3, int(round(MIN_WIDTH * min(rows, cols))) | 1)
    square = np.ones((size, size), np.uint8)
    # Opening drops dark lines that reach the edge; closing fills light specks in a dark area
    # (stars in a night sky, dust on the lid), which would cut its runs short and make a
    # dark area deeper than a border look like one.
    dark = cv2.morphologyEx(dark.view(np.uint8), cv2.MORPH_OPEN, square)
    dark = cv2.morphologyEx(dark, cv2.MORPH_CLOSE, square, borderType=cv2.BORDER_REPLICATE).view(bool)
    outside = np.zeros((rows, cols), bool)
    found = False
    # Each side as the top of a view of the mask: (dark seen from that side, the matching view of `outside`).
    for seen, out in (
        (dark, outside),
        (dark[::-1], outside[::-1]),
        (dark.T, outside.T),
        (dark.T[::-1], outside.T[::-1]),
    ):
        runs = _runs(seen)
        depth = MAX_DEPTH * seen.shape[0]
        # The depth is the median of the runs that there are (with the light rest of the side, a
        # dark area deeper than a border, such as a night sky over part of it, would pass).
        if np.mean(runs > 0) < 0.5 or np.median(runs[runs > 0]) > depth:
            continue
        runs = np.minimum(runs, int(depth))
        out |= np.arange(seen.shape[0])[:, None] < runs[None, :]
        found = True
    if not found:
        return None
    full = cv2.resize(outside.view(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST)
    margin = max(2, int(round(MARGIN * min(height, width))))
    full = cv2.dilate(full, np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)).view(bool)
    page = ~full
    if not page.any():
        return None
    left, top, w, h = cv2.boundingRect(page.view(np.uint8))
    # The paper: the median color of the light pixels of the page.
    light = small_rgb[~outside & (small >= paper_level * 0.9)]
    paper = tuple(int(v) for v in np.median(light, axis=0)) if len(light) else (255, 255, 255)
    return Border((top, top + h, left, left + w), full, paper)
