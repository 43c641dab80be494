"""predict: the core it calls, and the command line (files, folders, bad
inputs, exit status). Sketch normalization itself is tested with
`sketch_normalization`."""

import os
import signal
import threading

import cv2
import numpy as np
import pytest
import tensorflow as tf

from colorize import evaluate, export, predict, weights
from colorize.data import images, sketch, synthetic
from colorize.errors import ColorizeError
from colorize.inference import coloring, jobs
from colorize.serving import colorizer, saved_model

import helpers
from bad_inputs import bomb_png

# --------------------------------------------------------------------- CLI --


def test_folder_with_good_and_bad_files(run_dir, tmp_path, capsys):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    cv2.imwrite(str(src / "a.png"), helpers.box_and_circle(120, 160))
    cv2.imwrite(str(src / "sub" / "b.jpg"), helpers.box_and_circle(90, 70))
    cv2.imwrite(str(src / "sub" / "b.png"), helpers.box_and_circle(64, 64))  # same stem as b.jpg
    (src / "empty.png").write_bytes(b"")
    (src / "text.png").write_text("not an image at all")
    good = (src / "a.png").read_bytes()
    (src / "truncated.png").write_bytes(good[: len(good) // 2])
    (src / "bomb.png").write_bytes(bomb_png(7000, 7000))
    out = tmp_path / "out"
    status = predict.main([str(src), str(tmp_path / "missing.png"), "-o", str(out), "--model", run_dir])
    assert status == 1
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("error: ")]
    expected = {
        "empty.png": "empty file",
        "text.png": "not an image",
        "truncated.png": "truncated",
        "bomb.png": "too large: 7000x7000",
        "missing.png": "no such file",
    }
    assert len(errors) == len(expected)
    for name, reason in expected.items():
        assert any(name in line and reason in line for line in errors), (name, errors)
    written = sorted(os.path.relpath(os.path.join(d, f), out) for d, _, files in os.walk(out) for f in files)
    assert written == ["a.png", "sub/b-jpg.png", "sub/b.png"]  # no temporary files left
    assert cv2.imread(str(out / "a.png")).shape == (120, 160, 3)
    assert cv2.imread(str(out / "sub" / "b.png")).shape == (64, 64, 3)  # b.png's, not b.jpg's (sorted first)
    assert cv2.imread(str(out / "sub" / "b-jpg.png")).shape == (90, 70, 3)
    assert "images/s" in captured.out and "colored 3 of 8 inputs" in captured.out
    # Every input gets its progress line, failed or not; the missing file
    # was reported first, before the model loaded.
    assert errors[0] == f"error: {tmp_path / 'missing.png'}: no such file"
    progress = [line for line in captured.out.splitlines() if line.startswith("[")]
    assert [line.split("]")[0] for line in progress] == [f"[{i}/8" for i in range(1, 9)]
    assert progress[0] == f"[1/8] {tmp_path / 'missing.png'}: failed"
    assert captured.out.index(progress[0]) < captured.out.index("model:")
    assert sum(line.endswith(": failed") for line in progress) == 5


def test_all_good_exits_0_and_keeps_dark_lines(run_dir, tmp_path):
    gray = helpers.box_and_circle(100, 150)
    cv2.imwrite(str(tmp_path / "s.png"), gray)
    for method in ("regions", "bilinear"):
        out = tmp_path / method
        assert predict.main([str(tmp_path / "s.png"), "-o", str(out), "--model", run_dir, "--upsample", method]) == 0
        rgb = cv2.imread(str(out / "s.png"))
        assert rgb.shape == (100, 150, 3)
        assert np.all(rgb[gray == 0] == 0)  # black lines stay black


def test_from_color_colors_the_extracted_sketch(run_dir, tmp_path, capsys):
    cv2.imwrite(str(tmp_path / "art.png"), synthetic.generate(3, 200, 300))
    out = tmp_path / "out"
    argv = [str(tmp_path / "art.png"), "-o", str(out), "--model", run_dir, "--from-color", "--temperature", "0.5"]
    assert predict.main(argv) == 0
    assert "colored picture" not in capsys.readouterr().out  # asked for: no note
    rgb = cv2.imread(str(out / "art.png"))
    lines, _ = sketch.extract_sketch(synthetic.generate(3, 200, 300))
    assert rgb.shape == (200, 300, 3)
    assert np.all(rgb.max(axis=2) <= lines)  # the full-size extracted lines are multiplied in
    # A thick black outline comes back solid black (the extraction alone gives its two edges).
    art = np.full((200, 300, 3), 255, np.uint8)
    cv2.circle(art, (150, 100), 70, (40, 160, 230), -1)
    cv2.circle(art, (150, 100), 70, (0, 0, 0), 13)
    cv2.imwrite(str(tmp_path / "outlined.png"), art)
    assert predict.main([str(tmp_path / "outlined.png"), "-o", str(out), "--model", run_dir, "--from-color"]) == 0
    rgb = cv2.imread(str(out / "outlined.png"))
    angles = np.linspace(0, 2 * np.pi, 36, endpoint=False)
    rows, cols = np.rint(100 + 70 * np.sin(angles)).astype(int), np.rint(150 + 70 * np.cos(angles)).astype(int)
    assert sketch.extract_sketch(art)[0][rows, cols].min() > 128 and rgb[rows, cols].max() == 0


def test_a_colored_picture_given_as_a_sketch_gets_a_note(run_dir, tmp_path, capsys):
    # Its fills are taken for ink (a dark blob comes back): the note names the file and the way out.
    art = tmp_path / "art.png"
    cv2.imwrite(str(art), synthetic.generate(3, 200, 300))
    assert predict.main([str(art), "-o", str(tmp_path / "out"), "--model", run_dir]) == 0
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1 and notes[0].startswith(f"note: {art}: this looks like a colored picture")
    assert "--from-color" in notes[0]


def test_usage_errors_exit_2(run_dir, tmp_path, capsys, monkeypatch):
    cv2.imwrite(str(tmp_path / "s.png"), helpers.box_and_circle(40, 40))
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(weights, "SHIPPED", str(tmp_path / "not-installed"))  # a package without its weights
    cases = [
        (["s.png", "-o", "out"], "no model given and the shipped model is missing"),
        (["s.png", "-o", "out", "--model", "nowhere"], "no such model directory"),
        (["s.png", "-o", "out", "--model", str(tmp_path)], "neither a run directory"),
        (["s.png", "-o", str(blocker / "out"), "--model", run_dir], "cannot write output"),
        (["s.png", "-o", str(blocker), "--model", run_dir], "it is a file, not a folder"),
        (["s.png", "-o", "out", "--model", run_dir, "--temperature", "-1"], "--temperature must be positive"),
        (["s.png", "-o", "out", "--sketch-normalize", "maybe"], "invalid choice"),
        (["s.png"], "required"),
        (["s.png", "s.png", "-o", "out", "--hints", "s.png"], "--hints FILE is for a single input file"),
        (["s.png", "-o", "out", "--model", run_dir, "--hint", "3,4,#12345"], "--hint '3,4,#12345': the color"),
        (["s.png", "-o", "out", "--model", run_dir, "--hint", "3,#123456"], "expected X,Y,#RRGGBB"),
        (["s.png", "s.png", "-o", "one.png", "--model", run_dir], "a file name is for a single input file"),
        (["s.png", "-o", "one.jpg", "--model", run_dir], "predict writes PNG files"),
    ]
    for argv, message in cases:
        with pytest.raises(SystemExit) as exit_info:
            predict.main(argv)
        assert exit_info.value.code == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert err[-1].startswith("error: ") and message in err[-1], (argv, err)
    # A --hint point off the picture fails its input (exit 1) with one line
    # naming it; one at the border is used.
    assert predict.main(["s.png", "-o", "out", "--model", run_dir, "--hint", "-1,10,#ff0000"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: s.png: hint at x=-1, y=10 is off the 40x40 sketch (x from 0 to 39, y from 0 to 39)"]
    assert predict.main(["s.png", "-o", "out", "--model", run_dir, "--hint", "0,10,#ff0000"]) == 0


def test_an_output_file_name_is_the_output(run_dir, tmp_path, capsys, monkeypatch):
    # `-o result.png` made a folder "result.png" holding s.png: it is the output's name.
    cv2.imwrite(str(tmp_path / "s.png"), helpers.box_and_circle(40, 60))
    monkeypatch.chdir(tmp_path)
    assert predict.main(["s.png", "-o", "result.png", "--model", run_dir, "--layers"]) == 0
    assert (tmp_path / "result.png").is_file() and (tmp_path / "result.ora").is_file()
    assert cv2.imread(str(tmp_path / "result.png")).shape == (40, 60, 3)
    out = capsys.readouterr().out
    assert "s.png -> result.png and result.ora (" in out and "colored 1 of 1 inputs as result.png" in out
    assert predict.main(["s.png", "-o", "sub/r.png", "--model", run_dir]) == 0  # its folder is made
    assert cv2.imread(str(tmp_path / "sub" / "r.png")).shape == (40, 60, 3)
    assert predict.main(["s.png", "-o", "s.png", "--model", run_dir]) == 1  # never over the input
    assert "would overwrite an input" in capsys.readouterr().err
    (tmp_path / "dir.png").mkdir()  # an existing folder stays a folder
    assert predict.main(["s.png", "-o", "dir.png", "--model", run_dir]) == 0
    assert (tmp_path / "dir.png" / "s.png").is_file()


def test_an_interrupted_folder_says_what_it_did_and_skip_existing_goes_on(run_dir, tmp_path, capsys, monkeypatch):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for name in "abcd":
        cv2.imwrite(str(src / f"{name}.png"), helpers.box_and_circle(48, 64))
    real, calls, handlers = coloring.colorize_array, [], []

    def interrupted_at_the_third(*args, **kwargs):
        calls.append(1)
        handlers.append(signal.getsignal(signal.SIGTERM))
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C, or SIGTERM (`kill`) while coloring
        return real(*args, **kwargs)

    monkeypatch.setattr(coloring, "colorize_array", interrupted_at_the_third)
    with pytest.raises(SystemExit) as exit_info:
        predict.main([str(src), "-o", str(out), "--model", run_dir])
    assert exit_info.value.code == 130
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2:] == [
        f"interrupted: colored 2 of 4 inputs into {out}; 2 not done",
        "(the same command with --skip-existing goes on where it stopped)",
    ]
    assert sorted(os.listdir(out)) == ["a.png", "b.png"]  # whole files only
    if threading.current_thread() is threading.main_thread():  # SIGTERM is turned into the same interrupt
        assert handlers[0] not in (signal.SIG_DFL, signal.SIG_IGN, None)
    before = (out / "a.png").stat().st_mtime_ns
    monkeypatch.setattr(coloring, "colorize_array", real)
    assert predict.main([str(src), "-o", str(out), "--model", run_dir, "--skip-existing"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"[1/4] {src / 'a.png'} -> {out / 'a.png'}: there already, skipped" in lines
    assert lines[-1] == f"colored 2 of 4 inputs into {out}; 2 there already, skipped"
    assert sorted(os.listdir(out)) == ["a.png", "b.png", "c.png", "d.png"]
    assert (out / "a.png").stat().st_mtime_ns == before
    # All there: said without loading the model (a finished folder costs no seconds).
    monkeypatch.setattr(coloring, "Model", None)
    assert predict.main([str(src), "-o", str(out), "--model", run_dir, "--skip-existing"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "colored 0 of 4 inputs; 4 there already, skipped" and lines[0].startswith("[1/4] ")


def test_nothing_to_color_is_reported_before_the_model_loads(tmp_path, capsys, monkeypatch):
    def no_model(*args, **kwargs):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(coloring, "Model", no_model)
    (tmp_path / "empty").mkdir()
    missing = [str(tmp_path / "a.png"), str(tmp_path / "b.png")]
    status = predict.main([str(tmp_path / "empty"), *missing, "-o", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert status == predict.EXIT_FAILED and "model:" not in captured.out
    assert not (tmp_path / "out").exists()  # nothing written: no empty output folder left behind
    assert captured.err.splitlines() == [
        f"error: {tmp_path / 'empty'}: folder holds no images (.png, .jpg, .jpeg, .webp, .bmp, .tif, .tiff)",
        *(f"error: {path}: no such file" for path in missing),
    ]
    assert captured.out.splitlines() == [
        f"[1/3] {tmp_path / 'empty'}: failed",
        *(f"[{i}/3] {path}: failed" for i, path in enumerate(missing, 2)),
        "colored 0 of 3 inputs; 3 failed",
    ]
    # A wrong --model is a usage error, told before the inputs.
    with pytest.raises(SystemExit) as info:
        predict.main([str(tmp_path / "empty"), "-o", str(tmp_path / "out"), "--model", str(tmp_path / "nowhere")])
    assert info.value.code == 2
    assert capsys.readouterr().err.strip() == f"error: {tmp_path / 'nowhere'}: no such model directory"


def test_a_named_file_that_is_no_image_fails_before_the_model_loads(tmp_path, capsys):
    (tmp_path / "notes.png").write_text("not an image")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "bomb.png").write_bytes(bomb_png(70000, 70000))
    names = ["notes.png", "empty.png", "bomb.png"]
    # The shipped model is found but never loaded: every input failed first.
    status = predict.main([*(str(tmp_path / n) for n in names), "-o", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert status == 1
    assert captured.err.splitlines() == [
        f"error: {tmp_path / 'notes.png'}: not an image (unrecognized format)",
        f"error: {tmp_path / 'empty.png'}: empty file (0 bytes)",
        f"error: {tmp_path / 'bomb.png'}: too large: 70000x70000 pixels is over the limit of "
        f"{images.MAX_SOURCE_PIXELS} pixels (decompression bomb?)",
    ]
    assert "model:" not in captured.out and captured.out.splitlines()[-1] == "colored 0 of 3 inputs; 3 failed"
    assert not (tmp_path / "out").exists()


def test_a_run_that_writes_nothing_leaves_no_output_folder(run_dir, tmp_path, capsys):
    (tmp_path / "text.png").write_text("not an image")
    (tmp_path / "kept").mkdir()  # a folder the user made stays, even empty
    for out in (tmp_path / "new" / "deeper", tmp_path / "kept"):
        assert predict.main([str(tmp_path / "text.png"), "-o", str(out), "--model", run_dir]) == 1
        assert capsys.readouterr().out.splitlines()[-1] == "colored 0 of 1 inputs; 1 failed"  # no folder to name
    assert not (tmp_path / "new").exists() and (tmp_path / "kept").is_dir()
    # The folders are made with the first output.
    cv2.imwrite(str(tmp_path / "s.png"), helpers.box_and_circle(40, 40))
    assert predict.main([str(tmp_path / "s.png"), "-o", str(tmp_path / "new" / "deeper"), "--model", run_dir]) == 0
    assert (tmp_path / "new" / "deeper" / "s.png").is_file()


def test_an_output_that_would_overwrite_its_input_is_refused(tmp_path, capsys, run_dir):
    folder = tmp_path / "art"
    folder.mkdir()
    cv2.imwrite(str(folder / "house.png"), helpers.box_and_circle(40, 40))
    cv2.imwrite(str(folder / "car.jpg"), helpers.box_and_circle(40, 40))
    before = (folder / "house.png").read_bytes()
    # The sketch's own folder as --out: house.png would be overwritten; car.jpg gives car.png, a new file.
    status = predict.main([str(folder / "house.png"), str(folder / "car.jpg"), "-o", str(folder), "--model", run_dir])
    captured = capsys.readouterr()
    assert status == 1
    assert captured.err.strip() == (
        f"error: {folder / 'house.png'}: its output {folder / 'house.png'} would overwrite an input; give another --out"
    )
    assert (folder / "house.png").read_bytes() == before  # the sketch is untouched
    assert (folder / "car.png").is_file()
    # The folder itself as --out: its images are skipped as earlier outputs, and the message says so.
    status = predict.main([str(folder), "-o", str(folder), "--model", run_dir])
    assert status == 1
    assert capsys.readouterr().err.strip() == (
        f"error: {folder}: its images are all in the output folder {folder}; give another --out"
    )
    assert (folder / "house.png").read_bytes() == before


def test_collect_inputs_names_and_failures(tmp_path):
    (tmp_path / "d" / "e").mkdir(parents=True)
    cv2.imwrite(str(tmp_path / "d" / "x.png"), helpers.box_and_circle(20, 20))
    (tmp_path / "d" / "e" / "x.JPG").write_bytes(b"1")  # found in a folder: its header is read when it is colored
    (tmp_path / "d" / "notes.txt").write_text("skip me")
    (tmp_path / "empty").mkdir()
    todo, failures = jobs.collect_inputs([str(tmp_path / "d"), str(tmp_path / "empty"), str(tmp_path / "d" / "x.png")])
    assert [name for _, name in todo] == ["e/x.png", "x.png", "x-2.png"]
    # One name for a JPEG and a PNG: the PNG keeps it, the JPEG says what it was.
    named = jobs._unique_names([("a/x.jpg", "x.png"), ("b/x.png", "x.png"), ("c/x.jpg", "x.png"), ("x.webp", "x.png")])
    assert [name for _, name in named] == ["x-jpg.png", "x.png", "x-2.png", "x-webp.png"]
    assert len(failures) == 1 and "holds no images" in failures[0][1]
    # Nothing there, or a named file that is no image: a failure before any decoding.
    os.symlink(tmp_path / "gone.png", tmp_path / "link.png")
    named = [tmp_path / "nothere.png", tmp_path / "link.png", tmp_path / "d" / "e" / "x.JPG"]
    todo, failures = jobs.collect_inputs([str(path) for path in named] + [f"{tmp_path / 'gone'}/"])
    assert todo == [] and [reason for _, reason in failures] == [
        "no such file",
        "broken symbolic link (its target does not exist)",
        "not an image (unrecognized format)",
        "no such folder",
    ]


# -------------------------------------------------------------- the core --


def test_predict_calls_the_core_of_the_run(run_dir):
    # `--upsample bilinear` is the core's own graph path: prepare, color and
    # compose of the module the SavedModel saves.
    model = coloring.Model(run_dir)
    assert isinstance(model.core, colorizer.Colorizer)
    gray = helpers.box_and_circle(90, 130)
    rgb = np.dstack([gray] * 3)
    ours = coloring.colorize_array(rgb, model, upsample="bilinear")
    core = model.core.colorize_sketch(tf.constant(gray[np.newaxis, :, :, np.newaxis]), tf.constant([], tf.float32))
    np.testing.assert_array_equal(ours["rgb"], core["rgb"].numpy()[0])
    # The flat color and the lines it returns give the image (within rounding).
    np.testing.assert_array_equal(ours["lines"], model.prepare(rgb)[1])
    remade = np.rint(ours["color"] * (ours["lines"][..., np.newaxis] / 255.0))
    assert np.abs(remade - ours["rgb"]).max() <= 2
    # Off: the gray sketch goes to the network and is multiplied back as it is.
    off = coloring.colorize_array(gray, model, normalize="off", upsample="bilinear")
    assert off["rgb"].shape == (90, 130, 3) and np.all(off["rgb"] <= gray[..., np.newaxis])
    np.testing.assert_array_equal(off["lines"], gray)
    # Regions: the same flat color and lines, exactly (one rounding).
    regions = coloring.colorize_array(rgb, model)
    expected = np.rint(regions["color"] * (regions["lines"][..., np.newaxis] / 255.0))
    assert np.abs(expected - regions["rgb"]).max() <= 1
    for kwargs, message in [
        (dict(upsample="nearest"), "unknown upsampling method"),
        (dict(normalize="maybe"), "unknown sketch normalization"),
        (dict(hint_rgb=np.zeros((90, 130, 3), np.uint8)), "give both"),
        (dict(hint_rgb=np.zeros((90, 13, 3), np.uint8), hint_mask=np.ones((90, 130), bool)), "hints must be"),
    ]:
        with pytest.raises(ColorizeError, match=message):
            coloring.colorize_array(gray, model, **kwargs)
    with pytest.raises(ColorizeError, match="must be a"):
        coloring.colorize_array(gray.astype(np.float32), model)


def test_the_first_images_run_eagerly_then_the_graph(run_dir, monkeypatch):
    # An in-process core colors its first images eagerly (no tracing), then
    # switches to its graph functions; both give the same image.
    monkeypatch.setattr(coloring, "EAGER_IMAGES", 2)
    model = coloring.Model(run_dir)
    rgb = np.dstack([helpers.box_and_circle(100, 140)] * 3)
    first = [coloring.colorize_array(rgb, model, upsample="regions")["rgb"]]
    assert model._function("color") is not model.core.color  # still eager
    first.append(coloring.colorize_array(rgb, model, upsample="bilinear")["rgb"])
    assert model._function("color") is model.core.color  # two images done: the graph
    assert model.with_temperature(0.3)._function("prepare") is model.core.prepare  # copies share the count
    graph = [coloring.colorize_array(rgb, model, upsample=up)["rgb"] for up in ("regions", "bilinear")]
    for eager, traced in zip(first, graph, strict=True):
        assert np.abs(eager.astype(int) - traced).max() <= 1


def test_an_old_or_foreign_saved_model_is_one_line(tmp_path):
    class Plain(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def double(self, x):
            return 2.0 * x

    tf.saved_model.save(Plain(), str(tmp_path))
    with pytest.raises(ColorizeError, match="not a colorize SavedModel of this version"):
        coloring.Model(str(tmp_path))


def test_the_shipped_model_is_the_default(run_dir, tmp_path, monkeypatch, capsys):
    # The shipped weights are the lead's to train: the tiny run stands in for them.
    monkeypatch.setattr(weights, "SHIPPED", run_dir)
    monkeypatch.chdir(tmp_path)
    cv2.imwrite("s.png", helpers.box_and_circle(60, 80))
    assert predict.main(["s.png", "-o", "out"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"model: {run_dir} (the shipped model)"
    assert cv2.imread("out/s.png").shape == (60, 80, 3)
    # export: [RUN_DIR] EXPORT_DIR (the export itself is tested in test_export).
    exported = []
    monkeypatch.setattr(saved_model, "export", lambda run, out, t=None: exported.append((run, out)) or out)
    assert export.main(["model"]) == 0
    assert exported == [(run_dir, "model")] and "(the shipped model)" in capsys.readouterr().out
    # evaluate: results go to the current folder, not into the package.
    assert evaluate.main(["--max-examples", "2", "--batch-size", "2"]) == 0
    assert f"model: {run_dir} (the shipped model)" in capsys.readouterr().out
    assert os.path.isfile("eval_test_line.json")


def test_a_bug_on_one_input_fails_that_input_and_the_others_go_on(run_dir, tmp_path, capsys, monkeypatch):
    from bad_inputs import drawing  # noqa: PLC0415

    for name in ("a.png", "b.png"):
        cv2.imwrite(str(tmp_path / name), drawing(64, 80, seed=3))
    real = coloring.colorize_array

    def flaky(image, *args, **kwargs):
        if flaky.calls == 0:
            flaky.calls += 1
            raise IndexError("index 17 is out of bounds for axis 1 with size 17")
        return real(image, *args, **kwargs)

    flaky.calls = 0
    monkeypatch.setattr(coloring, "colorize_array", flaky)
    out = tmp_path / "out"
    status = predict.main([str(tmp_path / "a.png"), str(tmp_path / "b.png"), "-o", str(out), "--model", run_dir])
    captured = capsys.readouterr()
    assert status == 1
    assert f"error: {tmp_path / 'a.png'}: internal error (IndexError: index 17" in captured.err
    assert "Traceback" not in captured.err
    assert not (out / "a.png").exists() and cv2.imread(str(out / "b.png")) is not None
