"""SavedModel export: runs without the project, matches the in-process
computation, holds up against bad input."""

import io
import json
import os
import subprocess
import sys
import textwrap

import cv2
import numpy as np
import pytest
import tensorflow as tf

from bad_inputs import drawing

from colorize import export, models, predict, train

NO_T = tf.constant([], tf.float32)  # "use the model's temperature"


@pytest.fixture(scope="module")
def loaded(export_dir):
    return tf.saved_model.load(export_dir)


def test_export_runs_without_the_project_and_matches_in_process(run_dir, export_dir, tmp_path):
    png_img, jpg_img = drawing(96, 136, seed=1), drawing(150, 100, seed=2)
    png_path, jpg_path = tmp_path / "a.png", tmp_path / "b.jpg"
    cv2.imwrite(str(png_path), png_img)
    cv2.imwrite(str(jpg_path), jpg_img, [cv2.IMWRITE_JPEG_QUALITY, 90])
    script = textwrap.dedent(
        f"""
        import os, sys
        # As on a machine without the project: drop every path that holds it
        # (an editable install puts the checkout on sys.path).
        sys.path = [p for p in sys.path if not os.path.isfile(os.path.join(p or ".", "colorize", "__init__.py"))]
        import numpy as np, tensorflow as tf
        try:
            import colorize
        except ImportError:
            pass
        else:
            raise SystemExit("colorize is importable here")
        model = tf.saved_model.load({export_dir!r})
        images = [open(p, "rb").read() for p in ({str(png_path)!r}, {str(jpg_path)!r})]
        out = model.signatures["serving_default"](images=tf.constant(images), temperature=tf.constant([], tf.float32))
        np.savez("out.npz", rgb=out["rgb"].numpy(), size=out["size"].numpy())
        for i, png in enumerate(out["png"].numpy()):
            open(f"out{{i}}.png", "wb").write(png)
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    work = tmp_path / "elsewhere"
    work.mkdir()
    result = subprocess.run([sys.executable, "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    out = np.load(work / "out.npz")
    np.testing.assert_array_equal(out["size"], [[96, 136], [150, 100]])
    assert out["rgb"].shape == (2, 150, 136, 3) and out["rgb"].dtype == np.uint8

    # In-process: colorize's own path (OpenCV decoding, the run's Keras net,
    # numpy upsampling) with the SavedModel's choices.
    model = predict.Model(run_dir)
    for i, path in enumerate((png_path, jpg_path)):
        expected = predict.colorize_file(str(path), model, normalize="off", upsample="bilinear")
        h, w = out["size"][i]
        served = out["rgb"][i, :h, :w]
        assert served.shape == expected.shape
        assert np.abs(served.astype(int) - expected.astype(int)).max() <= 1
        np.testing.assert_array_equal(tf.io.decode_png((work / f"out{i}.png").read_bytes()).numpy(), served)
        assert not out["rgb"][i, h:].any() and not out["rgb"][i, :, w:].any()  # zero padding


def test_graph_equals_the_keras_colorizer_at_the_trained_size(run_dir):
    # At the trained size the export does exactly what `build_colorizer`
    # does (the paper's x4 bilinear upsampling and masking).
    config, net, colorizer = train.load_run(run_dir)
    module = export.SketchColorizer(net, config.space, config.image_size, config.temperature)
    size = config.image_size
    sketch = drawing(size, size, seed=3)[np.newaxis, :, :, np.newaxis]
    ours = module.colorize_sketch(tf.constant(sketch), NO_T)["rgb"].numpy()
    theirs = np.round(colorizer(sketch.astype(np.float32)).numpy())
    assert np.abs(ours.astype(int) - theirs.astype(int)).max() <= 1


def test_regression_net_exports_the_same_way():
    net = models.build_net("regression", width=0.0625)
    colorizer = models.build_colorizer(net, "rgb")
    module = export.SketchColorizer(net, "rgb", 64, 0.38)
    sketch = drawing(64, 64, seed=4)[np.newaxis, :, :, np.newaxis]
    ours = module.colorize_sketch(tf.constant(sketch), NO_T)["rgb"].numpy()
    theirs = np.round(colorizer(sketch.astype(np.float32)).numpy())
    assert np.abs(ours.astype(int) - theirs.astype(int)).max() <= 1


def test_640x480_keeps_size_and_dark_lines(loaded):
    sketch = drawing(480, 640, seed=5)
    rgb = loaded.signatures["sketch"](sketch=tf.constant(sketch[np.newaxis, :, :, np.newaxis]), temperature=NO_T)["rgb"]
    rgb = rgb.numpy()[0]
    assert rgb.shape == (480, 640, 3)
    # The lines are multiplied in: no pixel is lighter than its sketch pixel,
    # and black line pixels stay black.
    assert np.all(rgb <= sketch[..., np.newaxis])
    assert np.all(rgb[sketch < 20] < 20)
    # ... and the bytes signature agrees (non-square PNG, aspect kept).
    png = cv2.imencode(".png", sketch)[1].tobytes()
    served = loaded.signatures["serving_default"](images=tf.constant([png]), temperature=NO_T)
    np.testing.assert_array_equal(served["rgb"].numpy()[0], rgb)


def test_garbage_is_an_invalid_argument_and_the_model_keeps_working(loaded):
    serve = loaded.signatures["serving_default"]
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
            serve(images=tf.constant([png, data]), temperature=NO_T)
        out = serve(images=tf.constant([png]), temperature=NO_T)
        assert out["rgb"].shape == (1, 40, 50, 3)
    for bad in ([0.0], [-1.0], [float("nan")], [0.3, 0.3, 0.3]):
        with pytest.raises(tf.errors.InvalidArgumentError, match="temperature"):
            serve(images=tf.constant([png, png]), temperature=tf.constant(bad, tf.float32))
    empty = serve(images=tf.constant([], tf.string), temperature=NO_T)
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
    for name in ("serving_default", "sketch", "color"):
        assert f"signature_def['{name}']" in text
    assert "DT_STRING" in text and "DT_UINT8" in text and "(-1, -1, -1, 1)" in text


def test_export_is_atomic_and_records_its_config(run_dir, export_dir, tmp_path):
    with open(os.path.join(export_dir, export.METADATA)) as f:
        meta = json.load(f)
    assert meta["config"]["variant"] == "rebalance" and meta["temperature"] == pytest.approx(0.38)
    target = tmp_path / "model"
    target.mkdir()
    (target / "stale.txt").write_text("old export")
    assert export.main([run_dir, str(target), "--temperature", "0.5"]) == 0
    assert not (target / "stale.txt").exists() and export.is_export_dir(str(target))
    assert sorted(os.listdir(tmp_path)) == ["model"]  # no .tmp- or .old- folder left
    with open(target / export.METADATA) as f:
        assert json.load(f)["temperature"] == pytest.approx(0.5)


def test_cli_errors_are_one_line(tmp_path, capsys):
    for argv, message in [
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
    from PIL import Image

    buffer = io.BytesIO()
    image = Image.fromarray(array, mode) if mode else Image.fromarray(array)
    image.save(buffer, fmt)
    return buffer.getvalue()


def test_odd_but_valid_images_are_colored_like_predict_does(run_dir, loaded, tmp_path):
    from PIL import Image

    gray = drawing(40, 60, seed=7)
    rgba = np.zeros((40, 60, 4), np.uint8)  # a black box on a transparent page
    rgba[10:30, 10:50, 3] = 255
    cases = {
        "gray16.png": _encode(gray.astype(np.uint16) * 257),
        "gray_alpha.png": _encode(np.dstack([gray, np.full_like(gray, 255)]), "LA"),
        "transparent.png": _encode(rgba, "RGBA"),
        "one_pixel.png": _encode(np.zeros((1, 1), np.uint8)),
        "all_white.png": _encode(np.full((300, 200), 255, np.uint8)),
    }
    buffer = io.BytesIO()
    Image.fromarray(gray).convert("CMYK").save(buffer, "JPEG", quality=95)
    cases["cmyk.jpg"] = buffer.getvalue()
    buffer = io.BytesIO()
    Image.fromarray(np.dstack([gray] * 3)).convert("P").save(buffer, "PNG")
    cases["palette.png"] = buffer.getvalue()
    model = predict.Model(run_dir)
    serve = loaded.signatures["serving_default"]
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        out = serve(images=tf.constant([data]), temperature=NO_T)
        h, w = out["size"].numpy()[0]
        served = out["rgb"].numpy()[0, :h, :w]
        expected = predict.colorize_file(str(tmp_path / name), model, normalize="off", upsample="bilinear")
        assert served.shape == expected.shape, name
        assert np.abs(served.astype(int) - expected.astype(int)).max() <= 2, name
    # The transparent page is white paper (colored), not black.
    out = serve(images=tf.constant([cases["transparent.png"]]), temperature=NO_T)["rgb"].numpy()[0]
    assert out[:5].min() > 100 and out[15:25, 15:45].max() == 0
