"""SavedModel export: runs without the project, is the core that predict
calls (equal outputs), holds up against bad input, readable by others."""

import io
import os
import subprocess
import sys
import textwrap

import cv2
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from colorize import export, runs, weights
from colorize.inference import coloring
from colorize.serving import saved_model

import helpers
from bad_inputs import drawing

NO_T = tf.constant([], tf.float32)  # "use the model's temperature"


@pytest.fixture(scope="module")
def loaded(export_dir):
    return tf.saved_model.load(export_dir)


@pytest.mark.slow
def test_export_runs_without_the_project_and_matches_in_process(run_dir, export_dir, tmp_path):
    png_img, jpg_img = drawing(96, 136, seed=1), drawing(150, 100, seed=2)
    png_path, jpg_path = tmp_path / "a.png", tmp_path / "b.jpg"
    cv2.imwrite(str(png_path), png_img)
    cv2.imwrite(str(jpg_path), jpg_img, [cv2.IMWRITE_JPEG_QUALITY, 90])
    script = textwrap.dedent(
        f"""
        import numpy as np, tensorflow as tf
        model = tf.saved_model.load({export_dir!r})
        images = [open(p, "rb").read() for p in ({str(png_path)!r}, {str(jpg_path)!r})]
        out = model.signatures["serving_default"](images=tf.constant(images))  # the standard call: images only
        np.savez("out.npz", rgb=out["rgb"].numpy(), size=out["size"].numpy())
        for i, png in enumerate(out["png"].numpy()):
            open(f"out{{i}}.png", "wb").write(png)
        """
    )
    work = helpers.run_without_project(script, tmp_path)
    out = np.load(work / "out.npz")
    np.testing.assert_array_equal(out["size"], [[96, 136], [150, 100]])
    assert out["rgb"].shape == (2, 150, 136, 3) and out["rgb"].dtype == np.uint8

    # In-process: predict's path (Python decoding, the core built from the
    # run, its graph functions) gives the same pixels, normalization included.
    model = coloring.Model(run_dir, flip_average=False)  # one pass, as the SavedModel
    for i, path in enumerate((png_path, jpg_path)):
        expected = coloring.colorize_array(coloring.load_rgb(str(path)), model, upsample="bilinear")["rgb"]
        h, w = out["size"][i]
        served = out["rgb"][i, :h, :w]
        np.testing.assert_array_equal(served, expected)
        np.testing.assert_array_equal(tf.io.decode_png((work / f"out{i}.png").read_bytes()).numpy(), served)
        assert not out["rgb"][i, h:].any() and not out["rgb"][i, :, w:].any()  # zero padding


def test_640x480_keeps_size_and_dark_lines(loaded):
    sketch = drawing(480, 640, seed=5)
    rgb = loaded.signatures["sketch"](sketch=tf.constant(sketch[np.newaxis, :, :, np.newaxis]), temperature=NO_T)["rgb"]
    rgb = rgb.numpy()[0]
    assert rgb.shape == (480, 640, 3)
    # The (normalized) lines are multiplied in: no pixel is lighter than its
    # line pixel, and black line pixels stay black.
    lines = loaded.prepare(tf.constant(np.dstack([sketch] * 3)[np.newaxis]))["lines"].numpy()[0]
    assert lines.shape == (480, 640, 1)
    assert np.all(rgb <= lines)
    assert np.all(rgb[sketch < 20] < 20)
    # ... and the bytes signature agrees (non-square PNG, aspect kept).
    png = cv2.imencode(".png", sketch)[1].tobytes()
    served = loaded.signatures["serving_default"](images=tf.constant([png]))
    np.testing.assert_array_equal(served["rgb"].numpy()[0], rgb)


def test_garbage_is_an_invalid_argument_and_the_model_keeps_working(loaded):
    serve = loaded.signatures["serving_default"]
    with_t = loaded.signatures["serving_temperature"]
    png = cv2.imencode(".png", drawing(40, 50))[1].tobytes()
    header_bomb = png[:16] + (100000).to_bytes(4, "big") * 2 + png[24:]
    cases = [
        (b"this is not an image", "not a PNG or JPEG"),
        (b"", "not a PNG or JPEG"),
        (png[: len(png) // 2], "PNG"),  # truncated: TensorFlow's own PNG error
        (header_bomb, "too large: 100000x100000"),
    ]
    for data, message in cases:
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            serve(images=tf.constant([png, data]))
        out = serve(images=tf.constant([png]))
        assert out["rgb"].shape == (1, 40, 50, 3)
    for bad in ([0.0], [-1.0], [float("nan")], [0.3, 0.3, 0.3]):
        with pytest.raises(tf.errors.InvalidArgumentError, match="temperature"):
            with_t(images=tf.constant([png, png]), temperature=tf.constant(bad, tf.float32))
    empty = serve(images=tf.constant([], tf.string))
    assert empty["png"].shape == (0,) and empty["size"].shape == (0, 2)


def test_temperature_is_an_input(loaded):
    color = loaded.signatures["color"]
    sketch = tf.constant(drawing(64, 80, seed=6)[np.newaxis, :, :, np.newaxis])
    default = color(sketch=sketch, temperature=NO_T)["color"].numpy()
    same = color(sketch=sketch, temperature=tf.constant([0.38]))["color"].numpy()
    hot = color(sketch=sketch, temperature=tf.constant([3.0]))["color"].numpy()
    np.testing.assert_allclose(same, default, atol=1e-4)
    assert np.abs(hot - default).max() > 1e-3
    assert float(loaded.default_temperature.numpy()) == pytest.approx(0.38)
    # serving_default is serving_temperature at the export's temperature.
    png = tf.constant([cv2.imencode(".png", drawing(64, 80, seed=6))[1].tobytes()])
    served = loaded.signatures["serving_default"](images=png)["rgb"].numpy()
    with_t = loaded.signatures["serving_temperature"]
    np.testing.assert_array_equal(with_t(images=png, temperature=NO_T)["rgb"].numpy(), served)
    np.testing.assert_array_equal(with_t(images=png, temperature=tf.constant([0.38]))["rgb"].numpy(), served)
    # One value per image of a batch.
    both = color(sketch=tf.concat([sketch, sketch], 0), temperature=tf.constant([0.38, 3.0]))["color"].numpy()
    np.testing.assert_allclose(both[0], default[0], atol=1e-4)
    np.testing.assert_allclose(both[1], hot[0], atol=1e-4)


def test_saved_model_cli_lists_the_signatures(export_dir):
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    if not os.path.exists(cli):
        pytest.skip("saved_model_cli is not installed next to this Python")
    result = subprocess.run(
        [cli, "show", "--dir", export_dir, "--all"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    text = result.stdout
    for name in saved_model.SIGNATURES:
        assert f"signature_def['{name}']" in text
    assert text.count("signature_def[") == len(saved_model.SIGNATURES) + 1  # + TensorFlow's __saved_model_init_op
    assert "DT_STRING" in text and "DT_UINT8" in text and "(-1, -1, -1, 1)" in text


def test_export_is_atomic_and_records_its_config(run_dir, export_dir, tmp_path):
    meta = runs.read_export_metadata(export_dir)
    assert meta["config"]["variant"] == "rebalance" and meta["temperature"] == pytest.approx(0.38)
    assert meta["signatures"] == list(saved_model.SIGNATURES) and "guided" in meta["signatures"]
    assert meta["hints"] is True  # the tiny run was trained with hints
    target = tmp_path / "model"
    target.mkdir()
    (target / "stale.txt").write_text("old export")
    assert export.main([run_dir, str(target), "--temperature", "0.5"]) == 0
    assert not (target / "stale.txt").exists() and runs.is_export(str(target))
    assert sorted(os.listdir(tmp_path)) == ["model"]  # no .tmp- or .old- folder left
    assert runs.read_export_metadata(str(target))["temperature"] == pytest.approx(0.5)


@pytest.mark.slow
@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_export_follows_the_umask(run_dir, tmp_path, umask):
    # tempfile.mkdtemp makes 0700 folders; a model server running as another
    # user must be able to read the export, as any folder made under the umask.
    old = os.umask(umask)
    try:
        target = saved_model.export(run_dir, str(tmp_path / "model"))
    finally:
        os.umask(old)
    modes = {}
    for root, dirs, files in os.walk(target):
        for name in dirs + files:
            path = os.path.join(root, name)
            modes[os.path.relpath(path, target)] = (os.path.isdir(path), os.stat(path).st_mode & 0o777)
    modes["."] = (True, os.stat(target).st_mode & 0o777)
    assert "saved_model.pb" in modes and "variables" in modes
    for path, (is_dir, mode) in modes.items():
        assert mode == (0o777 if is_dir else 0o666) & ~umask, (path, oct(mode))


def test_cli_errors_are_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(weights, "SHIPPED", str(tmp_path / "not-installed"))
    for argv, message in [
        ([str(tmp_path / "out")], "no model given and the shipped model is missing"),
        ([str(tmp_path / "missing"), str(tmp_path / "out")], "no such run directory"),
        ([str(tmp_path), str(tmp_path / "out")], "not a run directory"),
        (["run", "out", "--temperature", "0"], "--temperature must be positive"),
    ]:
        with pytest.raises(SystemExit) as exit_info:
            export.main(argv)
        assert exit_info.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err[-1].startswith("error: ") and message in err[-1]


def _encode(array, mode=None, fmt="PNG"):
    buffer = io.BytesIO()
    image = Image.fromarray(array, mode) if mode else Image.fromarray(array)
    image.save(buffer, fmt)
    return buffer.getvalue()


def test_odd_but_valid_images_are_colored_like_predict_does(run_dir, loaded, tmp_path):
    gray = drawing(40, 60, seed=7)
    rgba = np.zeros((40, 60, 4), np.uint8)  # a black box on a transparent page
    rgba[10:30, 10:50, 3] = 255
    cases = {
        "gray16.png": _encode(gray.astype(np.uint16) * 257),
        "gray_alpha.png": _encode(np.dstack([gray, np.full_like(gray, 255)]), "LA"),
        "transparent.png": _encode(rgba, "RGBA"),
        "one_pixel.png": _encode(np.zeros((1, 1), np.uint8)),
    }
    # (An all-white page: predict returns it as it was, without the network, where the
    # SavedModel colors it; the README says where the two differ. Here it is colored.)
    blank = _encode(np.full((300, 200), 255, np.uint8))
    served_blank = loaded.signatures["serving_default"](images=tf.constant([blank]))
    assert tuple(served_blank["size"].numpy()[0]) == (300, 200)
    buffer = io.BytesIO()
    Image.fromarray(gray).convert("CMYK").save(buffer, "JPEG", quality=95)
    cases["cmyk.jpg"] = buffer.getvalue()
    buffer = io.BytesIO()
    Image.fromarray(np.dstack([gray] * 3)).convert("P").save(buffer, "PNG")
    cases["palette.png"] = buffer.getvalue()
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90 degrees clockwise
    Image.fromarray(gray).save(buffer, "JPEG", quality=95, exif=exif.tobytes())
    cases["rotated.jpg"] = buffer.getvalue()
    model = coloring.Model(run_dir, flip_average=False)
    serve = loaded.signatures["serving_default"]
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        out = serve(images=tf.constant([data]))
        h, w = out["size"].numpy()[0]
        served = out["rgb"].numpy()[0, :h, :w]
        expected = coloring.colorize_array(coloring.load_rgb(str(tmp_path / name)), model, upsample="bilinear")["rgb"]
        # The same decoded pixels (decode's tests), the same graph run by two executors: their float
        # round-off can move a color across a rounding boundary, by one level (seen on one pixel of
        # the CMYK JPEG with one CPU's kernels, none with another's).
        np.testing.assert_allclose(served.astype(int), expected.astype(int), rtol=0, atol=1, err_msg=name)
    # The transparent page is white paper (colored), not black.
    out = serve(images=tf.constant([cases["transparent.png"]]))["rgb"].numpy()[0]
    assert out[:5].min() > 100 and out[15:25, 15:45].max() == 0


def _case_drawing(size):
    """A line drawing (horizon, sun, tree, house, face), dark on white."""
    s = size / 1024
    img = np.full((size, size), 255, np.uint8)

    def p(x, y):
        return int(x * s), int(y * s)

    aa = cv2.LINE_AA
    cv2.line(img, p(0, 700), p(1023, 700), 0, 3, aa)
    cv2.circle(img, p(860, 160), int(80 * s), 0, 3, aa)
    cv2.rectangle(img, p(400, 560), p(440, 700), 0, 3, aa)
    cv2.circle(img, p(420, 480), int(90 * s), 0, 3, aa)
    cv2.ellipse(img, p(680, 470), (int(130 * s), int(160 * s)), 0, 0, 360, 0, 3, aa)
    return img


def test_served_scans_and_white_on_black_are_normalized_as_predict_does(run_dir, loaded, tmp_path):
    # Scans served unnormalized would go wrong: the SavedModel normalizes in
    # the graph (the core's `prepare`), so its output is predict's: the same
    # functions, run as a graph here and eagerly by predict's first images
    # (`coloring.EAGER_IMAGES`), whose float rounding may move a pixel by one
    # level.
    g = _case_drawing(384).astype(np.float32)[..., np.newaxis] / 255.0
    paper, pencil = np.array([198, 226, 236], np.float32), np.array([95, 100, 105], np.float32)  # BGR
    scan = paper * g + pencil * (1 - g) + np.random.default_rng(0).normal(0, 5, g.shape[:2] + (3,))
    cv2.imwrite(str(tmp_path / "scan.jpg"), np.clip(scan, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 88])
    cv2.imwrite(str(tmp_path / "white_on_black.png"), 255 - _case_drawing(384))
    model = coloring.Model(run_dir, flip_average=False)
    serve = loaded.signatures["serving_default"]
    ink = _case_drawing(384) < 64
    for name in ("scan.jpg", "white_on_black.png"):
        data = tf.constant([(tmp_path / name).read_bytes()])
        served = serve(images=data)["rgb"].numpy()[0]
        ours = coloring.colorize_array(coloring.load_rgb(str(tmp_path / name)), model, upsample="bilinear")["rgb"]
        differ = np.abs(served.astype(int) - ours)
        assert differ.max() <= 1 and np.mean(differ > 0) < 1e-4, (name, differ.max(), np.mean(differ > 0))
        # The lines multiplied back are dark lines on white paper, not a
        # murky scan or a black page (the tiny model's own colors are gray).
        lines = loaded.prepare(loaded.decode_images(data)["rgb"])["lines"].numpy()[0, ..., 0]
        assert np.median(lines) == 255 and np.median(lines[ink]) < 64, name
        assert np.median(served.max(axis=2)[ink]) < 64 and np.median(served.max(axis=2)) > 100, name
