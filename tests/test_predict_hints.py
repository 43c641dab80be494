"""predict with color hints: the hinted region comes out in the hint's color,
hint layers and `--hint` points through the command line (good and bad),
`NAME.hints.png` beside `NAME.png`, `--layers`, runs trained without hints."""

import os

import cv2
import numpy as np
import pytest

from colorize import predict, runs
from colorize.inference import coloring, jobs, openraster
from colorize.nets import models, trained

RED, GREEN = (220, 30, 40), (20, 200, 60)


def _drawing():
    """160 x 200: a circle (center 60, 80, radius 35) and a box (120..180,
    30..130), 2 px black lines on white."""
    img = np.full((160, 200), 255, np.uint8)
    cv2.circle(img, (60, 80), 35, 0, 2)
    cv2.rectangle(img, (120, 30), (180, 130), 0, 2)
    return img


def _inside(img, seed):
    """The line-bounded region holding `seed` (x, y), 3 px away from its lines."""
    mask = np.zeros((img.shape[0] + 2, img.shape[1] + 2), np.uint8)
    cv2.floodFill(img.copy(), mask, seed, 128)
    region = mask[1:-1, 1:-1].astype(bool)
    return cv2.erode(region.view(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)


def _layer(height, width, dots, alpha=255, radius=3):
    """An RGBA hint layer (as PIL/OpenCV write it) with round dots [(x, y, rgb)]."""
    bgra = np.zeros((height, width, 4), np.uint8)
    for x, y, (r, g, b) in dots:
        cv2.circle(bgra, (x, y), radius, (b, g, r, alpha), -1)
    return bgra


@pytest.fixture(scope="module")
def model(run_dir):
    return coloring.Model(run_dir)  # the tiny run, trained with hints


@pytest.fixture(scope="module")
def plain_run(run_dir, tmp_path_factory):
    """A run trained before hints: its config says so and its net has no hint inputs."""
    config = runs.load_config(run_dir).replace(hints=False, palette=False)
    plain = str(tmp_path_factory.mktemp("plain"))
    runs.save_config(config, plain)
    trained.save_net(models.build_net(config.model, width=config.width), plain)
    return plain


def _expect_filled(rgb, lines, region, color):
    want = np.rint(np.array(color, np.float32) * (lines[region][:, np.newaxis] / 255.0))
    np.testing.assert_array_equal(rgb[region], want)


def test_a_hint_colors_its_region_and_nothing_else(model):
    # The tiny model hardly reacts to hints (it colors everything gray); the
    # regions path fills the line-bounded region under the hint in its color.
    img = _drawing()
    circle, box = _inside(img, (60, 80)), _inside(img, (150, 80))
    hint_rgb = np.zeros((160, 200, 3), np.uint8)
    hint_mask = np.zeros((160, 200), bool)
    hint_rgb[78:83, 58:63], hint_mask[78:83, 58:63] = RED, True  # a 5 px dot in the circle
    auto = coloring.colorize_array(img, model)
    out = coloring.colorize_array(img, model, hint_rgb, hint_mask)
    assert model.uses_hints
    _expect_filled(out["rgb"], out["lines"], circle, RED)
    np.testing.assert_array_equal(out["color"][circle], np.broadcast_to(RED, (circle.sum(), 3)))  # flat: no lines
    np.testing.assert_array_equal(out["lines"], auto["lines"])
    # The box has no hint: the network's color, as without hints (the tiny
    # net moves it by less than a level).
    assert np.abs(out["rgb"][box].astype(int) - auto["rgb"][box]).max() <= 1
    assert np.ptp(auto["rgb"][circle].astype(int), axis=1).max() < 30  # it was grayish before the hint
    # bilinear is the SavedModel's path: hints reach the network only.
    bilinear = coloring.colorize_array(img, model, hint_rgb, hint_mask, upsample="bilinear")
    assert np.abs(bilinear["rgb"][circle].astype(int) - RED).max() > 60  # not filled: the tiny net's gray


def _write_png(path, image):
    assert cv2.imwrite(str(path), image)


def test_hint_layers_beside_sketches_and_each_bad_one(run_dir, tmp_path, capsys):
    src = tmp_path / "in"
    src.mkdir()
    img = _drawing()
    circle = _inside(img, (60, 80))
    good = _layer(80, 100, [(30, 40, GREEN)])  # half the size: scaled to the sketch
    bad_layers = {
        "notimage": (b"not a png at all", "not an image"),
        "noalpha": (cv2.imencode(".png", np.full((160, 200, 3), 255, np.uint8))[1].tobytes(), "no alpha channel"),
        "aspect": (cv2.imencode(".png", _layer(160, 100, [(30, 40, RED)]))[1].tobytes(), "wrong aspect ratio"),
        "empty": (cv2.imencode(".png", _layer(160, 200, [(30, 40, RED)], alpha=50))[1].tobytes(), "empty hint layer"),
    }
    for name in ["good", "plain", *bad_layers]:
        _write_png(src / f"{name}.png", img)
    _write_png(src / "good.hints.png", good)
    _write_png(src / "Plain.hints.png", good)  # a layer of no sketch's name (the case differs): said, not used
    for name, (data, _) in bad_layers.items():
        (src / f"{name}.hints.png").write_bytes(data)
    out = tmp_path / "out"
    # A shell glob passes the hint layers too: they are never inputs.
    argv = [str(src), str(src / "good.hints.png"), "-o", str(out), "--model", run_dir]
    assert predict.main(argv) == 1
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("error: ")]
    assert len(errors) == len(bad_layers), errors
    for name, (_, reason) in bad_layers.items():
        assert any(f"{name}.hints.png: " in line and reason in line for line in errors), (name, errors)
    assert sorted(os.listdir(out)) == ["good.png", "plain.png"]
    assert "colored 2 of 6 inputs" in captured.out and "good.hints.png" in captured.out
    unused = [line for line in captured.out.splitlines() if "not used" in line]
    assert unused == [
        f"note: {src / 'Plain.hints.png'}: no sketch Plain.png (or .jpg...) beside it; this hint layer is not used"
    ], unused
    # Every one fails before the model loads.
    lines = captured.out.splitlines()
    model_line = next(i for i, line in enumerate(lines) if line.startswith("model: "))
    failed_first = {line.split("/")[-1] for line in lines[:model_line] if line.endswith(": failed")}
    assert failed_first == {f"{name}.png: failed" for name in bad_layers}, lines
    colored = cv2.cvtColor(cv2.imread(str(out / "good.png")), cv2.COLOR_BGR2RGB)
    lines = coloring.Model(run_dir).prepare(np.dstack([img] * 3))[1]
    _expect_filled(colored, lines, circle, GREEN)


def test_hints_file_and_points_on_one_sketch(run_dir, tmp_path, capsys):
    img = _drawing()
    circle, box = _inside(img, (60, 80)), _inside(img, (150, 80))
    _write_png(tmp_path / "s.png", img)
    layer = _layer(160, 200, [(60, 80, RED)])
    layer[79:82, 149:152] = (*RED[::-1], 255)  # 3 x 3 px in the box
    _write_png(tmp_path / "layer.png", layer)
    out = tmp_path / "out"
    # --hint points (3 x 3 px here) are laid over the layer: the box turns green, the circle stays red.
    argv = [str(tmp_path / "s.png"), "-o", str(out), "--model", run_dir, "--hints", str(tmp_path / "layer.png")]
    _write_png(tmp_path / "s.hints.png", _layer(160, 200, [(150, 80, RED)]))  # replaced by --hints: said
    assert predict.main([*argv, "--hint", "150,80,#14C83C", "--hint", "160, 60, 14c83c"]) == 0
    passed = [line for line in capsys.readouterr().out.splitlines() if "not used" in line]
    instead = f"--hints {tmp_path / 'layer.png'} is used instead; this hint layer is not used"
    assert passed == [f"note: {tmp_path / 's.hints.png'}: {instead}"]
    (tmp_path / "s.hints.png").unlink()
    colored = cv2.cvtColor(cv2.imread(str(out / "s.png")), cv2.COLOR_BGR2RGB)
    lines = coloring.Model(run_dir).prepare(np.dstack([img] * 3))[1]
    _expect_filled(colored, lines, circle, RED)
    _expect_filled(colored, lines, box, GREEN)
    capsys.readouterr()
    # A point outside the sketch fails its input: one line, exit 1, before the model loads.
    extra = ["--hint", "500,10,#FF0000"]
    assert predict.main([str(tmp_path / "s.png"), "-o", str(out), "--model", run_dir, *extra]) == 1
    captured = capsys.readouterr()
    assert "model:" not in captured.out
    err = [line for line in captured.err.splitlines() if line.strip()]
    assert (
        len(err) == 1
        and err[0]
        == f"error: {tmp_path / 's.png'}: hint at x=500, y=10 is off the 200x160 sketch"
        " (x from 0 to 199, y from 0 to 159)"
    ), err
    # A missing --hints layer is a usage error, told before the model loads: one line, exit 2.
    with pytest.raises(SystemExit) as info:
        predict.main([str(tmp_path / "s.png"), "-o", str(out), "--hints", str(tmp_path / "missing.png")])
    assert info.value.code == 2
    out_text, err_text = capsys.readouterr()
    assert err_text.strip() == f"error: hint layer {tmp_path / 'missing.png'}: no such file"
    assert "model:" not in out_text


def test_layers_writes_the_flat_color_under_the_lines(run_dir, tmp_path, monkeypatch):
    written = {}
    real = openraster.write_ora

    def spy(path, color, lines):
        written.update(path=path, color=color, lines=lines)
        return real(path, color, lines)

    monkeypatch.setattr(openraster, "write_ora", spy)
    img = _drawing()
    _write_png(tmp_path / "s.png", img)
    argv = [str(tmp_path / "s.png"), "-o", str(tmp_path / "out"), "--model", run_dir, "--layers"]
    assert predict.main([*argv, "--hint", "60,80,#DC1E28"]) == 0
    assert written["path"] == str(tmp_path / "out" / "s.ora") and os.path.isfile(written["path"])
    expected = coloring.colorize_array(
        img, coloring.Model(run_dir), *jobs.hints_for("s", 160, 200, None, [(60, 80, RED)])[0]
    )
    np.testing.assert_array_equal(written["color"], expected["color"])
    np.testing.assert_array_equal(written["lines"], expected["lines"])


def test_a_run_trained_without_hints_still_predicts(plain_run, tmp_path, capsys):
    img = _drawing()
    for name in ("a", "b"):
        _write_png(tmp_path / f"{name}.png", img)
    out = tmp_path / "out"
    assert predict.main([str(tmp_path / "a.png"), "-o", str(out), "--model", plain_run]) == 0
    plain = cv2.imread(str(out / "a.png"))
    assert "warning" not in capsys.readouterr().err
    inputs = [str(tmp_path / "a.png"), str(tmp_path / "b.png")]
    assert predict.main([*inputs, "-o", str(out), "--model", plain_run, "--hint", "60,80,#DC1E28"]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning: ")]
    assert warnings == [f"warning: {plain_run} was trained without hints; the network colors without them"]
    hinted = cv2.imread(str(out / "b.png"))
    circle = _inside(img, (60, 80))
    away = ~cv2.dilate(circle.view(np.uint8), np.ones((15, 15), np.uint8)).astype(bool)  # past the circle's line
    np.testing.assert_array_equal(hinted[away], plain[away])
    assert np.abs(hinted[circle][:, ::-1].astype(int) - RED).max() <= 1  # the region is still filled
