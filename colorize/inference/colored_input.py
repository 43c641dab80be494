"""A colored picture given as a sketch: said, not silently ruined.

Given a colored illustration, the sketch normalization takes its colored
fills for ink (a red disk's luma is dark gray), so the result is a dark
blob with no hint of what went wrong. Extracting its lines first
(`predict --from-color`, the page's "Colored image: extract the sketch
first") is what such an input needs; the coloring cannot tell a colored
picture from a sketch on colored paper with certainty, so it says so in a
note and colors the input as asked.

A pixel is strongly colored when its CIE-Lab chroma (OpenCV's 8-bit a*, b*
less 128) is at least `STRONG_CHROMA` and its a*b* is as far from the
paper's (the median of a ring `BORDER` px wide around the picture: a
drawing rarely reaches all four edges): a blueprint's blue paper, or a
sketch on yellow paper, is not a fill. Colored lines are not fills either: the mask
is eroded by `THIN_LINE` pixels at `SIZE` px (a line up to about 1/50 of
the drawing wide disappears). A picture whose eroded fills cover
`MIN_SHARE` of it or more gets the note.

With `--from-color`, the lines multiplied back over the colors are the
paper's extracted line (`colorize.data.sketch.extract_sketch`: edges, so a
thick black outline comes out as its two soft edges, hollow between them)
darkened to the picture's own ink where it has some (`ink_lines`): a pixel
darker than `INK_LEVEL` whose channels differ by less than `INK_SPREAD` is
ink. The network still takes the paper's line, as it was trained;
`experiments.from_color_lines` chose the level on validation data.
"""

import cv2
import numpy as np

SIZE = 256
"""Long side at which the fills are measured (`cv2.INTER_AREA`)."""

STRONG_CHROMA = 25.0
"""Chroma (and distance from the paper in a*b*) of a strongly colored pixel,
in OpenCV's 8-bit Lab units (about CIE a*b* units)."""

THIN_LINE = 5
"""Square erosion at `SIZE` px that removes colored lines, keeping fills."""

BORDER = 2
"""Width of the ring, at `SIZE` px, whose median color is the paper's."""

MIN_SHARE = 0.05
"""Share of the picture that strong fills must cover for the note."""

INK_LEVEL = 64
"""Gray level (0..255, OpenCV's luma) under which a near-gray pixel of a
colored picture is ink (0: none is)."""

INK_SPREAD = 24
"""Largest difference between a pixel's channels (0..255) for it to be ink:
dark colored fills (navy, a dark red) are colors, not ink."""


def fill_share(image):
    """The share of a picture covered by strongly colored fills.

    Args:
        image: `(H, W, 3)` uint8 RGB, or `(H, W)` uint8 gray (share 0).

    Returns:
        float in [0, 1].
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.size == 0:
        return 0.0
    height, width = image.shape[:2]
    scale = min(1.0, SIZE / max(height, width))
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float32)
    a, b = lab[..., 1] - 128.0, lab[..., 2] - 128.0
    ring = np.ones(a.shape, bool)
    ring[BORDER:-BORDER, BORDER:-BORDER] = False  # all of it for a picture under 2 * BORDER + 1 px
    paper_a, paper_b = float(np.median(a[ring])), float(np.median(b[ring]))
    strong = (np.hypot(a, b) >= STRONG_CHROMA) & (np.hypot(a - paper_a, b - paper_b) >= STRONG_CHROMA)
    fills = cv2.erode(strong.astype(np.uint8), np.ones((THIN_LINE, THIN_LINE), np.uint8))
    return float(fills.mean())


def note(image):
    """The note for a picture that looks colored, or None.

    Args:
        image: `(H, W, 3)` uint8 RGB or `(H, W)` uint8 gray, as given to be
            colored as a sketch.

    Returns:
        str (one line) or None.
    """
    share = fill_share(image)
    if share < MIN_SHARE:
        return None
    return (
        f"this looks like a colored picture (strong color fills {share:.0%} of it): colored as a sketch, "
        "its fills count as ink; to color its lines, extract the sketch first "
        "(predict --from-color, or the page's 'Colored image: extract the sketch first')"
    )


def ink_lines(image, line):
    """The lines of a colored picture to multiply back over its new colors.

    Args:
        image: `(H, W, 3)` uint8 RGB or `(H, W)` uint8 gray, the colored
            picture.
        line: `(H, W)` uint8 extracted line of it (255 paper, dark line).

    Returns:
        `(H, W)` uint8: `line`, and where the picture is ink (darker than
        `INK_LEVEL`, channels within `INK_SPREAD`) the darker of `line`
        and the picture's gray.

    Raises:
        ValueError: `line` is not the picture's size.
    """
    image, line = np.asarray(image), np.asarray(line)
    if line.shape != image.shape[:2]:
        raise ValueError(f"line of shape {line.shape} for a picture of {image.shape[:2]}")
    if image.ndim == 2:
        gray, spread = image, np.zeros(image.shape, np.uint8)
    else:
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        spread = image.max(axis=2) - image.min(axis=2)
    ink = (gray < INK_LEVEL) & (spread < INK_SPREAD)
    return np.where(ink, np.minimum(line, gray), line).astype(np.uint8)
