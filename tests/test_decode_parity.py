"""The SavedModel's in-graph decoder gives `predict`'s decoded sketch.

Every PNG bit depth and color type and every JPEG kind of
`bad_inputs.decodable_corpus` goes through `images.load_image` (predict) and
`decode.decode_rgb` (the graph, also through a loaded SavedModel);
the RGB pixels must be equal, level for level (CMYK JPEG and EXIF
orientation included), and so must the gray that both paths take from them.
"""

import io

import cv2
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from colorize.data import images
from colorize.serving import decode

from bad_inputs import decodable_corpus, drawing


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return decodable_corpus(tmp_path_factory.mktemp("decodable"))


def _graph_rgb(data):
    _, checked = decode.header_size(tf.constant(data), 0, 1 << 30)
    return decode.decode_rgb(checked).numpy()


def _python_rgb(path):
    return cv2.cvtColor(images.load_image(path), cv2.COLOR_BGR2RGB)


def test_every_png_and_jpeg_kind_decodes_alike(corpus):
    kinds = set()
    for name, path in corpus:
        with open(path, "rb") as f:
            data = f.read()
        graph, python = _graph_rgb(data), _python_rgb(path)
        assert graph.shape == python.shape, name
        np.testing.assert_array_equal(graph, python, err_msg=name)
        gray = decode.to_gray(tf.constant(graph)).numpy()[..., 0]
        np.testing.assert_array_equal(gray, cv2.cvtColor(graph, cv2.COLOR_RGB2GRAY), err_msg=name)
        kinds.add(name)
    # The corpus covers every bit depth of gray and palette, alpha, and JPEG.
    assert len(kinds) >= 15


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_every_exif_orientation_is_applied_as_predict_does(fmt):
    picture = np.random.default_rng(0).integers(0, 256, (30, 50, 3)).astype(np.uint8)
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        buffer = io.BytesIO()
        Image.fromarray(picture).save(buffer, fmt, exif=exif.tobytes())
        data = buffer.getvalue()
        size, checked = decode.header_size(tf.constant(data), 0, 1 << 30)
        assert int(decode.exif_orientation(checked)) == orientation
        graph = decode.decode_rgb(checked).numpy()
        np.testing.assert_array_equal(graph, cv2.cvtColor(images.load_image(data), cv2.COLOR_BGR2RGB))
        assert size.numpy().tolist() == list(graph.shape[:2])  # the header size is the displayed one
        assert graph.shape[:2] == ((50, 30) if orientation >= 5 else (30, 50))


def test_low_bit_drawings_keep_their_lines(tmp_path):
    # 1-bit gray and 4-bit palette drawings: decoded with four channels, their
    # alpha would be 1 or 15 of 255, and every line would turn to paper.
    gray = drawing(64, 96, seed=1)
    binary = Image.fromarray(gray).point(lambda v: 255 if v > 128 else 0).convert("1")
    palette = Image.fromarray(gray).convert("RGB").quantize(colors=16)
    for image, options in ((binary, {}), (palette, {"bits": 4})):
        path = str(tmp_path / f"lines_{image.mode}.png")
        image.save(path, **options)
        with open(path, "rb") as f:
            graph = decode.to_gray(decode.decode_rgb(f.read())).numpy()[..., 0]
        np.testing.assert_array_equal(graph, cv2.cvtColor(_python_rgb(path), cv2.COLOR_RGB2GRAY))
        assert graph[gray < 64].max() < 100  # the dark line pixels stay dark (were all 255)


@pytest.mark.slow
def test_the_saved_model_decodes_as_predict(corpus, export_dir):
    loaded = tf.saved_model.load(export_dir)
    pngs = [(name, path) for name, path in corpus if name.endswith(".png")]
    data = []
    for _, path in pngs:
        with open(path, "rb") as f:
            data.append(f.read())
    out = loaded.decode_images(tf.constant(data))
    for i, (name, path) in enumerate(pngs):
        h, w = out["size"].numpy()[i]
        np.testing.assert_array_equal(out["rgb"].numpy()[i, :h, :w], _python_rgb(path), err_msg=name)
