"""predict --palette and --reference: one palette for every input, through
the network's palette input; one-line errors for what cannot be used."""

import cv2
import numpy as np
import pytest
import tensorflow as tf

from colorize import predict
from colorize.evaluation import evaluator
from colorize.inference import coloring
from colorize.nets import models, trained


def _sketch(path, size=160):
    img = np.full((size, size), 255, np.uint8)
    cv2.circle(img, (size // 2, size // 2), size // 3, 0, 3)
    cv2.rectangle(img, (10, 10), (50, 40), 0, 2)
    cv2.imwrite(str(path), img)


@pytest.fixture(scope="module")
def palette_run(tiny_run, tmp_path_factory):
    """The tiny lch run (palette input on by default), its palette layer made
    to matter: a trained tiny run's is still near zero."""
    run_dir = tiny_run("lch")
    config, net = trained.load_net(run_dir)
    assert config.palette
    layer = net.get_layer("global_hint")
    kernel, bias = layer.get_weights()
    layer.set_weights([np.random.default_rng(0).normal(0.0, 2.0, kernel.shape).astype(np.float32), bias])
    out = str(tmp_path_factory.mktemp("palette") / "run")
    trained.pack_net(net, config, out)
    return out


def test_a_palette_changes_the_colors_and_is_shared_by_the_inputs(palette_run, tmp_path, capsys):
    for name in ("a.png", "b.png"):
        _sketch(tmp_path / name)
    plain, red, blue = tmp_path / "plain", tmp_path / "red", tmp_path / "blue"
    inputs = [str(tmp_path / "a.png"), str(tmp_path / "b.png")]
    assert predict.main([*inputs, "-o", str(plain), "--model", palette_run]) == 0
    assert predict.main([*inputs, "-o", str(red), "--model", palette_run, "--palette", "#e03020"]) == 0
    out = capsys.readouterr().out
    assert "palette: #e03020 (for every input)" in out
    assert predict.main([*inputs, "-o", str(blue), "--model", palette_run, "--palette", "2050c0"]) == 0
    read = {d: [cv2.imread(str(d / n)) for n in ("a.png", "b.png")] for d in (plain, red, blue)}
    assert np.abs(read[red][0].astype(int) - read[plain][0]).max() > 0
    assert np.abs(read[red][0].astype(int) - read[blue][0]).max() > 0
    # One palette for the folder: the same sketch gets the same colors.
    np.testing.assert_array_equal(read[red][0], read[red][1])


def test_a_reference_gives_its_main_colors(palette_run, tmp_path):
    model = coloring.Model(palette_run)
    reference = np.full((64, 64, 3), 255, np.uint8)
    reference[8:40, 8:40] = (224, 48, 32)
    from_picture = model.palette(reference=reference)
    named = model.palette(colors=np.array([[224, 48, 32]], np.uint8))
    np.testing.assert_array_equal(from_picture.weights > 0, named.weights > 0)
    # The colors themselves: the reference's mean color in its class (a color picker's), and the named one.
    np.testing.assert_array_equal(from_picture.colors, [[224, 48, 32]])
    # Three flat stripes give their three colors, not the blends where they meet.
    stripes = np.zeros((120, 180, 3), np.uint8)
    stripes[:, :60], stripes[:, 60:120], stripes[:, 120:] = (40, 200, 240), (200, 40, 120), (30, 120, 60)
    found = model.palette(reference=stripes).colors
    assert sorted(map(tuple, found.tolist())) == [(30, 120, 60), (40, 200, 240), (200, 40, 120)]
    both = model.palette(colors=np.array([[32, 80, 192]], np.uint8), reference=reference)
    assert np.count_nonzero(both.weights) == 2 and np.isclose(both.weights.sum(), 1.0)
    np.testing.assert_array_equal(both.colors, [[32, 80, 192], [224, 48, 32]])
    # A color named twice, or named and also the reference's, is one color.
    twice = model.palette(colors=np.array([[224, 48, 32], [32, 80, 192], [224, 48, 32]], np.uint8), reference=reference)
    np.testing.assert_array_equal(twice.colors, [[224, 48, 32], [32, 80, 192]])
    with pytest.raises(Exception, match="no colors"):
        model.palette(reference=np.full((32, 32, 3), 255, np.uint8))
    # A black-and-white drawing: shrunk, its lines turn gray, and grays are not colors.
    drawing = np.full((300, 300, 3), 255, np.uint8)
    for k in range(12):
        cv2.line(drawing, (0, 25 * k), (299, 25 * k + 40), (0, 0, 0), 2)
    with pytest.raises(Exception, match="no colors"):
        model.palette(reference=drawing)


def _usage_error(argv):
    with pytest.raises(SystemExit) as e:
        predict.main(argv)
    assert e.value.code == 2


def test_palette_errors_are_one_line(palette_run, tmp_path, capsys):
    _sketch(tmp_path / "a.png")
    base = [str(tmp_path / "a.png"), "-o", str(tmp_path / "out")]
    _usage_error([*base, "--model", palette_run, "--palette", "#e0302"])
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: --palette: palette color '#e0302' is not #RRGGBB (6 hexadecimal digits, the # optional)"]
    _usage_error([*base, "--model", palette_run, "--reference", str(tmp_path / "missing.png")])
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: --reference: {tmp_path / 'missing.png'}: no such file"]
    # A reference without colors (a new user gave a line drawing): named as the reference, not an input.
    gray = tmp_path / "gray.png"
    cv2.imwrite(str(gray), np.full((64, 64, 3), 200, np.uint8))
    _usage_error([*base, "--model", palette_run, "--reference", str(gray)])
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert err[-1] == f"error: --reference: {gray}: the reference picture has no colors (only paper, lines and grays)"
    assert "model:" not in captured.out  # refused before the model loads
    # A model without a palette input.
    no_palette = str(tmp_path / "plain")
    config, net = trained.load_net(palette_run)
    plain = models.build_net(config.model, width=config.width, hints=True)
    trained.pack_net(plain, config.replace(palette=False), no_palette)
    _usage_error([*base, "--model", no_palette, "--palette", "#e03020"])
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"error: {no_palette} has no palette input (train with --palette on to use one)"


def test_evaluate_with_the_truths_palette(palette_run, tiny_data_dir):
    common = dict(split="validation", data_dir=tiny_data_dir, progress=False)
    plain = evaluator.evaluate_run(palette_run, **common)
    given = evaluator.evaluate_run(palette_run, palette=6, **common)
    assert given["palette"] == 6 and plain["palette"] == 0
    # The palette layer was made to matter (the fixture): the output moves.
    assert given["metrics"]["mse_rgb"] != plain["metrics"]["mse_rgb"]
    for key in ("page_min", "color_overlap", "psnr_sketch"):
        assert key in given["metrics"]


def test_the_saved_models_palette_signature_colors_as_predict_does(palette_run, tmp_path):
    from colorize.serving import saved_model  # noqa: PLC0415

    _sketch(tmp_path / "a.png", size=96)
    data = (tmp_path / "a.png").read_bytes()
    export_dir = saved_model.export(palette_run, str(tmp_path / "export"))
    loaded = tf.saved_model.load(export_dir)
    assert bool(loaded.uses_palette.numpy())
    sign = loaded.signatures["palette"]
    images, hints = tf.constant([data, data]), tf.constant(["", ""])
    red, blue = [224, 48, 32], [32, 80, 192]
    out = sign(images=images, hints=hints, palette_colors=tf.constant([[red, red], [blue, red]], tf.uint8))
    model = coloring.Model(palette_run, flip_average=False)  # one pass, as the SavedModel
    rgb = coloring.load_rgb(str(tmp_path / "a.png"))
    for i, colors in enumerate(([red], [blue, red])):
        palette = model.palette(colors=np.array(colors, np.uint8))
        expected = coloring.colorize_array(rgb, model, upsample="bilinear", palette=palette)["rgb"]
        np.testing.assert_array_equal(out["rgb"][i].numpy(), expected)
    assert np.abs(out["rgb"][0].numpy().astype(int) - out["rgb"][1].numpy()).max() > 0
    # No colors: no palette, as the guided signature.
    none = sign(images=images[:1], hints=hints[:1], palette_colors=tf.zeros([1, 0, 3], tf.uint8))
    plain = loaded.signatures["guided"](images=images[:1], hints=hints[:1])
    np.testing.assert_array_equal(none["rgb"].numpy(), plain["rgb"].numpy())
    with pytest.raises(tf.errors.InvalidArgumentError, match="one row of colors per image"):
        sign(images=images, hints=hints, palette_colors=tf.zeros([1, 1, 3], tf.uint8))


def test_a_palette_puts_no_color_on_the_page_where_the_network_sees_paper_without_it():
    # Given a palette, a network can put its colors on a patch of empty page (a disc far from the
    # lines at the picture's corner here; a floating patch would be paper anyway) that it sees as
    # paper without one: paper is where it sees paper either way. The
    # network here sees the open figure as colored, so the figure and the page, one region, are
    # decided pixel by pixel.
    from test_hint_flood import open_figure  # noqa: PLC0415 (a helper of that module's)

    from colorize import weights  # noqa: PLC0415 (the shipped model: TensorFlow, for this test only)

    model = coloring.Model(weights.default_model())
    lines, inside, outside, _ = open_figure(600, 100, seed=1)
    yy, xx = np.mgrid[:600, :600]
    disc = (yy - 580) ** 2 + (xx - 580) ** 2 < 60**2
    assert outside[disc].all()
    color = model.color
    patched = {"without the palette": False}

    def painting(sketch, hint_rgb=None, hint_mask=None, palette=None):
        out = color(sketch, hint_rgb, hint_mask, palette)
        paper, chromatic = model.evidence
        h, w = paper.shape
        figure = cv2.resize(inside.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
        y, x = np.mgrid[:h, :w]
        patch = (y - 580 * h / 600) ** 2 + (x - 580 * w / 600) ** 2 < (60 * h / 600) ** 2
        patch &= palette is not None or patched["without the palette"]
        model.evidence = (np.where(figure | patch, 0.0, 1.0).astype(np.float32), chromatic)
        return out

    model.color = painting
    palette = model.palette(colors=np.array([[224, 48, 32], [32, 80, 192]], np.uint8))
    out = coloring.colorize_array(np.dstack([lines] * 3), model, palette=palette)
    assert np.all(out["rgb"][disc] == 255)
    assert np.mean(np.any(out["rgb"][inside] != 255, -1)) > 0.9  # the figure is colored
    # Where the network sees no paper without the palette either, the patch takes a palette color.
    patched["without the palette"] = True
    out = coloring.colorize_array(np.dstack([lines] * 3), model, palette=palette)
    assert np.mean(np.any(out["rgb"][disc] != 255, -1)) > 0.9


def test_paper_is_decided_before_the_palette_restriction(palette_run):
    """The paper mass a palette pass gives region decisions is the network's
    own (with the palette as its input), not what is left after the colors
    the palette lacks are cut: a shape the network sees in another color is
    not paper."""
    from colorize.nets.annealed_mean import PaletteRestriction, PaperMass  # noqa: PLC0415

    model = coloring.Model(palette_run, flip_average=False)
    weights = model.palette(colors=np.array([[32, 80, 192]], np.uint8)).weights  # one blue
    sketch = np.full((64, 64), 255, np.uint8)
    cv2.rectangle(sketch, (12, 12), (52, 52), 0, 2)
    model.color(sketch, palette=weights)
    paper = model.evidence[0]  # (16, 16)
    _, net = trained.load_net(palette_run)
    inputs = models.net_inputs(
        net,
        tf.constant(sketch[None, :, :, None], tf.float32),
        tf.zeros((1, 64, 64, 3)),
        tf.zeros((1, 64, 64, 1)),
        tf.constant(weights[None]),
    )
    logits = net(inputs)  # (1, 16, 16, Q)

    def mass(x):  # brought to the input's size, as the core does
        return np.asarray(tf.image.resize(PaperMass(space="lch")(x), (64, 64), "bilinear"))[0, ..., 0]

    np.testing.assert_allclose(paper, mass(logits), atol=1e-4)
    restricted = PaletteRestriction(space="lch")([logits, tf.constant(weights[None])])
    assert np.abs(paper - mass(restricted)).max() > 1e-2


def test_given_a_palette_a_region_is_paper_where_either_pass_sees_paper(palette_run):
    """The palette's pass alone paints white shapes it has a color for: with a
    palette (and no hints), the paper mass every region decision reads is the
    larger of the palette pass's and the plain pass's."""
    model = coloring.Model(palette_run, flip_average=False)
    palette = model.palette(colors=np.array([[224, 48, 32]], np.uint8))
    sketch = np.full((96, 96), 255, np.uint8)
    cv2.rectangle(sketch, (16, 16), (80, 80), 0, 2)
    model.color(sketch, palette=palette.weights)
    guided = model.evidence[0]
    model.color(sketch)
    plain = model.evidence[0]
    either = np.maximum(guided, plain)
    # Each pass sees more paper somewhere (the tiny network's palette moves it only a little).
    assert (either - guided).max() > 1e-6 and (either - plain).max() > 1e-6
    coloring.colorize_array(sketch, model, normalize="off", palette=palette)
    np.testing.assert_allclose(model.evidence[0], either, rtol=0, atol=1e-7)
    np.testing.assert_allclose(model.evidence[2], either, rtol=0, atol=1e-7)
