"""Procedural illustrations with learnable color semantics (the offline dataset).

Each image is a scene that fills the page (a landscape, a portrait, a still
life) or, for 40 % of them (`SCENE_SHARES`), a few objects on a white page;
everything in it comes from a small vocabulary whose colors follow rules a
network can learn from shape alone: skies are blue,
suns yellow or orange, leaves and grass green, trunks and doors brown, skin
is a skin tone, eyes have a white sclera, roofs are red, brown or slate.
Some parts are deliberately ambiguous, as in real illustrations (hair,
flower petals, clothes, house walls take one of several colors), which is
what makes regression desaturate and classification pay off (paper, 3.2).

Objects are flat fills with cel shading (a darker crescent on the side away
from the light) and dark outlines whose width varies from image to image,
drawn with OpenCV. The sketches are *not* drawn here: the dataset extracts
them from these color images with the same pipeline as real illustrations
(`colorize.data.sketch.prepare_examples`).

Example:

    bgr = generate(7)            # (256, width, 3) uint8 BGR, deterministic
    bgr = generate(7, 256, 320)  # a fixed size
"""

import math

import cv2
import numpy as np

from colorize.errors import ColorizeError

WIDTHS = (256, 256, 256, 256, 256, 320, 320, 384)
"""Widths `generate` picks from when none is given (mostly square)."""

# Color families, RGB. Each draw jitters the chosen color a little.
SKY = [(135, 196, 240), (160, 210, 245), (110, 170, 230), (190, 225, 250)]
SUN = [(255, 214, 40), (255, 180, 30), (255, 230, 90), (250, 150, 40)]
LEAVES = [(70, 160, 60), (100, 180, 70), (50, 130, 60), (130, 190, 80)]
GRASS = [(110, 190, 80), (90, 170, 70), (140, 200, 90)]
WOOD = [(120, 80, 45), (140, 95, 55), (100, 65, 40)]
ROOF = [(190, 60, 50), (160, 80, 50), (90, 100, 130), (170, 45, 60)]
WALL = [(245, 225, 180), (230, 200, 170), (200, 220, 235), (240, 240, 200), (225, 150, 120)]
WINDOW = [(170, 215, 240), (190, 230, 250)]
SKIN = [(255, 220, 190), (245, 200, 165), (225, 170, 130), (190, 130, 95), (140, 95, 70)]
HAIR = [
    (40, 30, 30),
    (110, 70, 40),
    (240, 210, 110),
    (200, 80, 40),
    (240, 130, 180),
    (90, 140, 230),
    (150, 90, 200),
    (90, 190, 140),
    (230, 230, 235),
]
IRIS = [(60, 120, 200), (70, 150, 80), (120, 80, 40), (150, 80, 190), (200, 60, 60)]
CLOTHES = [
    (220, 50, 60),
    (50, 90, 200),
    (60, 170, 90),
    (240, 190, 40),
    (150, 60, 170),
    (240, 120, 40),
    (40, 160, 180),
    (235, 100, 150),
]
PETALS = [
    (240, 80, 120),
    (230, 40, 50),
    (250, 210, 50),
    (160, 90, 220),
    (250, 140, 40),
    (250, 160, 200),
    (90, 130, 240),
]
FRUIT = {
    "apple": [(210, 40, 40), (140, 200, 60)],
    "orange": [(250, 150, 30)],
    "banana": [(250, 220, 70)],
    "grapes": [(120, 50, 140), (150, 200, 90)],
}
TABLE = [(170, 110, 60), (150, 95, 55), (200, 150, 100)]
OUTLINE = [(25, 20, 20), (35, 25, 40), (20, 25, 45), (50, 30, 20)]


class _Painter:
    """Draws filled, cel-shaded, outlined shapes on a white BGR canvas.

    Args:
      height, width: canvas size.
      rng: numpy Generator that decides every random choice.
    """

    def __init__(self, height, width, rng):
        self.h, self.w, self.rng = height, width, rng
        self.img = np.full((height, width, 3), 255, np.uint8)  # (h, w, 3) BGR
        angle = rng.uniform(0, 2 * math.pi)
        self.light = (math.cos(angle), math.sin(angle))  # shadows fall away from it
        self.thickness = int(rng.choice([1, 2, 2, 3]))
        self.outline = self.color(OUTLINE, jitter=5)

    def color(self, family, jitter=12):
        """A BGR color from a family of RGB colors, slightly jittered."""
        r, g, b = family[self.rng.integers(len(family))]
        noise = self.rng.integers(-jitter, jitter + 1, 3)
        return tuple(int(np.clip(v + d, 0, 255)) for v, d in zip((b, g, r), noise))

    def mask(self):
        return np.zeros((self.h, self.w), np.uint8)

    def paint(self, mask, bgr, shade=True, outline=True):
        """Fills `mask` with `bgr`, adds a shadow crescent and an outline."""
        x, y, w, h = cv2.boundingRect(mask)
        if w == 0 or h == 0:
            return
        # Work on the shape's bounding box only: most shapes are small.
        roi, box = self.img[y : y + h, x : x + w], mask[y : y + h, x : x + w]
        roi[box > 0] = bgr
        if shade:
            shift = max(2.0, 0.14 * max(w, h))
            dx, dy = -self.light[0] * shift, -self.light[1] * shift
            moved = cv2.warpAffine(box, np.float32([[1, 0, dx], [0, 1, dy]]), (w, h), flags=cv2.INTER_NEAREST)
            roi[(box > 0) & (moved == 0)] = tuple(int(v * 0.72) for v in bgr)
        if outline:
            contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            cv2.drawContours(self.img, contours, -1, self.outline, self.thickness, cv2.LINE_AA)

    def line(self, p, q, thickness=None, color=None):
        cv2.line(self.img, _pt(p), _pt(q), color or self.outline, thickness or self.thickness, cv2.LINE_AA)

    def ellipse(self, center, axes, angle=0.0):
        m = self.mask()
        cv2.ellipse(m, _pt(center), (max(1, int(axes[0])), max(1, int(axes[1]))), angle, 0, 360, 255, -1)
        return m

    def polygon(self, points):
        m = self.mask()
        cv2.fillPoly(m, [np.int32(np.round(points))], 255)
        return m

    def rect(self, x0, y0, x1, y1):
        return self.polygon([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])


def _pt(p):
    return int(round(p[0])), int(round(p[1]))


# ------------------------------------------------------------------ objects --


def _sky(p, horizon):
    m = p.rect(0, 0, p.w, horizon)
    p.paint(m, p.color(SKY, 8), shade=False, outline=False)


def _ground(p, top):
    m = p.rect(0, top, p.w, p.h)
    p.paint(m, p.color(GRASS, 10), shade=False, outline=False)
    p.line((0, top), (p.w, top))


def _sun(p, x, y, r):
    bgr = p.color(SUN)
    for k in range(int(p.rng.integers(8, 13))):
        a = 2 * math.pi * k / 12 + p.rng.uniform(-0.1, 0.1)
        p.line(
            (x + 1.3 * r * math.cos(a), y + 1.3 * r * math.sin(a)),
            (x + 1.7 * r * math.cos(a), y + 1.7 * r * math.sin(a)),
            thickness=max(2, p.thickness + 1),
            color=bgr,
        )
    p.paint(p.ellipse((x, y), (r, r)), bgr)


def _cloud(p, x, y, s):
    m = p.mask()
    for dx, dy, r in ((-0.5, 0.1, 0.35), (0, -0.15, 0.45), (0.5, 0.1, 0.35), (0.2, 0.15, 0.3)):
        cv2.circle(m, _pt((x + dx * s, y + dy * s)), int(r * s), 255, -1)
    p.paint(m, p.color([(250, 250, 255), (235, 240, 250)], 4))


def _tree(p, x, base, s):
    trunk = p.rect(x - 0.12 * s, base - 0.9 * s, x + 0.12 * s, base)
    p.paint(trunk, p.color(WOOD))
    crown = p.mask()
    for _ in range(int(p.rng.integers(3, 6))):
        cx = x + p.rng.uniform(-0.35, 0.35) * s
        cy = base - s * p.rng.uniform(0.95, 1.45)
        cv2.circle(crown, _pt((cx, cy)), int(s * p.rng.uniform(0.3, 0.45)), 255, -1)
    p.paint(crown, p.color(LEAVES))
    if p.rng.random() < 0.35:  # fruit tree
        red = p.color([(220, 40, 40)], 10)
        for _ in range(int(p.rng.integers(2, 5))):
            ys, xs = np.nonzero(crown)
            i = p.rng.integers(len(ys))
            p.paint(p.ellipse((xs[i], ys[i]), (0.07 * s, 0.07 * s)), red, shade=False)


def _house(p, x, base, s):
    w, h = s * p.rng.uniform(0.9, 1.2), s * p.rng.uniform(0.7, 0.9)
    wall = p.rect(x - w / 2, base - h, x + w / 2, base)
    p.paint(wall, p.color(WALL))
    roof = p.polygon([(x - w * 0.62, base - h), (x + w * 0.62, base - h), (x, base - h - s * p.rng.uniform(0.45, 0.7))])
    p.paint(roof, p.color(ROOF))
    door = p.rect(x - w * 0.12, base - h * 0.55, x + w * 0.12, base)
    p.paint(door, p.color(WOOD), shade=False)
    glass = p.color(WINDOW, 6)
    for side in (-1, 1):
        cx, cy, r = x + side * w * 0.3, base - h * 0.6, w * 0.1
        p.paint(p.rect(cx - r, cy - r, cx + r, cy + r), glass, shade=False)
        p.line((cx - r, cy), (cx + r, cy), thickness=1)
        p.line((cx, cy - r), (cx, cy + r), thickness=1)


def _flower(p, x, base, s):
    top = base - s
    p.line((x, base), (x, top), thickness=max(2, p.thickness + 1), color=p.color(LEAVES, 6))
    for side in (-1, 1):
        if p.rng.random() < 0.7:
            leaf = p.ellipse((x + side * 0.15 * s, base - 0.4 * s), (0.15 * s, 0.06 * s), angle=-side * 30)
            p.paint(leaf, p.color(LEAVES), shade=False)
    petals = p.mask()
    n = int(p.rng.integers(5, 9))
    for k in range(n):
        a = 2 * math.pi * k / n
        cv2.ellipse(
            petals,
            _pt((x + 0.2 * s * math.cos(a), top + 0.2 * s * math.sin(a))),
            (max(2, int(0.17 * s)), max(1, int(0.09 * s))),
            math.degrees(a),
            0,
            360,
            255,
            -1,
        )
    p.paint(petals, p.color(PETALS))
    p.paint(p.ellipse((x, top), (0.1 * s, 0.1 * s)), p.color([(250, 200, 40), (140, 90, 40)]))


def _face(p, x, y, s):
    """A bust: hair behind, shoulders, neck, head, fringe, eyes, mouth."""
    hair = p.color(HAIR, 10)
    skin = p.color(SKIN, 6)
    long_hair = p.rng.random() < 0.5
    back = p.ellipse((x, y + (0.35 if long_hair else 0.05) * s), (0.62 * s, (0.95 if long_hair else 0.62) * s))
    p.paint(back, hair)
    shoulders = p.ellipse((x, y + 1.35 * s), (0.95 * s, 0.55 * s))
    p.paint(shoulders, p.color(CLOTHES))
    p.paint(p.rect(x - 0.16 * s, y + 0.4 * s, x + 0.16 * s, y + 0.85 * s), skin)
    p.paint(p.ellipse((x, y), (0.48 * s, 0.58 * s)), skin)
    # The hair on top follows the skull: the head outline, a bit larger,
    # above a hairline that dips at the parting.
    fringe = p.ellipse((x, y - 0.03 * s), (0.53 * s, 0.63 * s))
    parting = x + p.rng.uniform(-0.2, 0.2) * s
    hairline = p.polygon(
        [(x - s, y - 2 * s), (x + s, y - 2 * s), (x + s, y - 0.2 * s), (parting, y - 0.36 * s), (x - s, y - 0.2 * s)]
    )
    p.paint(np.minimum(fringe, hairline), hair)
    iris = p.color(IRIS, 10)
    for side in (-1, 1):
        ex, ey = x + side * 0.2 * s, y + 0.02 * s
        p.paint(p.ellipse((ex, ey), (0.12 * s, 0.085 * s)), (255, 255, 255), shade=False)
        p.paint(p.ellipse((ex, ey), (0.05 * s, 0.07 * s)), iris, shade=False, outline=False)
        p.paint(p.ellipse((ex, ey), (0.022 * s, 0.03 * s)), (20, 20, 20), shade=False, outline=False)
        p.line((ex - 0.1 * s, ey - 0.15 * s), (ex + 0.1 * s, ey - 0.17 * s), color=tuple(int(v * 0.6) for v in hair))
        blush = p.ellipse((ex + side * 0.05 * s, ey + 0.17 * s), (0.07 * s, 0.035 * s))
        p.paint(blush, p.color([(250, 160, 170)], 6), shade=False, outline=False)
    mouth = p.ellipse((x, y + 0.3 * s), (0.09 * s, 0.04 * s))
    p.paint(mouth, p.color([(220, 70, 80), (200, 90, 100)], 8), shade=False)


def _fruit(p, kind, x, y, s):
    bgr = p.color(FRUIT[kind])
    if kind == "banana":
        m = p.ellipse((x, y), (0.6 * s, 0.3 * s), angle=-20)
        cv2.ellipse(m, _pt((x, y - 0.15 * s)), (int(0.55 * s), int(0.25 * s)), -20, 0, 360, 0, -1)
        p.paint(m, bgr)
    elif kind == "grapes":
        m = p.mask()
        for row in range(3):
            for k in range(3 - row):
                c = (x + (k - (2 - row) / 2) * 0.3 * s, y + row * 0.26 * s)
                cv2.circle(m, _pt(c), int(0.16 * s), 255, -1)
        p.paint(m, bgr)
    else:
        p.paint(p.ellipse((x, y), (0.4 * s, 0.37 * s)), bgr)
        p.line((x, y - 0.35 * s), (x + 0.05 * s, y - 0.55 * s), color=p.color(WOOD, 5))
        if kind == "apple":
            leaf = p.ellipse((x + 0.15 * s, y - 0.5 * s), (0.14 * s, 0.06 * s), angle=-30)
            p.paint(leaf, p.color(LEAVES), shade=False)


def _vase(p, x, base, s):
    body = p.ellipse((x, base - 0.35 * s), (0.3 * s, 0.35 * s))
    body[int(base) :] = 0
    neck = p.rect(x - 0.13 * s, base - 0.85 * s, x + 0.13 * s, base - 0.5 * s)
    m = np.maximum(body, neck)
    p.paint(m, p.color(CLOTHES))
    for k in range(int(p.rng.integers(1, 4))):
        _flower(p, x + (k - 1) * 0.25 * s, base - 0.85 * s, s * p.rng.uniform(0.6, 0.9))


# ------------------------------------------------------------------- scenes --


def _landscape(p):
    rng = p.rng
    horizon = int(p.h * rng.uniform(0.55, 0.75))
    if rng.random() < 0.85:
        _sky(p, horizon)
    if rng.random() < 0.75:
        _sun(p, rng.uniform(0.15, 0.85) * p.w, rng.uniform(0.12, 0.3) * p.h, rng.uniform(0.06, 0.1) * p.h)
    for _ in range(int(rng.integers(0, 3))):
        _cloud(p, rng.uniform(0, 1) * p.w, rng.uniform(0.1, 0.35) * p.h, rng.uniform(0.15, 0.25) * p.h)
    _ground(p, horizon)
    things = ["tree"] * int(rng.integers(1, 3)) + ["house"] * int(rng.integers(0, 2))
    things += ["flower"] * int(rng.integers(0, 4))
    rng.shuffle(things)
    slots = np.sort(rng.uniform(0.1, 0.9, len(things))) * p.w
    for thing, x in zip(things, slots):
        base = horizon + rng.uniform(0.05, 0.9) * (p.h - horizon)
        if thing == "tree":
            _tree(p, x, base, p.h * rng.uniform(0.22, 0.32))
        elif thing == "house":
            _house(p, x, base, p.h * rng.uniform(0.25, 0.35))
        else:
            _flower(p, x, base, p.h * rng.uniform(0.12, 0.2))


def _portrait(p):
    rng = p.rng
    if rng.random() < 0.5:
        _sky(p, p.h)
    x = p.w * rng.uniform(0.35, 0.65)
    _face(p, x, p.h * rng.uniform(0.38, 0.48), p.h * rng.uniform(0.32, 0.42))
    if p.w > p.h and rng.random() < 0.7:  # room beside the bust
        side = p.w * (0.12 if x > p.w / 2 else 0.88)
        _flower(p, side, p.h * 0.95, p.h * 0.35)


def _still_life(p):
    rng = p.rng
    top = int(p.h * rng.uniform(0.55, 0.7))
    p.paint(p.rect(0, top, p.w, p.h), p.color(TABLE), shade=False, outline=False)
    p.line((0, top), (p.w, top))
    s = p.h * rng.uniform(0.25, 0.33)
    _vase(p, p.w * rng.uniform(0.25, 0.45), top + 0.15 * (p.h - top), s)
    kinds = list(FRUIT)
    for _ in range(int(rng.integers(1, 4))):
        kind = kinds[rng.integers(len(kinds))]
        _fruit(
            p,
            kind,
            p.w * rng.uniform(0.55, 0.9),
            top + rng.uniform(0.3, 0.7) * (p.h - top),
            p.h * rng.uniform(0.12, 0.18),
        )


def _objects(p):
    """One to three objects on the white page, as clip art and most
    illustrations are drawn: no sky, ground or table behind them, so that a
    network learns that paper stays white."""
    rng = p.rng
    kinds = ["tree", "house", "flower", "face", "fruit", "vase", "sun"]
    count = int(rng.choice([1, 1, 2, 2, 3]))
    slots = (np.arange(count) + rng.uniform(0.4, 0.6, count)) / count * p.w
    for x in slots:
        kind = kinds[rng.integers(len(kinds))]
        s = min(p.h * rng.uniform(0.36, 0.48), 0.55 * p.w / count)
        base = p.h * rng.uniform(0.85, 0.95)
        if kind == "tree":
            _tree(p, x, base, s * 0.6)
        elif kind == "house":
            _house(p, x, base, s)
        elif kind == "flower":
            _flower(p, x, base, s * 1.7)
        elif kind == "face":
            _face(p, x, p.h * rng.uniform(0.35, 0.45), s * 0.9)
        elif kind == "fruit":
            fruits = list(FRUIT)
            _fruit(p, fruits[rng.integers(len(fruits))], x, p.h * rng.uniform(0.4, 0.6), s * 1.2)
        elif kind == "vase":
            _vase(p, x, base, s * 1.1)
        else:
            _sun(p, x, p.h * rng.uniform(0.4, 0.6), s * 0.4)


SCENES = {"landscape": _landscape, "portrait": _portrait, "still_life": _still_life, "objects": _objects}
SCENE_SHARES = (0.27, 0.21, 0.12, 0.40)
"""How often `generate` draws each of SCENES: 40 % are objects on a white
page (real illustrations and clip art mostly stand on white paper; a model
that only saw full scenes paints sky over it)."""


FULL_SCENES = ("landscape", "portrait", "still_life")
"""The scenes that fill the page (and always pass the paper's colorless filter)."""


def generate(seed, height=256, width=None, scenes=None):
    """A procedural colored illustration, the same for the same arguments.

    Args:
      seed: int >= 0; picks the scene (landscape, portrait, still life or
        objects on white; see SCENE_SHARES),
        its objects, colors, light direction and outline width.
      height: image height in pixels (>= 32).
      width: image width in pixels (>= 32); None picks one of WIDTHS from
        the seed, so some images are wider than tall and give several
        sliding windows.
      scenes: draw only from these names of SCENES (their SCENE_SHARES
        renormalized); None: all of them. `FULL_SCENES` gives images that
        always have color enough to make dataset windows.

    Returns:
      (height, width, 3) uint8 BGR image.
    """
    if int(seed) < 0:
        raise ColorizeError(f"synthetic seeds are >= 0, got {seed}")
    rng = np.random.default_rng([int(seed), 0x5EED])
    if width is None:
        width = int(WIDTHS[rng.integers(len(WIDTHS))])
    if height < 32 or width < 32:
        raise ColorizeError(f"synthetic images need at least 32x32 pixels, got {height}x{width}")
    p = _Painter(int(height), int(width), rng)
    names = list(SCENES) if scenes is None else list(scenes)
    unknown = sorted(set(names) - set(SCENES))
    if unknown or not names:
        raise ColorizeError(f"unknown scenes {unknown or names}; choose from {', '.join(SCENES)}")
    shares = np.array([SCENE_SHARES[list(SCENES).index(name)] for name in names])
    SCENES[names[rng.choice(len(names), p=shares / shares.sum())]](p)
    return p.img
