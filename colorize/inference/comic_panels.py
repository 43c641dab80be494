"""Comic panels: each colored as a page of its own.

A comic page is panels, each a closed frame with a drawing inside, on the
page's gutters. To the network a closed frame is a figure, so the paper
inside every panel came out colored (a blue and pink mottle, or with a
palette one flat color, the figure lost in a panel of its own color),
while the same drawing on its own page keeps white paper. So a page with
panels is colored panel by panel: the inside of each frame as a page of
its own (its paper then reaches that page's border, as a page's does),
the gutters and frames as the page.

A panel is a closed paper region, not touching the picture's border, whose
outline is a rectangle (the region with what it holds fills at least
`RECTANGLE_SHARE` of its bounding box), at least `MIN_PANEL_SHARE` of the
page, with line work inside it, and with the page's own paper (gutters or
margin) just outside each of its sides (`GUTTER_REACH`); and a page has panels only when it has at
least `MIN_PANELS` of them, not nested, covering at least `MIN_COVER` of
it. A single frame is not enough: emoji buttons and flags are one colored
square holding a symbol, and two drawers of an emoji card box were two
rectangles inside its outline before `GUTTER_REACH`.
"""

import cv2
import numpy as np

MIN_PANEL_SHARE = 0.04
"""A panel's bounding box is at least this share of the page."""

RECTANGLE_SHARE = 0.95
"""A panel's region with what it holds fills at least this share of its bounding box."""

MIN_PANELS = 2
"""A page has panels only with at least this many ..."""

MIN_COVER = 0.5
"""... covering at least this share of it together."""

GUTTER_REACH = 0.03
"""A panel has the page's paper (its gutters or margin) within this share of
the short side outside each of its sides; rectangles drawn inside a figure
(a card box emoji's two drawers) do not."""

CONTENT_SHARE = 0.005
"""A panel holds line work: its own paper is at most 1 - this of the region with what it holds."""


def find(image):
    """The panels of a comic page (see the module docstring).

    Args:
        image: `(H, W, 3)` uint8 RGB or `(H, W)` uint8 gray, dark lines on
            light paper.

    Returns:
        `[(top, bottom, left, right), ...]` the bounding box of each panel's
        paper inside its frame (the frame's ink left out; Otsu's threshold
        parts ink from paper), in `image`'s pixels, top to bottom, then
        left to right; `[]` when the page has none.
    """
    gray = image if image.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    height, width = gray.shape
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    count, labels, stats, _ = cv2.connectedComponentsWithStats((ink == 0).view(np.uint8), connectivity=4)
    del ink
    boxes = []
    for k in np.flatnonzero(stats[:, cv2.CC_STAT_AREA] >= MIN_PANEL_SHARE * CONTENT_SHARE * height * width):
        x, y, w, h, area = (int(v) for v in stats[k])
        if k == 0 or x == 0 or y == 0 or x + w == width or y + h == height or w * h < MIN_PANEL_SHARE * height * width:
            continue  # the page itself (it reaches the border), or too small to be a panel
        region = (labels[y : y + h, x : x + w] == k).view(np.uint8)
        contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        held = max(cv2.contourArea(c) for c in contours)  # the region with its holes (polygon through centres)
        if held < RECTANGLE_SHARE * (w - 1) * (h - 1) or area > (1 - CONTENT_SHARE) * held:
            continue  # not a rectangle, or nothing drawn inside
        boxes.append((y, y + h, x, x + w))
    boxes = [b for b in boxes if not any(o != b and _holds(o, b) for o in boxes)]
    # Panels lie on the page: its paper (what reaches the picture's border) just outside every side.
    page = np.zeros(count, bool)
    page[np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))] = True
    page[0] = False  # the ink
    reach = max(4, round(GUTTER_REACH * min(height, width)))
    boxes = [b for b in boxes if _on_the_page(page[labels], b, reach)]
    if len(boxes) < MIN_PANELS or sum((b - t) * (r - left) for t, b, left, r in boxes) < MIN_COVER * height * width:
        return []
    return sorted(boxes)


def _on_the_page(page, box, reach):
    """Whether the page's paper (`page`, `(H, W)` bool) is within `reach` px outside each side of `box`."""
    t, b, left, r = box
    sides = (page[max(0, t - reach) : t, left:r], page[b : b + reach, left:r])
    sides += (page[t:b, max(0, left - reach) : left], page[t:b, r : r + reach])
    return all(side.any() for side in sides)


def _holds(outer, inner):
    """Whether box `outer` holds box `inner` (both `(top, bottom, left, right)`)."""
    return outer[0] <= inner[0] and outer[1] >= inner[1] and outer[2] <= inner[2] and outer[3] >= inner[3]
