"""The web demo without a browser: its named API through gradio_client gives
`coloring.colorize_array`'s result for the same hints, bad uploads get a
readable error and the server goes on; and the page's helpers."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile

import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from colorize import demo
from colorize.app import page
from colorize.errors import ColorizeError
from colorize.inference import coloring, hint_layers

import helpers
from bad_inputs import bomb_png

HINT = (40, 180, 60)


@pytest.fixture(scope="module")
def server(run_dir):
    """The demo on a free port, with the tiny run as its model (as `--model`)."""
    choices = page.find_models(run_dir)
    blocks, demo_ = page.serve(choices, port=helpers.free_port(), block=False)
    yield blocks.local_url, run_dir, demo_
    blocks.close()


@pytest.fixture(scope="module")
def client(server):
    return Client(server[0], verbose=False)


def test_api_gives_predicts_result(server, client, tmp_path):
    _, run_dir, _ = server
    sketch = helpers.two_shapes()
    Image.fromarray(sketch).save(tmp_path / "shapes.png")
    # The hint layer at half the sketch's size, as the editor's copy can be: a dab inside the rectangle.
    layer = np.zeros((48, 64, 4), np.uint8)
    layer[20:24, 14:18] = (*HINT, 255)
    Image.fromarray(layer).save(tmp_path / "hints.png")

    result, png, ora = client.predict(
        handle_file(str(tmp_path / "shapes.png")),
        handle_file(str(tmp_path / "hints.png")),
        False,
        0.5,
        "auto",
        run_dir,
        api_name="/colorize",
    )
    hint_rgb, hint_mask = hint_layers.load_hint_layer(str(tmp_path / "hints.png"), 96, 128)
    assert hint_mask.sum() == 4 * 16  # each layer pixel is 2 x 2 sketch pixels
    expected = coloring.colorize_array(sketch, coloring.Model(run_dir, temperature=0.5), hint_rgb, hint_mask)

    got = np.asarray(Image.open(result).convert("RGB"))
    assert got.shape == sketch.shape
    np.testing.assert_array_equal(got, expected["rgb"])
    np.testing.assert_array_equal(np.asarray(Image.open(png).convert("RGB")), expected["rgb"])
    # The hinted shape has the hint's color away from its lines; the other shape does not.
    assert (got[20:76, 16:50] == HINT).all()
    assert not (got[40:56, 86:102] == HINT).all(axis=-1).any()

    assert ora.endswith(".ora") and zipfile.is_zipfile(ora)
    layers = helpers.read_ora(ora)
    np.testing.assert_array_equal(layers["color"][..., :3], expected["color"])
    np.testing.assert_array_equal(layers["lines"][..., 3], 255 - expected["lines"])
    assert np.abs(layers["mergedimage"][..., :3].astype(int) - expected["rgb"]).max() <= 1


def test_api_without_hints_and_normalization_off(server, client, tmp_path):
    _, run_dir, _ = server
    sketch = helpers.two_shapes(80, 60)
    Image.fromarray(sketch).save(tmp_path / "s.png")
    result, _, _ = client.predict(
        handle_file(str(tmp_path / "s.png")), None, False, 0.3, "off", run_dir, api_name="/colorize"
    )
    expected = coloring.colorize_array(sketch, coloring.Model(run_dir, temperature=0.3), normalize="off")
    np.testing.assert_array_equal(np.asarray(Image.open(result).convert("RGB")), expected["rgb"])


def test_api_with_a_palette_and_a_reference(server, client, tmp_path):
    _, run_dir, _ = server
    sketch = helpers.two_shapes(80, 60)
    Image.fromarray(sketch).save(tmp_path / "s.png")
    picture = np.full((64, 64, 3), 255, np.uint8)
    picture[8:40, 8:40] = (32, 80, 192)
    Image.fromarray(picture).save(tmp_path / "reference.png")
    args = (handle_file(str(tmp_path / "s.png")), None, False, 0.4, "auto", run_dir)
    result, _, _ = client.predict(
        *args, "#e03020, #f0c000", handle_file(str(tmp_path / "reference.png")), api_name="/colorize"
    )
    model = coloring.Model(run_dir, temperature=0.4)
    palette = model.palette(np.array([[224, 48, 32], [240, 192, 0]], np.uint8), picture)
    assert np.count_nonzero(palette.weights) >= 3 and len(palette.colors) == 3
    expected = coloring.colorize_array(sketch, model, palette=palette)
    np.testing.assert_array_equal(np.asarray(Image.open(result).convert("RGB")), expected["rgb"])
    with pytest.raises(AppError, match="palette: palette color .*red.* is not #RRGGBB"):
        client.predict(*args, "red", None, api_name="/colorize")


def test_the_page_names_the_colors_a_reference_gave(server, tmp_path):
    _, run_dir, demo_ = server
    sketch = helpers.two_shapes(80, 60)
    Image.fromarray(sketch).save(tmp_path / "s.png")
    picture = np.full((64, 64, 3), 255, np.uint8)
    picture[8:40, 8:40] = (32, 80, 192)
    picture[40:60, 8:60] = (200, 40, 120)
    Image.fromarray(picture).save(tmp_path / "reference.png")
    args = (str(tmp_path / "s.png"), None, False, 0.4, "auto", run_dir)
    _, _, notes = demo_.colorize(*args, reference_path=str(tmp_path / "reference.png"))
    # The note under the result: the reference's main colors, which the output uses and the page shows nowhere else.
    colors = coloring.Model(run_dir, temperature=0.4).palette(None, picture).colors
    assert {tuple(c) for c in colors} == {(32, 80, 192), (200, 40, 120)}
    assert notes[0] == "palette: the main colors of the picture: " + ", ".join(
        "#{:02x}{:02x}{:02x}".format(*c) for c in colors
    )
    _, _, notes = demo_.colorize(*args, palette="#E03020", reference_path=str(tmp_path / "reference.png"))
    assert notes[0].startswith("palette: the main colors of the picture and the named ones: ")
    assert "#e03020" in notes[0]
    _, _, notes = demo_.colorize(*args, palette="#e03020,#2050c0")
    assert notes[0] == "palette: #e03020, #2050c0"
    _, _, notes = demo_.colorize(*args)
    assert not any(n.startswith("palette") for n in notes)


def test_add_color_appends_a_picked_color_once():
    assert page.add_color("", "#E03020") == "#e03020"
    assert page.add_color("#e03020", "#e03020") == "#e03020"
    assert page.add_color("#e03020, #2050c0", "#f0c000") == "#e03020, #2050c0, #f0c000"
    assert page.add_color("#e03020", None) == "#e03020"


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("notes.png", b"hello, this is text", "notes.png: not an image (unrecognized format)"),
        ("empty.png", b"", "empty.png: empty file (0 bytes)"),
        ("bomb.png", bomb_png(), "bomb.png: too large"),
    ],
    ids=["text", "empty", "bomb"],
)
def test_bad_upload_is_reported_and_the_server_goes_on(server, client, tmp_path, name, data, message):
    _, run_dir, _ = server
    (tmp_path / name).write_bytes(data)
    with pytest.raises(AppError, match=re.escape(message)):
        client.predict(handle_file(str(tmp_path / name)), None, False, 0.5, "auto", run_dir, api_name="/colorize")
    Image.fromarray(helpers.two_shapes(40, 40)).save(tmp_path / "good.png")
    result, _, _ = client.predict(
        handle_file(str(tmp_path / "good.png")), None, False, 0.5, "auto", run_dir, api_name="/colorize"
    )
    assert Image.open(result).size == (40, 40)


def test_bad_controls_are_reported(server, client, tmp_path):
    _, run_dir, _ = server
    Image.fromarray(helpers.two_shapes(40, 40)).save(tmp_path / "good.png")
    good = handle_file(str(tmp_path / "good.png"))
    with pytest.raises(AppError, match="elsewhere is not in the list of choices"):
        client.predict(good, None, False, 0.5, "auto", "elsewhere", api_name="/colorize")
    with pytest.raises(AppError, match="less than minimum value"):
        client.predict(good, None, False, 0.0, "auto", run_dir, api_name="/colorize")
    layer = np.zeros((10, 40, 4), np.uint8)
    layer[..., 3] = 255
    Image.fromarray(layer).save(tmp_path / "wide.png")
    with pytest.raises(AppError, match="wrong aspect ratio"):
        client.predict(good, handle_file(str(tmp_path / "wide.png")), False, 0.5, "auto", run_dir, api_name="/colorize")


def test_concurrent_requests_are_queued(server, tmp_path, monkeypatch):
    # Each request holds the server for a while; submitted together, the
    # three must run one after another (each starts after the one before
    # has finished), not side by side.
    url, run_dir, demo_ = server
    intervals = []
    colorize = demo_.colorize

    def slow(*args, **kwargs):
        start = time.monotonic()
        time.sleep(0.5)
        out = colorize(*args, **kwargs)
        intervals.append((start, time.monotonic()))
        return out

    monkeypatch.setattr(demo_, "colorize", slow)
    Image.fromarray(helpers.two_shapes(64, 64)).save(tmp_path / "s.png")
    clients = [Client(url, verbose=False) for _ in range(3)]
    jobs = [
        c.submit(handle_file(str(tmp_path / "s.png")), None, False, 0.5, "auto", run_dir, api_name="/colorize")
        for c in clients
    ]
    submitted = time.monotonic()
    results = [np.asarray(Image.open(job.result(timeout=120)[0]).convert("RGB")) for job in jobs]
    assert len(intervals) == 3
    intervals.sort()
    assert submitted < intervals[0][1]  # all three were waiting before the first one was done
    for (_, end), (start, _) in zip(intervals, intervals[1:]):
        assert start >= end, intervals  # one at a time
    for result in results[1:]:
        np.testing.assert_array_equal(result, results[0])


# -- helpers (no server) -------------------------------------------------------


def test_hints_from_layer_enlarges_by_nearest_neighbour():
    layer = np.zeros((3, 4, 4), np.uint8)
    layer[1, 2] = (10, 20, 30, 255)
    layer[0, 0] = (99, 99, 99, 127)  # under the alpha threshold: not a hint
    hint_rgb, hint_mask = page.hints_from_layer(layer, (6, 8))
    expected = np.zeros((6, 8), bool)
    expected[2:4, 4:6] = True
    np.testing.assert_array_equal(hint_mask, expected)
    assert (hint_rgb[expected] == (10, 20, 30)).all() and (hint_rgb[~expected] == 0).all()
    assert page.hints_from_layer(np.zeros((3, 4, 4), np.uint8), (6, 8)) == (None, None)
    assert page.hints_from_layer(None, (6, 8)) == (None, None)
    with pytest.raises(ColorizeError, match="wrong aspect ratio"):
        page.hints_from_layer(np.full((3, 3, 4), 255, np.uint8), (6, 8))


def test_editor_layer_puts_later_layers_on_top():
    low = np.zeros((2, 2, 4), np.uint8)
    low[0, 0] = (1, 2, 3, 255)
    low[1, 1] = (4, 5, 6, 255)
    high = np.zeros((2, 2, 4), np.uint8)
    high[1, 1] = (7, 8, 9, 200)
    merged = page.editor_layer({"background": None, "layers": [low, high], "composite": None})
    np.testing.assert_array_equal(merged[0, 0], (1, 2, 3, 255))
    np.testing.assert_array_equal(merged[1, 1], (7, 8, 9, 200))
    assert page.editor_layer({"background": None, "layers": [], "composite": None}) is None


def test_preview_fits_the_long_side():
    assert page.preview(np.zeros((1500, 3000, 3), np.uint8)).shape == (512, 1024, 3)
    small = np.zeros((300, 200, 3), np.uint8)
    assert page.preview(small) is small


def test_find_models(tmp_path, monkeypatch):
    monkeypatch.setattr(page.weights, "SHIPPED", str(tmp_path / "no-shipped-model"))
    (tmp_path / "exports" / "a").mkdir(parents=True)
    (tmp_path / "exports" / "a" / "saved_model.pb").write_bytes(b"")
    (tmp_path / "runs" / "trained").mkdir(parents=True)
    (tmp_path / "runs" / "trained" / "config.json").write_text("{}")
    (tmp_path / "runs" / "trained" / "model.keras").write_bytes(b"")
    (tmp_path / "runs" / "unfinished").mkdir()
    (tmp_path / "runs" / "unfinished" / "config.json").write_text("{}")
    found = page.find_models(models_dir=str(tmp_path))
    assert found == {"exports/a": str(tmp_path / "exports" / "a"), "runs/trained": str(tmp_path / "runs" / "trained")}
    given = str(tmp_path / "runs" / "trained")
    assert list(page.find_models(given, str(tmp_path))) == [given, "exports/a"]  # given first, once
    with pytest.raises(ColorizeError, match="no model"):
        page.find_models()
    with pytest.raises(ColorizeError, match="no such model directory"):
        page.find_models(str(tmp_path / "missing"))
    with pytest.raises(ColorizeError, match="no such folder"):
        page.find_models(models_dir=str(tmp_path / "missing"))


def test_command_line_errors(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        demo.main(["--model", str(tmp_path / "missing")])
    assert e.value.code == 2
    assert capsys.readouterr().err.strip().endswith("missing: no such model directory")
    with pytest.raises(SystemExit) as e:
        demo.main(["--port", "70000"])
    assert e.value.code == 2
    with socket.create_server(("127.0.0.1", 0)) as taken:  # another server on the port: one line, at once
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit) as e:
            demo.main(["--port", str(port)])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    reason = "(Address already in use); give another --port or --host"
    assert err == f"error: --port {port}: cannot listen on 127.0.0.1:{port} {reason}"


def test_the_shipped_model_is_named_by_its_folder():
    assert page.find_models() == {"shipped (line_art)": page.weights.SHIPPED}


def test_the_pages_own_result_folder_is_removed_at_exit():
    # Without an out_dir the page writes results to a temporary folder of its own; it must not
    # outlive the process (every launch used to leave a colorize-demo-* folder behind).
    code = "from colorize.app import page; d = page.Demo({}); print(d.out_dir, flush=True)"
    done = subprocess.run([sys.executable, "-c", code], env=helpers.env(), capture_output=True, text=True, check=True)
    folder = done.stdout.strip().splitlines()[-1]
    assert os.path.basename(folder).startswith("colorize-demo-") and not os.path.exists(folder)


def test_each_server_keeps_its_uploads_in_a_folder_of_its_own():
    # Gradio deletes what a server cached when it stops, by path, and names cached files by their
    # content: two pages sharing the default /tmp/gradio could delete each other's files.
    code = (
        "import os; os.environ.pop('GRADIO_TEMP_DIR', None)\n"
        "from colorize import demo; folder = demo.own_upload_folder()\n"
        "import gradio; from gradio import route_utils\n"
        "print(folder, os.path.isdir(folder), gradio.utils.get_upload_folder(), route_utils.DEFAULT_TEMP_DIR)"
    )
    runs = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", code], env=helpers.env(), capture_output=True, text=True, check=True
        )
        folder, made, used, at_import = done.stdout.strip().splitlines()[-1].split()
        assert os.path.basename(folder).startswith("colorize-demo-gradio-") and made == "True"
        assert used == at_import == folder
        assert not os.path.exists(folder)  # removed at exit
        runs.append(folder)
    assert runs[0] != runs[1]


def test_a_given_gradio_temp_dir_is_kept(monkeypatch, tmp_path):
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    assert demo.own_upload_folder() is None
    assert os.environ["GRADIO_TEMP_DIR"] == str(tmp_path)


@pytest.mark.slow
def test_sigterm_stops_the_page_and_its_folders_go(tmp_path):
    # `kill`, `docker stop` and systemd send SIGTERM: the page must stop as Ctrl-C stops it,
    # with its upload and result folders removed (Python's default would leave them).
    port = helpers.free_port()
    env = helpers.env(TMPDIR=str(tmp_path))
    env.pop("GRADIO_TEMP_DIR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "colorize.demo", "--port", str(port)],
        env=env,
        cwd=helpers.REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "the page did not start in 300 s"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(1)
        made = sorted(p.name for p in tmp_path.iterdir())
        assert any(n.startswith("colorize-demo-gradio-") for n in made), made
        assert any(n.startswith("colorize-demo-") and "gradio" not in n for n in made), made
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=60)[0]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert list(tmp_path.iterdir()) == [], output
    # 0 once Gradio waits for the end; 130 ("interrupted") when the signal comes while launch()
    # is still finishing after the page first answers (seen under load). Either way it stopped.
    assert process.returncode in (0, 130), output
