"""A comic page is colored panel by panel: each frame's inside as a page of its own, the gutters white."""

import cv2
import numpy as np
import pytest

from colorize.inference import coloring, comic_panels


def comic_page(rows=2, cols=2, height=520, width=400, margin=20, gutter=16, frame=3, empty=()):
    """A gray comic page: `rows` x `cols` frames, each holding a circle and a
    cross (but the panels in `empty`), black on white; and the insides of
    its frames `(top, bottom, left, right)`."""
    page = np.full((height, width), 255, np.uint8)
    ph = (height - 2 * margin - (rows - 1) * gutter) // rows
    pw = (width - 2 * margin - (cols - 1) * gutter) // cols
    insides = []
    for i in range(rows * cols):
        y = margin + (i // cols) * (ph + gutter)
        x = margin + (i % cols) * (pw + gutter)
        cv2.rectangle(page, (x, y), (x + pw - 1, y + ph - 1), 0, frame)
        insides.append((y + frame - 1, y + ph - frame + 1, x + frame - 1, x + pw - frame + 1))
        if i not in empty:
            cy, cx, r = y + ph // 2, x + pw // 2, min(ph, pw) // 4
            cv2.circle(page, (cx, cy), r, 0, 2)
            cv2.line(page, (cx - r // 2, cy), (cx + r // 2, cy), 0, 2)
    return page, insides


def test_the_panels_of_a_comic_page_are_the_insides_of_its_frames():
    page, insides = comic_page()
    boxes = comic_panels.find(page)
    assert len(boxes) == 4
    for (t, b, left, r), (et, eb, el, er) in zip(boxes, insides, strict=True):
        assert abs(t - et) <= 1 and abs(b - eb) <= 1 and abs(left - el) <= 1 and abs(r - er) <= 1
        assert (page[t:b, left:r][[0, -1]] > 128).all() and (page[t:b, left:r][:, [0, -1]] > 128).all()  # no frame ink
        assert page[t - 1, (left + r) // 2] < 128  # the frame just outside
    assert comic_panels.find(np.dstack([page] * 3)) == boxes  # RGB alike
    three, _ = comic_page(rows=1, cols=3, height=300, width=900)
    assert len(comic_panels.find(three)) == 3


@pytest.mark.parametrize(
    "case",
    [
        "one frame",  # an emoji button or a flag: one colored square holding a symbol
        "empty frames",  # nothing drawn inside: not panels
        "small frames",  # two framed pictures on a wall: under half the page
        "nested",  # a frame in a frame: one panel, and that is one
        "drawers",  # two rectangles inside a figure's outline (an emoji card box): no page around them
    ],
)
def test_what_is_not_a_comic_page(case):
    if case == "one frame":
        page, _ = comic_page(rows=1, cols=1)
    elif case == "empty frames":
        page, _ = comic_page(empty=(0, 1, 2, 3))
    elif case == "small frames":
        page = np.full((600, 800), 255, np.uint8)
        for x in (100, 500):
            cv2.rectangle(page, (x, 200), (x + 200, 350), 0, 3)
            cv2.circle(page, (x + 100, 275), 40, 0, 2)
    elif case == "drawers":
        page = np.full((256, 256), 255, np.uint8)
        for (cx, cy), angle in (((72, 72), 180), ((184, 72), 270), ((184, 184), 0), ((72, 184), 90)):
            cv2.ellipse(page, (cx, cy), (60, 60), angle, 0, 90, 0, 3)  # the box: a rounded outline
        for a, b in (((72, 12), (184, 12)), ((244, 72), (244, 184)), ((72, 244), (184, 244)), ((12, 72), (12, 184))):
            cv2.line(page, a, b, 0, 3)
        cv2.rectangle(page, (30, 36), (226, 220), 0, 3)  # two drawers filling it, one line between them
        cv2.line(page, (30, 128), (226, 128), 0, 3)
        for middle in (82, 174):  # each with a handle
            cv2.rectangle(page, (100, middle - 10), (156, middle + 10), 0, 2)
    else:
        page = np.full((500, 500), 255, np.uint8)
        cv2.rectangle(page, (20, 20), (480, 480), 0, 3)
        cv2.rectangle(page, (60, 60), (440, 440), 0, 3)
        cv2.circle(page, (250, 250), 80, 0, 2)
    assert comic_panels.find(page) == []


def test_a_comic_page_is_colored_panel_by_panel_on_white_gutters(run_dir):
    model = coloring.Model(run_dir)
    page, _ = comic_page()
    boxes = comic_panels.find(page)
    out = coloring.colorize_array(page, model)
    assert out["notes"][-1] == "comic panels: 4, each colored as a page of its own"
    # Each panel is what its inside gives on its own.
    for t, b, left, r in boxes:
        alone = coloring.colorize_array(page[t:b, left:r], model, panels=False)
        np.testing.assert_array_equal(out["rgb"][t:b, left:r], alone["rgb"])
        np.testing.assert_array_equal(out["lines"][t:b, left:r], alone["lines"])
    # The gutters and frames: white paper under the lines.
    outside = np.ones(page.shape, bool)
    for t, b, left, r in boxes:
        outside[t:b, left:r] = False
    assert (out["color"][outside] == 255).all()
    np.testing.assert_array_equal(out["rgb"][outside], np.repeat(out["lines"][outside][:, None], 3, axis=1))
    assert (out["rgb"][outside & (page == 255)] >= 250).all()
    # Without panels (as the SavedModel colors it), the page is one pass.
    whole = coloring.colorize_array(page, model, panels=False)
    assert not any(n.startswith("comic panels") for n in whole["notes"])


def test_hints_in_a_panel_are_named_where_the_user_put_them(run_dir):
    model = coloring.Model(run_dir)
    page, _ = comic_page()
    boxes = comic_panels.find(page)
    t, b, left, r = boxes[3]
    cy, cx = (t + b) // 2, (left + r) // 2
    radius = min(b - t + 6, r - left + 6) // 4
    y, x = cy - radius, cx  # a dab centred on the circle's outline, in the last panel
    hint_rgb = np.zeros(page.shape + (3,), np.uint8)
    hint_mask = np.zeros(page.shape, bool)
    hint_mask[y - 2 : y + 3, x - 2 : x + 3] = True
    hint_rgb[hint_mask] = (240, 192, 0)
    out = coloring.colorize_array(page, model, hint_rgb, hint_mask)
    on_line = [n for n in out["notes"] if "is on a line" in n]
    assert on_line and on_line[0].startswith(f"hint at {x},{y} (#f0c000)"), out["notes"]
