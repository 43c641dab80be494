"""The SavedModel's `guided` signature: sketch bytes and hint-layer PNG bytes
in, colored PNG and RGB out, with TensorFlow alone; the same hints as
predict's reader; bad hint layers refused; hints painted through the network."""

import textwrap

import cv2
import numpy as np
import pytest
import tensorflow as tf

from colorize.inference import coloring, hint_layers
from colorize.nets import models
from colorize.serving import colorizer, saved_model

import helpers
from bad_inputs import drawing


def _hint_echo(inputs, training=False):
    """Stands in for a hinted network's color head: the hint colors it gets."""
    return inputs[2]


def _hint_layer(height, width, seed=0, count=6):
    """`(height, width, 4)` BGRA: `count` opaque squares of random colors on
    a transparent layer, half-transparent noise elsewhere."""
    rng = np.random.default_rng(seed)
    bgra = np.zeros((height, width, 4), np.uint8)
    bgra[..., 3] = rng.integers(0, 128, (height, width))  # never a hint
    for _ in range(count):
        y, x = rng.integers(0, height - 4), rng.integers(0, width - 4)
        bgra[y : y + 4, x : x + 4] = (*rng.integers(0, 256, 3), 255)
    return bgra


@pytest.fixture(scope="module")
def loaded(export_dir):
    return tf.saved_model.load(export_dir)


@pytest.mark.slow
def test_guided_runs_without_the_project_and_matches_in_process(run_dir, export_dir, tmp_path):
    sketch_a, sketch_b = drawing(96, 136, seed=1), drawing(150, 100, seed=2)
    paths = [tmp_path / "a.png", tmp_path / "b.jpg", tmp_path / "a.hints.png"]
    cv2.imwrite(str(paths[0]), sketch_a)
    cv2.imwrite(str(paths[1]), sketch_b, [cv2.IMWRITE_JPEG_QUALITY, 90])
    cv2.imwrite(str(paths[2]), _hint_layer(48, 68))  # half the sketch's size
    script = textwrap.dedent(
        f"""
        import numpy as np, tensorflow as tf
        model = tf.saved_model.load({export_dir!r})
        a, b, hints = [open(p, "rb").read() for p in {[str(p) for p in paths]!r}]
        out = model.signatures["guided"](images=tf.constant([a, b]), hints=tf.constant([hints, b""]))
        plain = model.signatures["serving_default"](images=tf.constant([a, b]))
        np.savez("out.npz", rgb=out["rgb"].numpy(), size=out["size"].numpy(), plain=plain["rgb"].numpy())
        open("out0.png", "wb").write(out["png"].numpy()[0])
        """
    )
    work = helpers.run_without_project(script, tmp_path)
    out = np.load(work / "out.npz")
    np.testing.assert_array_equal(out["size"], [[96, 136], [150, 100]])
    np.testing.assert_array_equal(out["rgb"][1], out["plain"][1])  # "" is no hints
    np.testing.assert_array_equal(tf.io.decode_png((work / "out0.png").read_bytes()).numpy(), out["rgb"][0, :96])
    # In-process: predict's reader and the core's graph functions give the
    # same pixels (the in-graph nearest-neighbour scaling of the layer is
    # predict's when growing by a whole factor).
    model = coloring.Model(run_dir)
    hints = hint_layers.load_hint_layer(str(paths[2]), 96, 136)
    expected = coloring.colorize_array(
        coloring.load_rgb(str(paths[0])), model, upsample="bilinear", hint_rgb=hints[0], hint_mask=hints[1]
    )["rgb"]
    assert np.abs(out["rgb"][0, :96].astype(int) - expected).max() <= 1


@pytest.mark.parametrize("size", [(64, 80), (32, 40), (128, 160)])
def test_hint_layer_decoding_matches_predicts_reader(size):
    # At the sketch's size and grown by whole factors both agree exactly;
    # shrunk, the graph keeps every pixel a hint reaches (as it does at the
    # network's scale), the reader those it mostly covers and local maxima.
    layer = _hint_layer(*size, seed=4, count=20 if size[0] > 32 else 6)
    data = cv2.imencode(".png", layer)[1].tobytes()
    rgb, mask = colorizer.decode_hint_layer(tf.constant(data), tf.constant([64, 80]), 0)
    want_rgb, want_mask = hint_layers.load_hint_layer(data, 64, 80)
    if size[0] <= 64:
        np.testing.assert_array_equal(mask.numpy()[..., 0], want_mask)
        np.testing.assert_array_equal(rgb.numpy(), want_rgb)
    else:  # every reader's hint is one of the graph's, with its color
        on = mask.numpy()[..., 0].astype(bool)
        assert want_mask.sum() > 0 and np.all(on[want_mask]) and on.sum() > want_mask.sum()
        assert np.abs(rgb.numpy()[want_mask].astype(int) - want_rgb[want_mask]).max() <= 1


def test_bad_hint_layers_are_invalid_arguments_and_the_model_keeps_working(loaded):
    guided = loaded.signatures["guided"]
    png = cv2.imencode(".png", drawing(40, 50))[1].tobytes()
    layer = cv2.imencode(".png", _hint_layer(40, 50))[1].tobytes()
    cases = [
        ([png, png], [layer, b"GIF89a not a png"], "hints 1: not a PNG"),
        ([png], [cv2.imencode(".png", _hint_layer(40, 80))[1].tobytes()], "hints 0: wrong aspect ratio"),
        ([png], [layer[: len(layer) // 2]], "PNG"),  # truncated: TensorFlow's own PNG error
        ([png, png], [layer], "one hint layer .* per image; got 1 for 2 images"),
    ]
    for images, hints, message in cases:
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            guided(images=tf.constant(images), hints=tf.constant(hints))
        out = guided(images=tf.constant([png]), hints=tf.constant([layer]))
        assert out["rgb"].shape == (1, 40, 50, 3)
    assert "guided" in saved_model.SIGNATURES


def test_guided_paints_the_hints_through_the_network():
    # A network that returns the hint colors it gets: the served image is
    # the hint layer's colors (at the network's scale, upsampled bilinearly)
    # times the lines, so the in-graph decoding, scaling and tiling put each
    # hint where it was painted, in its color.
    net = models.build_net("regression", width=0.0625, hints=True)
    core = colorizer.Colorizer(net, "rgb", 32, 0.38, normalize=False)
    core.guided_head = _hint_echo
    page = np.full((64, 512), 255, np.uint8)  # a strip: tiles at 32 px
    bgra = np.zeros((64, 512, 4), np.uint8)
    bgra[16:48, 32:96] = (40, 200, 30, 255)  # BGR
    bgra[16:48, 400:480] = (250, 20, 100, 255)
    out = core.serve_guided(
        tf.constant([cv2.imencode(".png", page)[1].tobytes()]), tf.constant([cv2.imencode(".png", bgra)[1].tobytes()])
    )
    rgb = out["rgb"].numpy()[0]
    np.testing.assert_array_equal(rgb[24:40, 40:88], np.broadcast_to((30, 200, 40), (16, 48, 3)))
    np.testing.assert_array_equal(rgb[24:40, 408:472], np.broadcast_to((100, 20, 250), (16, 64, 3)))
    assert not rgb[:, 150:350].any()  # no hint: the echo is black
