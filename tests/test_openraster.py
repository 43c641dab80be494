"""OpenRaster output: the zip layout the specification asks for, both layers
in order, and a merged image equal to the line multiplication."""

import io
import xml.etree.ElementTree as ET
import zipfile

import numpy as np
import pytest
from PIL import Image

from colorize.errors import ColorizeError
from colorize.inference import openraster

import helpers


def _image(height=40, width=70, seed=0):
    rng = np.random.default_rng(seed)
    color = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    lines = np.full((height, width), 255, np.uint8)
    lines[5:8, :] = 0  # a black line
    lines[:, 30:33] = rng.integers(0, 256, (height, 3), dtype=np.uint8)  # antialiased grays
    return color, lines


def test_zip_layout(tmp_path):
    color, lines = _image()
    path = openraster.write_ora(tmp_path / "a.ora", color, lines)
    assert path == tmp_path / "a.ora"
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        assert infos[0].filename == "mimetype"
        assert infos[0].compress_type == zipfile.ZIP_STORED
        assert z.read("mimetype") == b"image/openraster"
        # The magic at a fixed offset, as file managers check it.
        assert open(path, "rb").read()[30:38] == b"mimetype"
        assert sorted(z.namelist()) == sorted(
            ["mimetype", "stack.xml", "data/lines.png", "data/color.png", "mergedimage.png", "Thumbnails/thumbnail.png"]
        )
        root = ET.fromstring(z.read("stack.xml"))
        assert root.tag == "image" and (root.get("w"), root.get("h")) == ("70", "40")
        layers = root.find("stack").findall("layer")
        assert [layer.get("name") for layer in layers] == ["lines", "color"]  # top first
        assert [layer.get("src") for layer in layers] == ["data/lines.png", "data/color.png"]
        for src in ("data/lines.png", "data/color.png", "mergedimage.png"):
            assert Image.open(io.BytesIO(z.read(src))).size == (70, 40)
        assert Image.open(io.BytesIO(z.read("Thumbnails/thumbnail.png"))).size == (70, 40)


def test_layers_and_merged_image(tmp_path):
    color, lines = _image()
    layers = helpers.read_ora(openraster.write_ora(tmp_path / "a.ora", color, lines))
    assert list(layers) == ["lines", "color", "mergedimage", "thumbnail"]
    np.testing.assert_array_equal(layers["color"][..., :3], color)
    assert (layers["color"][..., 3] == 255).all()
    np.testing.assert_array_equal(layers["lines"][..., :3], 0)  # black ink
    np.testing.assert_array_equal(layers["lines"][..., 3], 255 - lines)
    expected = color.astype(np.float64) * lines[..., None] / 255.0
    merged = layers["mergedimage"][..., :3].astype(np.float64)
    assert np.abs(merged - expected).max() <= 1.0
    # Source-over of the ink on the color, computed independently, is the same.
    alpha = layers["lines"][..., 3:].astype(np.float64) / 255.0
    over = layers["color"][..., :3] * (1 - alpha) + layers["lines"][..., :3] * alpha
    assert np.abs(merged - over).max() <= 1.0


def test_thumbnail_within_256_and_file_object():
    color, lines = _image(300, 600)
    buffer = io.BytesIO()
    assert openraster.write_ora(buffer, color, lines) is buffer
    buffer.seek(0)
    layers = helpers.read_ora(buffer)
    assert layers["thumbnail"].shape == (128, 256, 4)
    assert layers["mergedimage"].shape == (300, 600, 4)


def test_bad_input(tmp_path):
    color, lines = _image()
    with pytest.raises(ColorizeError, match="lines must be"):
        openraster.write_ora(tmp_path / "b.ora", color, lines[:10])
    with pytest.raises(ColorizeError, match="color layer must be"):
        openraster.write_ora(tmp_path / "b.ora", color[..., 0], lines)
    assert not (tmp_path / "b.ora").exists()
