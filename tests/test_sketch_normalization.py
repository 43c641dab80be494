"""sketch_normalization: one sketch normalization in TensorFlow ops, robust to ink
color, paper tone, scanning noise and dark fills;
sketch_ops: the dataset's extraction in TensorFlow ops, against OpenCV."""

import cv2
import numpy as np
import pytest
import tensorflow as tf

from colorize.data import sketch, synthetic
from colorize.errors import ColorizeError
from colorize.serving import sketch_normalization, sketch_ops

SIZE = 512  # the drawings' side: twice the dataset scale


def draw(size=SIZE, t=2):
    """The cases' line drawing (horizon, sun, tree, house, roof, face), after
    ../shared/cases/*/make_input.py: dark lines on white, (size, size) uint8."""
    s, aa = size / 1024, cv2.LINE_AA
    img = np.full((size, size), 255, np.uint8)

    def p(x, y):
        return int(x * s), int(y * s)

    cv2.line(img, p(0, 700), p(1023, 700), 0, t, aa)
    cv2.circle(img, p(860, 160), int(80 * s), 0, t, aa)
    cv2.rectangle(img, p(400, 560), p(440, 700), 0, t, aa)
    cv2.circle(img, p(420, 480), int(90 * s), 0, t, aa)
    cv2.rectangle(img, p(80, 450), p(330, 700), 0, t, aa)
    cv2.polylines(img, [np.array([p(60, 450), p(205, 320), p(350, 450)])], True, 0, t, aa)
    cv2.ellipse(img, p(680, 470), (int(130 * s), int(160 * s)), 0, 0, 360, 0, t, aa)
    return img


INKS = {  # RGB
    "black": (0, 0, 0),
    "gray pencil": (110, 110, 110),
    "red": (200, 40, 40),
    "non-photo blue": (140, 200, 230),
}
YELLOWISH = (236, 226, 198)
SKY_ROWS = int(0.62 * SIZE)  # the night sky: the top 62% of the page, solid black


def page(ink, kind, seed=0):
    """The drawing in `ink` (RGB) on a page of `kind`, (SIZE, SIZE, 3) uint8 RGB."""
    a = (255 - draw())[..., None] / 255.0  # (S, S, 1) line coverage
    paper = np.array(YELLOWISH if kind in ("yellowish", "scan") else (255, 255, 255), np.float64)
    rgb = paper * (1 - a) + np.array(ink, np.float64) * a
    if kind == "scan":  # yellowish paper, sensor noise, JPEG
        rgb += np.random.default_rng(seed).normal(0, 5, rgb.shape)
        ok, data = cv2.imencode(
            ".jpg", np.clip(rgb, 0, 255).astype(np.uint8)[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 88]
        )
        return cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1].copy()
    rgb = np.clip(np.round(rgb), 0, 255).astype(np.uint8)
    if kind == "night":  # a black sky over most of the page, with white stars
        rgb[:SKY_ROWS] = 0
        for x, y in np.random.default_rng(1).integers(0, [SIZE, SKY_ROWS - 10], (60, 2)):
            cv2.circle(rgb, (int(x), int(y)), 1, (255, 255, 255), -1)
    return rgb


@pytest.fixture(scope="module")
def normalize_rgb():
    """`normalize` as one graph for RGB images of any size (traced once)."""
    spec = tf.TensorSpec([None, None, 3], tf.uint8)
    fn = tf.function(sketch_normalization.normalize, input_signature=[spec], autograph=False)
    return lambda image: tuple(t.numpy()[..., 0] for t in fn(image))


@pytest.fixture(scope="module")
def reference(normalize_rgb):
    """net_input and lines of the drawing in black on white."""
    return normalize_rgb(page(INKS["black"], "white"))


def ink_iou(a, b, level=200):
    a, b = a < level, b < level
    return (a & b).sum() / (a | b).sum()


# ------------------------------------------------- the ink and page matrix --


@pytest.mark.parametrize("kind", ["white", "yellowish", "scan"])
@pytest.mark.parametrize("ink", list(INKS))
def test_every_ink_on_every_paper_gives_the_black_drawings_input(normalize_rgb, reference, ink, kind):
    net, lines = normalize_rgb(page(INKS[ink], kind))
    ref_net, ref_lines = reference
    assert net.shape == ref_net.shape == (256, 256)
    diff = np.abs(net.astype(int) - ref_net)
    print(ink, kind, diff.mean(), ink_iou(net, ref_net))
    # Clean pages agree to rounding; a noisy JPEG scan within a few levels.
    assert diff.mean() <= (0.1 if kind != "scan" else 3.0)
    assert ink_iou(net, ref_net) >= (0.99 if kind != "scan" else 0.9)
    assert np.abs(lines.astype(int) - ref_lines).mean() <= (0.1 if kind != "scan" else 3.0)


@pytest.mark.parametrize("grain", [4.0, 8.0])
def test_paper_grain_becomes_white_paper_and_the_lines_stay(normalize_rgb, reference, grain):
    # Gray pencil on yellowish paper with grain that darkens all channels together (as a scanner's
    # JPEG does): what is lighter than the paper has no darkness, so the grain is measured on the
    # luma; it was left as gray speckle over the whole page.
    a = (255 - draw())[..., None] / 255.0
    rgb = np.array(YELLOWISH, np.float64) * (1 - a) + 110.0 * a
    rgb += np.random.default_rng(3).normal(0, grain, rgb.shape[:2])[..., None]
    net, lines = normalize_rgb(np.clip(np.round(rgb), 0, 255).astype(np.uint8))
    far = cv2.erode((draw() == 255).astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    assert np.mean(lines[far] == 255) > 0.999, np.mean(lines[far] < 240)
    # The lines keep their cores (their faint edges are as light as the grain); the network's input
    # is the black drawing's.
    ref_net, ref_lines = reference
    assert ink_iou(lines, ref_lines, level=128) >= 0.9 and ink_iou(net, ref_net) >= 0.95


@pytest.mark.parametrize("ink", list(INKS))
def test_a_night_page_is_not_inverted(normalize_rgb, reference, ink):
    image = page(INKS[ink], "night")
    stats = sketch_normalization.page_levels(image)
    assert not bool(stats["invert"])
    net, lines = normalize_rgb(image)
    ref_net, ref_lines = reference
    below = slice(SKY_ROWS // 2 + 8, None)  # the lit part of the page, at the dataset scale
    assert np.abs(net[below].astype(int) - ref_net[below]).mean() <= 0.1
    assert np.abs(lines[SKY_ROWS + 2 :].astype(int) - ref_lines[SKY_ROWS + 2 :]).mean() <= 0.1
    assert (lines[: SKY_ROWS - 10] == 0).mean() > 0.99  # the sky stays a dark fill


@pytest.mark.parametrize(("size", "t", "star"), [(1024, 3, 2), (1024, 2, 2), (768, 3, 1), (1536, 4, 3)])
def test_a_night_page_with_stars_as_thin_as_its_lines_is_not_inverted(normalize_rgb, size, t, star):
    # White stars as thin as the drawing's dark lines, or thinner: too few to
    # outvote the dark lines by their width (../shared/cases/dark_page_inverted).
    gray = draw(size, t)
    sky = int(0.6 * size)
    gray[:sky] = 0
    for x, y in np.random.default_rng(1).integers(0, [size, sky - 10], (60, 2)):
        cv2.circle(gray, (int(x), int(y)), star, 255, -1)
    image = np.repeat(gray[..., None], 3, axis=-1)
    assert not bool(sketch_normalization.page_levels(image)["invert"])
    net, lines = normalize_rgb(image)
    below = net[net.shape[0] * 3 // 4 :]  # under the horizon: white paper, not an inverted black field
    assert (below > 200).mean() > 0.95
    assert (lines[: lines.shape[0] // 2] < 100).mean() > 0.9  # the sky stays a dark fill


def test_a_night_page_with_many_stars_and_a_moon_is_not_inverted(normalize_rgb):
    # Many stars and a moon: the light blobs score under half of the dark lines, too few
    # for their width to vote (../shared/cases/dark_page_inverted, as a new user drew it).
    gray = draw(1000, 3)[:800]
    gray[:480] = 0
    rng = np.random.default_rng(5)
    for x, y in rng.integers(0, [1000, 470], (150, 2)):
        cv2.circle(gray, (int(x), int(y)), int(rng.integers(1, 5)), 255, -1)
    cv2.circle(gray, (930, 120), 45, 255, -1)
    image = np.repeat(gray[..., None], 3, axis=-1)
    assert not bool(sketch_normalization.page_levels(image)["invert"])
    net, lines = normalize_rgb(image)
    assert (net[net.shape[0] * 9 // 10 :] > 200).mean() > 0.95  # under the horizon: white paper
    assert (lines[: lines.shape[0] // 2] < 100).mean() > 0.9  # the sky stays a dark fill


@pytest.mark.parametrize("ink", [(255, 255, 255), (250, 230, 120)])
def test_light_lines_on_a_dark_page_are_inverted(normalize_rgb, reference, ink):
    a = (255 - draw())[..., None] / 255.0
    image = np.round(np.array(ink) * a).astype(np.uint8)  # on black
    assert bool(sketch_normalization.page_levels(image)["invert"])
    net, lines = normalize_rgb(image)
    assert np.abs(net.astype(int) - reference[0]).mean() <= 0.1
    assert np.abs(lines.astype(int) - reference[1]).mean() <= 0.1


@pytest.mark.parametrize(("side", "step", "thickness"), [(1024, 11, 2), (1024, 8, 1), (2048, 20, 3)])
def test_dense_lines_decide_by_the_thinner_polarity(side, step, thickness):
    # Concentric rings: the paper between them is thin and line-like too, but
    # wider than the lines; the negative is light lines on black.
    gray = np.full((side, side), 255, np.uint8)
    for i in range(1, side // (2 * step)):
        cv2.circle(gray, (side // 2, side // 2), step * i, 0, thickness, cv2.LINE_AA)
    assert not bool(sketch_normalization.page_levels(gray[..., None])["invert"])
    assert bool(sketch_normalization.page_levels(255 - gray[..., None])["invert"])


def test_a_blank_page_is_left_unchanged(normalize_rgb):
    rng = np.random.default_rng(0)
    for gray in (np.full((300, 200), 240, np.uint8), np.clip(rng.normal(230, 4, (300, 200)), 0, 255).astype(np.uint8)):
        stats = sketch_normalization.page_levels(gray[..., None])
        assert bool(stats["blank"])
        net, lines = normalize_rgb(np.repeat(gray[..., None], 3, axis=2))
        np.testing.assert_array_equal(lines, gray)
        assert net.shape == (384, 256) and net.min() >= 200  # no lines appear


@pytest.mark.parametrize("shape", [(1, 1), (3, 200), (200, 3), (5, 5)])
def test_tiny_images_give_a_dataset_scale_input(normalize_rgb, shape):
    image = np.zeros(shape + (3,), np.uint8)
    image[..., 0] = 255
    net, lines = normalize_rgb(image)
    assert min(net.shape) == 256 and lines.shape == shape


# ------------------------------------------------------ graph, kinds, errors --


def test_graph_mode_with_unknown_size_equals_eager():
    image = page(INKS["red"], "scan")[40:340, 100:300]  # 300 x 200
    for x in (image, image[..., :1]):
        spec = tf.TensorSpec([None, None, x.shape[-1]], tf.uint8)
        for kind in ("line", "binary"):
            eager = sketch_normalization.normalize(x, kind)
            graph = tf.function(lambda t, kind=kind: sketch_normalization.normalize(t, kind), input_signature=[spec])(x)
            for a, b in zip(eager, graph, strict=True):
                np.testing.assert_array_equal(a.numpy(), b.numpy())
            assert graph[0].shape == (384, 256, 1) and graph[1].shape == x.shape[:2] + (1,)
    binary = sketch_normalization.normalize(image, "binary")[0].numpy()
    assert set(np.unique(binary)) == {0, 255}


def test_bad_inputs_are_one_line_errors():
    with pytest.raises(ColorizeError, match="sketch kind"):
        sketch_normalization.normalize(np.zeros((8, 8, 3), np.uint8), kind="pencil")
    with pytest.raises(ColorizeError, match="uint8"):
        sketch_normalization.normalize(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(ColorizeError, match=r"\(H, W, 1\) gray or \(H, W, 3\) RGB"):
        sketch_normalization.normalize(np.zeros((8, 8, 4), np.uint8))
    with pytest.raises(ColorizeError, match="got shape"):
        sketch_normalization.normalize(np.zeros((8, 8), np.uint8))


# ------------------------------------------------ dataset-style, line width --


def test_dataset_sketches_are_kept_and_drawings_are_not():
    for seed in range(3):
        windows, _ = sketch.prepare_examples(synthetic.generate(seed, scenes=synthetic.FULL_SCENES))
        line = windows[0][1]
        stats = sketch_normalization.page_levels(line[..., None])
        assert bool(stats["dataset_style"])
        net, lines = sketch_normalization.normalize(line[..., None])
        np.testing.assert_array_equal(net.numpy()[..., 0], line)
        np.testing.assert_array_equal(lines.numpy()[..., 0], line)
        binary = windows[0][2][..., None]  # hard steps: not a line sketch
        assert not bool(sketch_normalization.page_levels(binary)["dataset_style"])
    for ink in INKS.values():  # gray and colored lines are drawings, not extracted sketches
        assert not bool(sketch_normalization.page_levels(page(ink, "white"))["dataset_style"])


def test_thin_lines_reach_the_training_darkness():
    # A 1 px rectangle in a 1024 x 768 drawing: plain extraction at the dataset
    # scale loses it (darkest ~210); normalized, its darkest level is in the
    # range of the training sketches (36..134) and it reads as dataset-style.
    drawing = np.full((1024, 768), 255, np.uint8)
    cv2.rectangle(drawing, (100, 100), (600, 900), 0, 1)
    plain, _ = sketch.extract_sketch(sketch.resize_short_side(drawing))
    net, _ = sketch_normalization.normalize(drawing[..., None])
    net = net.numpy()[..., 0]
    assert plain.min() > 180 and net.shape == (341, 256)
    assert 36 <= net.min() <= 134
    assert bool(sketch_normalization.page_levels(net[..., None])["dataset_style"])


@pytest.mark.parametrize("width", [2, 3, 4, 6, 10])
def test_stroke_width_of_straight_strokes_ignores_fills(width):
    gray = np.full((200, 200), 255, np.uint8)
    gray[20:180, 50 : 50 + width] = 0
    gray[150:190, 120:190] = 0  # a 40 px fill: not a stroke
    measured = float(sketch_normalization.stroke_width(tf.constant(gray[..., None]), 25))
    assert measured == pytest.approx(width, abs=0.15 * width)
    assert float(sketch_normalization.stroke_width(tf.constant(np.full((9, 9, 1), 255, np.uint8)), 25)) == 0.0
    gray[:, 50 : 50 + width] = 255
    gray[100, 20:180] = 0  # 1 px strokes read as 2
    assert float(sketch_normalization.stroke_width(tf.constant(gray[..., None]), 25)) == pytest.approx(2.0, abs=0.1)


def test_thicken_widens_by_the_requested_pixels():
    gray = np.full((64, 64, 1), 255, np.uint8)
    gray[32, 10:54] = 0
    for pixels, rows in ((0, 1), (1, 1), (2, 3), (4, 5), (8, 9), (30, 11)):  # odd diameters, at most 11
        out = sketch_normalization.thicken(gray, pixels).numpy()[..., 0]
        assert (out[:, 32] == 0).sum() == rows


# ----------------------------------------------- sketch_ops against OpenCV --


def _illustrations():
    for seed in range(4):
        bgr = synthetic.generate(seed, 256, 256 + 64 * seed)
        yield cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    yield draw(256)  # hard black lines
    yield np.random.default_rng(0).integers(0, 256, (64, 80)).astype(np.uint8)  # noise


def test_tf_extraction_equals_opencv():
    for gray in _illustrations():
        line, binary = sketch.extract_sketch(gray)
        tf_line, tf_binary = (t.numpy()[..., 0] for t in sketch_ops.extract_sketch(gray[..., None]))
        assert np.abs(tf_line.astype(int) - line).max() <= 1
        assert (tf_binary != binary).mean() <= 0.001


def test_otsu_equals_opencv():
    rng = np.random.default_rng(1)
    for gray in [
        *_illustrations(),
        np.full((9, 9), 7, np.uint8),
        rng.normal(120, 30, (50, 50)).clip(0, 255).astype(np.uint8),
    ]:
        t, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        assert int(sketch_ops.otsu_threshold(gray)) == int(t)


@pytest.mark.parametrize("shape", [(768, 512), (300, 1000), (100, 150), (256, 300)])
def test_tf_resize_matches_opencv(shape):
    gray = cv2.resize(draw(512), shape[::-1], interpolation=cv2.INTER_AREA)
    ours = sketch_ops.resize_short_side(gray[..., None]).numpy()[..., 0]
    theirs = sketch.resize_short_side(gray)
    assert ours.shape == theirs.shape
    assert np.abs(ours.astype(int) - theirs).mean() <= 1.0


@pytest.mark.parametrize("shape", [(1, 37, 53, 2), (1, 5, 3, 1), (1, 1, 40, 1)])
@pytest.mark.parametrize("k", [3, 9, 31])
def test_the_shifted_filters_equal_tensorflows_pooling(shape, k):
    # max_along and window_sum replace tf.nn.max_pool2d / avg_pool2d ("SAME": the edges ignored,
    # the mean over the pixels inside), which are several times slower on the CPU.
    rng = np.random.default_rng(k)
    x = tf.constant(rng.normal(size=shape).astype(np.float32))
    mask = tf.constant((rng.random(shape) < 0.4).astype(np.float32))
    for axis, window in ((1, (k, 1)), (2, (1, k))):
        expected = tf.nn.max_pool2d(x, window, 1, "SAME")
        np.testing.assert_array_equal(sketch_ops.max_along(x, k, axis).numpy(), expected.numpy())
        sums, counts = sketch_ops.window_sum(mask, k, axis)
        ones = tf.nn.avg_pool2d(tf.ones_like(mask), window, 1, "SAME")  # 1: no padding in the mean
        assert np.all(ones.numpy() == 1.0)
        mean = tf.nn.avg_pool2d(mask, window, 1, "SAME").numpy()
        assert np.all(sums.numpy() == np.round(sums.numpy()))  # whole counts
        np.testing.assert_allclose(sums.numpy() / counts.numpy(), mean, rtol=1e-6, atol=1e-7)
        inside = np.minimum(np.arange(shape[axis]) + k // 2, shape[axis] - 1) - np.maximum(
            np.arange(shape[axis]) - k // 2, 0
        )
        np.testing.assert_array_equal(counts.numpy().ravel(), inside + 1)


def _photographed(lines, shade, pencil=None):
    """`lines` (dark on white, uint8) as a phone photo of a pencil drawing: gray
    pencil (level 150, or `pencil` levels darker than the paper under it) on
    paper shaded from 235 at the top left down by `shade` levels to the bottom
    right, with grain (as a new user's trial drawing)."""
    h, w = lines.shape
    yy, xx = np.mgrid[0:h, 0:w]
    rng = np.random.default_rng(5)
    paper = 235 - shade * (0.5 * xx / w + 0.5 * yy / h) + rng.normal(0, 3, lines.shape)
    ink = 150 + rng.normal(0, 6, lines.shape) if pencil is None else paper - pencil
    out = np.where(lines < 128, ink, paper)
    gray = cv2.GaussianBlur(np.clip(out, 0, 255).astype(np.uint8), (0, 0), 1.0)
    return np.dstack([gray] * 3)


def test_lines_too_faint_for_the_leveling_get_a_note_and_leveled_ones_none():
    lines = draw(t=3)
    # Shaded paper widens the paper's spread past the pencil's contrast: the page is left as it
    # is (gray paper), and said so in one line.
    shaded = _photographed(lines, 50)
    assert bool(sketch_normalization.page_levels(shaded)["blank"])
    note = sketch_normalization.faint_note(shaded)
    assert (
        note is not None
        and note.startswith("the lines are too faint to tell from the paper (ink ")
        and "\n" not in note
    )
    # The same pencil on evenly lit paper is leveled: no note.
    for image in (_photographed(lines, 0), np.dstack([lines] * 3)):
        assert not bool(sketch_normalization.page_levels(image)["blank"])
        assert sketch_normalization.faint_note(image) is None


def test_shaded_paper_is_evened_to_white_and_its_lines_kept():
    from colorize.inference import shading  # noqa: PLC0415

    lines = draw(t=3)
    shaded = _photographed(lines, 50)  # paper 235 down to 185, pencil 150
    even = shading.evened(shaded)[..., 0].astype(int)
    paper, ink = cv2.erode(lines, np.ones((7, 7), np.uint8)) == 255, lines < 128
    half = SIZE // 2
    for quadrant in ((slice(0, half), slice(0, half)), (slice(half, None), slice(half, None))):
        # every part of the page, the lit corner and the shaded one, comes out white (grain aside)
        assert np.median(even[quadrant][paper[quadrant]]) >= 250, quadrant
        # and the pencil keeps its darkness against the paper around it (150 / 185..235 of 255)
        assert 150 <= np.median(even[quadrant][ink[quadrant]]) <= 215, quadrant
    assert not bool(sketch_normalization.page_levels(np.dstack([even] * 3).astype(np.uint8))["blank"])
    # A dark page (light lines on it) is not shaded paper: left alone.
    assert shading.evened(255 - shaded) is None


def test_colorize_array_evens_shaded_paper_and_notes_lines_too_faint_even_so(run_dir):
    from colorize.inference import coloring  # noqa: PLC0415

    model = coloring.Model(run_dir)
    lines = draw(256, t=3)
    # Shaded paper: evened out, said so, and the lines come out on white paper.
    shaded = coloring.colorize_array(_photographed(lines, 50), model)
    assert coloring.EVENED_NOTE in shaded["notes"], shaded["notes"]
    # (here soft enough to pass for a dataset-style sketch: its lines are the evened pencil's gray)
    assert np.median(shaded["lines"]) >= 250 and shaded["lines"][lines < 128].mean() < 215
    # Pencil barely darker than its paper, even when evened: colored as it is, with the note.
    out = coloring.colorize_array(_photographed(lines, 50, pencil=20), model)
    assert any(n.startswith("the lines are too faint") for n in out["notes"]), out["notes"]
    # Evenly lit: leveled as before, no note.
    even = coloring.colorize_array(_photographed(lines, 0), model)
    assert not any("too faint" in n or "shaded" in n for n in even["notes"]), even["notes"]
