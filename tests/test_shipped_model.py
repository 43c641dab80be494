"""The model shipped in the package: its weights match the model card, and
`predict` colors a sketch with it when no model is given."""

import hashlib
import json
import os

import cv2
import numpy as np

from colorize import predict, runs, weights
from colorize.nets import trained

import helpers

CARD = os.path.join(weights.SHIPPED, "model_card.json")


def load_card():
    with open(CARD) as f:
        return json.load(f)


def test_shipped_weights_match_the_model_card():
    card = load_card()
    path = os.path.join(weights.SHIPPED, runs.PACKED_WEIGHTS)
    with open(path, "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == card["sha256"]
    assert os.path.getsize(path) == card["bytes"] < 20_000_000
    config, net = trained.load_net(weights.default_model())
    assert (config.variant, config.width, config.image_size, config.hints, config.palette) == (
        card["variant"],
        card["width"],
        card["image_size"],
        True,
        True,
    )
    assert config.temperature == card["temperature"]
    # No path of the machine it was trained on: a user's data is in their
    # default TFDS folder, and where training started is in the card's cycles.
    assert (config.data_dir, config.init_from) == ("", "")
    assert card["cycles"] and all(cycle["steps"] > 0 for cycle in card["cycles"])
    # The decoding chosen on validation ships beside the weights.
    assert runs.read_decoding(weights.SHIPPED)["temperature"] == card["temperature"]
    assert runs.read_decoding(weights.SHIPPED)["paper_threshold"] == card["paper_threshold"]
    assert sum(w.numpy().size for w in net.trainable_weights) == card["parameters"]
    assert net.count_params() == card["values"]  # with the batch-norm statistics
    assert sum(w.size for w in net.get_weights()) == card["values"]
    # The card's own figures are the ones it states in prose.
    with open(os.path.join(weights.SHIPPED, "MODEL_CARD.md")) as f:
        text = f.read()
    assert card["sha256"] in text and f"{card['test_predict']['psnr']:.2f} dB" in text


def sketch_file(path):
    """A line drawing on white: a circle, a box, a house outline."""
    img = np.full((300, 420), 255, np.uint8)
    cv2.circle(img, (100, 150), 70, 0, 3)
    cv2.rectangle(img, (220, 80), (380, 240), 0, 3)
    cv2.line(img, (220, 80), (300, 20), 0, 3)
    cv2.line(img, (300, 20), (380, 80), 0, 3)
    cv2.imwrite(str(path), img)
    return img


def test_predict_colors_a_sketch_with_the_shipped_model_by_default(tmp_path):
    lines = sketch_file(tmp_path / "drawing.png")
    home = tmp_path / "home"
    home.mkdir()
    proc = helpers.run_python(
        ["-m", "colorize.predict", str(tmp_path / "drawing.png"), "-o", str(tmp_path / "out")],
        environ=helpers.env(HOME=str(home)),
        cwd=str(tmp_path),
    )
    assert weights.SHIPPED in proc.stdout + proc.stderr  # it says which model it used
    out = cv2.imread(str(tmp_path / "out" / "drawing.png"))
    assert out is not None and out.shape == (300, 420, 3)
    # The lines stay dark, and the page far from any line is not painted
    # dark: the model keeps paper light.
    assert out[lines == 0].mean() < 80
    page = out[270:, :]  # the bottom margin, no line there
    assert page.mean() > 170
    if runs.read_decoding(weights.SHIPPED).get("paper_threshold") is not None:
        # Region decisions: the paper around the drawing is white, not the white class's cream.
        assert page.min() >= 250


def test_a_palette_gives_the_named_colors_themselves(tmp_path):
    lines = sketch_file(tmp_path / "drawing.png")
    out_dir = tmp_path / "out"
    named = {"#f0c000": [(240, 192, 0)], "#e03020,#2050c0": [(224, 48, 32), (32, 80, 192)]}
    for text, colors in named.items():
        assert predict.main([str(tmp_path / "drawing.png"), "-o", str(out_dir), "--palette", text]) == 0
        rgb = cv2.imread(str(out_dir / "drawing.png"))[..., ::-1]
        # Away from the lines the output is the flat color itself: white paper or a named color, nothing between
        # (not the pinker centre of the red class, not a purple blend of red and blue).
        away = cv2.erode((lines == 255).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
        colored = away & ~np.all(rgb == 255, axis=-1)
        assert colored.sum() > 0.1 * away.sum()
        exact = np.zeros_like(colored)
        for c in colors:
            exact |= np.all(rgb == c, axis=-1)
        assert np.all(exact[colored]), text
