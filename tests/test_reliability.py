"""Reliability across entry points: the bad-input corpus of
`tests/bad_inputs.py` through the builder's folder config, `predict` and the
SavedModel's serving signature; flag errors of every CLI; killed builds and
exports; atomic outputs; memory bounds.

Files without read permission: the tests run as root, which reads any file,
so the entry points run with `bad_inputs.deny_unreadable_files` (Python's
`open` refuses mode-000 files as the kernel would for another user); see
there.
"""

import builtins
import collections
import errno
import glob
import hashlib
import importlib
import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import cv2
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from PIL import Image

from colorize import fileio, formats, predict, runs, variants
from colorize.data import build, sketch
from colorize.errors import ColorizeError
from colorize.inference import coloring

import bad_inputs
import helpers
from bad_inputs import CASES, NOT_REACHABLE, PROCESSED

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.dirname(os.path.abspath(__file__))

BUILD_MEMORY_MB = 128
"""Bound on the build's resident memory above TensorFlow's own: decoding
the 8000 x 8000 PNG of the corpus whole would take 448 MB (PIL's 4 bytes
and the 3-byte BGR copy per pixel)."""

MEMORY_BOUND_GB = 4.0
"""Bound on predict's peak resident memory for a 6000 x 6000 sketch, the
whole process (TensorFlow and the model included)."""


def _errors(stderr):
    """The `error: ...` lines of a CLI's stderr (TensorFlow's own C++ log
    lines are not ours)."""
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


def _one_error_line(capsys):
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = _errors(err)
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    return bad_inputs.write_corpus(folder)


@pytest.fixture
def deny_unreadable(monkeypatch):
    """This process's `open` refuses mode-000 files (when running as root)."""
    if os.geteuid() == 0:
        monkeypatch.setattr(builtins, "open", bad_inputs.open_as_user(builtins.open))


# ------------------------------------------------------------ the corpus --


def test_every_case_has_an_outcome_for_every_entry_point_and_the_docs_list_them():
    outcome = re.compile(r"^(processed|n/a|rejected: .+)$")
    build = re.compile(r"^(windows: [1-9]|skipped: (too small|colorless|unreadable: .+)|ignored|n/a)$")
    for case in CASES:
        assert outcome.match(case.predict) and outcome.match(case.serving), case
        assert build.match(case.build), case
        assert (case.size is not None) == (case.predict == PROCESSED), case
    assert len({case.name for case in CASES}) == len(CASES)
    # The README's table is this table.
    with open(os.path.join(REPO, "README.md")) as f:
        assert bad_inputs.markdown_table() in f.read()


def test_serving_signature_on_the_corpus(export_dir, corpus):
    serve = tf.saved_model.load(export_dir).signatures["serving_default"]
    good = cv2.imencode(".png", bad_inputs.drawing(40, 56))[1].tobytes()
    for case in CASES:
        if case.serving == NOT_REACHABLE:
            continue
        with open(corpus[case.name], "rb") as f:
            data = f.read()
        if case.serving == PROCESSED:
            out = serve(images=tf.constant([good, data]))
            assert out["size"].numpy().tolist() == [[40, 56], list(case.size)], case.name
            png = tf.io.decode_png(out["png"][1]).numpy()
            h, w = case.size
            np.testing.assert_array_equal(png, out["rgb"].numpy()[1, :h, :w], err_msg=case.name)
        else:
            fragment = case.serving.split(": ", 1)[1]
            with pytest.raises(tf.errors.InvalidArgumentError) as info:
                serve(images=tf.constant([good, data]))
            assert fragment in info.value.message, (case.name, info.value.message)
        # The model keeps working after any input.
        assert serve(images=tf.constant([good]))["rgb"].shape == (1, 40, 56, 3)
    # Alpha is composited on white: transparent paper over hidden black
    # pixels is not black in the output (it would be 0 everywhere there).
    with open(corpus["rgba.png"], "rb") as f:
        rgb = serve(images=tf.constant([f.read()]))["rgb"].numpy()[0]
    paper = np.asarray(Image.open(corpus["rgba.png"]))[..., 3] == 0
    assert paper.mean() > 0.2 and rgb[paper].mean() > 20


def _run_predict(args):
    """`python -m colorize.predict ARGS` with unreadable files denied."""
    return subprocess.run(
        bad_inputs.command("colorize.predict", *args),
        capture_output=True,
        text=True,
        env=helpers.env(),
        cwd=REPO,
        timeout=600,
    )


@pytest.mark.slow
def test_predict_cli_on_the_corpus(export_dir, corpus, tmp_path):
    out_dir = tmp_path / "out"
    inputs = [corpus[case.name] for case in CASES]
    proc = _run_predict([*inputs, "-o", str(out_dir), "--model", export_dir])
    assert proc.returncode == 1, proc.stderr[-3000:]  # some inputs failed
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    errors = _errors(proc.stderr)
    # "[i/n] INPUT -> OUTPUT (WxH, ...)" for each colored file.
    written = dict(re.findall(r"^\[\d+/\d+\] (.+) -> (.+) \(\d+x\d+, ", proc.stdout, re.M))
    processed = [case for case in CASES if case.predict == PROCESSED]
    for case in CASES:
        path = corpus[case.name]
        mine = [line for line in errors if line.startswith(f"error: {path}: ")]
        if case.predict == PROCESSED:
            assert not mine and path in written, (case.name, mine)
            with Image.open(written[path]) as im:
                assert im.format == "PNG" and im.mode == "RGB" and im.size == case.size[::-1], case.name
        else:
            fragment = case.predict.split(": ", 1)[1]
            assert len(mine) == 1 and fragment in mine[0], (case.name, errors)
            assert path not in written
    assert len(errors) == len(CASES) - len(processed)
    assert f"colored {len(processed)} of {len(CASES)} inputs" in proc.stdout
    assert sorted(os.listdir(out_dir)) == sorted(os.path.basename(p) for p in written.values())


def test_predict_decodes_odd_images_like_their_plain_equivalents(export_dir, corpus, tmp_path):
    model = coloring.Model(export_dir)

    def colored(path):
        return coloring.colorize_array(coloring.load_rgb(str(path)), model)["rgb"]

    def plain(name, rgb):
        path = tmp_path / name
        Image.fromarray(rgb).save(path)
        return colored(path)

    art = bad_inputs.art()
    # 16-bit samples v * 257 are the 8-bit image; an animation is its first frame.
    reference = plain("art.png", art)
    np.testing.assert_array_equal(colored(corpus["rgb16.png"]), reference)
    np.testing.assert_array_equal(colored(corpus["animated.webp"]), reference)
    # A drawing on a transparent background over black is the drawing on white.
    rgba = np.asarray(Image.open(corpus["rgba.png"]))
    alpha = rgba[..., 3:].astype(np.float32) / 255
    on_white = np.round(rgba[..., :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)
    np.testing.assert_array_equal(colored(corpus["rgba.png"]), plain("on_white.png", on_white))
    # Transparent gray ink: the page is white, not the hidden black.
    la = np.asarray(Image.open(corpus["gray_alpha.png"]))
    ink = 255 - la[..., 1]  # black ink, alpha = darkness, on white
    np.testing.assert_array_equal(colored(corpus["gray_alpha.png"]), plain("ink.png", np.dstack([ink] * 3)))


def test_predict_folder_input_skips_bad_files_and_writes_the_good_ones(
    export_dir, corpus, tmp_path, capsys, deny_unreadable
):
    folder = os.path.dirname(corpus["zero.png"])
    out_dir = tmp_path / "out"
    assert predict.main([folder, "-o", str(out_dir), "--model", export_dir]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    errors = _errors(captured.err)
    expected_out = set()
    expected_errors = set()
    for case in CASES:
        in_folder = case.special not in ("missing", "empty_dir")
        if not in_folder or case.name.endswith(".gif"):  # not an image name: not collected
            continue
        if case.predict == PROCESSED:
            expected_out.add(case.name.rsplit(".", 1)[0] + ".png")
        else:
            expected_errors.add(case.name)
    assert {line.split(": ")[1] for line in errors} == {corpus[n] for n in expected_errors}
    assert set(os.listdir(out_dir)) == expected_out
    # An empty folder is an error of its own, and the exit status says so.
    assert predict.main([corpus["empty_dir"], "-o", str(out_dir), "--model", export_dir]) == 1
    assert (
        _one_error_line(capsys) == f"error: {corpus['empty_dir']}: folder holds no images "
        "(.png, .jpg, .jpeg, .webp, .bmp, .tif, .tiff)"
    )


@pytest.mark.slow
def test_folder_build_on_the_corpus_in_bounded_memory(tmp_path, tiny_data_dir):

    folder = tmp_path / "corpus"
    cases = [case for case in CASES if case.build != NOT_REACHABLE]
    bad_inputs.write_corpus(folder, cases)
    # Good images so that every split gets a window (splits hash the names).
    good = {f"good/{i:02d}.jpg": 1 for i in range(4)}
    os.makedirs(folder / "good")
    for i, name in enumerate(good):
        Image.fromarray(bad_inputs.art(20 + i)).save(folder / name, quality=90)
    bad_inputs.large_png(folder / "large.png", 8000)  # 64 MP, one window
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {TESTS!r})
        import bad_inputs
        bad_inputs.deny_unreadable_files()
        import tensorflow as tf
        tf.constant(0)  # TensorFlow's own memory is the baseline
        from colorize.data import build
        with open("/proc/self/statm") as f:
            before = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") >> 20
        build.build("folder", data_dir=sys.argv[1], manual_dir=sys.argv[2])
        print(f"memory: {{before}} MB before the build, peak {{bad_inputs.peak_rss_mb()}} MB")
    """)
    data_dir = tmp_path / "tfds"
    proc = subprocess.run(
        [sys.executable, "-c", script, str(data_dir), str(folder)],
        capture_output=True,
        text=True,
        env=helpers.env(),
        cwd=REPO,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    before, peak = map(int, re.search(r"memory: (\d+) MB before the build, peak (\d+) MB", proc.stdout).groups())
    print(f"build: {before} MB before, peak {peak} MB (+{peak - before} MB)")
    assert peak - before < BUILD_MEMORY_MB, proc.stdout

    builder = tfds.builder("sketch_colorization/folder", data_dir=str(data_dir))
    windows = collections.Counter()
    rgba_windows = []
    for split in ("train", "validation", "test"):
        for example in builder.as_dataset(split=split):
            windows[example["source_id"].numpy().decode()] += 1
            if example["source_id"] == b"rgba.png":
                rgba_windows.append(example["color"].numpy())
            if example["source_id"] == b"large.png":  # the bands: green 200 everywhere
                assert np.abs(example["color"].numpy()[..., 1].astype(int) - 200).max() <= 1
    # The transparent drawing gives the windows of the same drawing on white.
    rgba = np.asarray(Image.open(folder / "rgba.png"))
    on_white = np.where(rgba[..., 3:] == 0, 255, rgba[..., :3]).astype(np.uint8)  # alpha is 0 or 255
    expected_windows = [w[0][..., ::-1] for w in sketch.prepare_examples(on_white[..., ::-1].copy())[0]]
    assert sorted(w.tobytes() for w in rgba_windows) == sorted(w.tobytes() for w in expected_windows)
    expected = {**good, "large.png": 1}
    skipped = collections.Counter()
    warnings = [line for line in proc.stderr.splitlines() if "skipped " in line]
    for case in cases:
        kind, _, detail = case.build.partition(": ")
        if kind == "windows":
            expected[case.name] = int(detail)
        mine = [line for line in warnings if re.search(rf"skipped {re.escape(case.name)}: ", line)]
        if detail.startswith("unreadable: "):
            assert len(mine) == 1 and detail.split(": ", 1)[1] in mine[0], (case.name, mine)
            skipped["unreadable"] += 1
        else:
            assert not mine, (case.name, mine)
            if kind == "skipped":
                skipped[detail] += 1
        if kind == "ignored":
            assert case.name not in proc.stdout + proc.stderr
    assert dict(windows) == expected
    # The per-split summaries add up to the expected skip counts.
    totals = collections.Counter()
    for too_small, colorless, bad in re.findall(
        r"\(too small: (\d+), colorless: (\d+), unreadable: (\d+)\)", proc.stdout
    ):
        totals.update({"too small": int(too_small), "colorless": int(colorless), "unreadable": int(bad)})
    assert totals == skipped


def test_builder_refuses_a_missing_or_imageless_folder_and_an_unwritable_data_dir(tmp_path, corpus):
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    for manual_dir, data_dir, message in [
        (tmp_path / "missing", tmp_path / "d", "missing: no such folder"),
        (corpus["empty_dir"], tmp_path / "d", "empty_dir: no images (.png"),
        (os.path.dirname(corpus["zero.png"]), blocker / "tfds", "file/tfds: cannot write the dataset here"),
    ]:
        with pytest.raises(ColorizeError, match=re.escape(message)):
            build.build("folder", data_dir=str(data_dir), manual_dir=str(manual_dir))
    assert not os.path.exists(tmp_path / "d")


# ---------------------------------------------------------------- flags --


@pytest.fixture(scope="module")
def cli_dirs(run_dir, tmp_path_factory):
    """A folder with a regular file (paths under it cannot be written, even
    by root) and a run directory whose training never finished."""
    base = tmp_path_factory.mktemp("cli")
    (base / "file").write_text("a regular file")
    runs.save_config(variants.resolve("lch", "tiny"), str(base / "unfinished"))
    return {"file": str(base / "file"), "unfinished": str(base / "unfinished"), "run": run_dir, "tmp": str(base)}


FLAG_CASES = [
    # (entry point, argv, message fragment); every one exits with status 2.
    ("train", ["--variant", "gan"], "unknown variant 'gan'; choose one of regression"),
    ("train", ["--batch-size", "-4", "--run-dir", "{tmp}/r1"], "--batch-size must be positive, not -4"),
    (
        "train",
        ["--variant", "regression", "--preset", "tiny", "--run-dir", "{run}"],
        "holds a 'rebalance' run, not 'regression'",
    ),
    ("train", ["--preset", "tiny", "--run-dir", "{file}/run"], "{file}/run: cannot write"),
    (
        "train",
        ["--preset", "tiny", "--run-dir", "{tmp}/r2", "--data-dir", "{file}/tfds"],
        "{file}/tfds: cannot write the dataset here",
    ),
    ("evaluate", ["{run}", "--batch-size", "-4"], "--batch-size must be positive, not -4"),
    ("evaluate", ["{unfinished}"], "{unfinished}: no trained model"),
    ("evaluate", ["{tmp}/nowhere"], "{tmp}/nowhere: no such run directory"),
    ("evaluate", ["{run}", "--json", "{file}/eval.json"], "{file}: cannot write"),
    ("export", ["{unfinished}", "{tmp}/e1"], "{unfinished}: no trained model"),
    ("export", ["{tmp}/nowhere", "{tmp}/e2"], "{tmp}/nowhere: no such run directory"),
    ("export", ["{run}", "{file}/export"], "{file}: cannot write the export here"),
    ("predict", ["x.png", "-o", "{tmp}/p1", "--model", "{tmp}/nowhere"], "{tmp}/nowhere: no such model directory"),
    ("predict", ["x.png", "-o", "{tmp}/p2", "--model", "{unfinished}"], "{unfinished}: no trained model"),
    ("predict", ["x.png", "-o", "{tmp}/p3", "--model", "{tmp}"], "neither a run directory"),
    ("predict", ["x.png", "-o", "{file}/out", "--model", "{run}"], "{file}/out: cannot write output here"),
    (
        "predict",
        ["x.png", "-o", "{tmp}/p4", "--model", "{run}", "--temperature", "-1"],
        "--temperature must be positive",
    ),
    ("predict", ["x.png", "-o", "{tmp}/p5", "--upsample", "cubic"], "invalid choice: 'cubic'"),
    (
        "predict",
        ["x.png", "-o", "{tmp}/p6", "--model", "{run}/config.json"],
        "{run}/config.json: a file, not a model directory (give its folder {run})",
    ),
    ("predict", ["x.png", "-o", "{tmp}/p7", "--model", "{file}"], "{file}: a file, not a model directory"),
    ("evaluate", ["{run}/config.json"], "{run}/config.json: a file, not a run directory (give its folder {run})"),
]


@pytest.mark.parametrize("entry, argv, message", FLAG_CASES, ids=[f"{e}-{i}" for i, (e, _, _) in enumerate(FLAG_CASES)])
def test_flag_errors_are_one_line_and_exit_2(entry, argv, message, cli_dirs, capsys):
    main = importlib.import_module(f"colorize.{entry}").main
    argv = [a.format(**cli_dirs) for a in argv]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    line = _one_error_line(capsys)
    assert message.format(**cli_dirs) in line, line
    # A failed command records no run and writes no output.
    made = glob.glob(os.path.join(cli_dirs["tmp"], "*", "*"))
    assert [p for p in made if not p.startswith(cli_dirs["unfinished"] + os.sep)] == []


# ---------------------------------------------------- atomic outputs --


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
def test_a_folder_that_takes_no_new_files_is_named_as_such():
    # /proc/self is a folder, but creating a file in it fails with "No such file or
    # directory", which alone would tell a user the folder they named is missing.
    with pytest.raises(ColorizeError) as caught:
        fileio.ensure_writable_dir("/proc/self")
    assert str(caught.value) == (
        "/proc/self: cannot write output here (the folder exists but takes no new files: a system folder?)"
    )


def test_predict_never_leaves_a_half_written_file(run_dir, tmp_path, capsys, monkeypatch):
    """The disk fills up in the middle of writing an output: the old file
    under that name is intact, the new one is reported, no temporary file is
    left, and the other inputs are written."""
    for name in ("a", "b", "c"):
        cv2.imwrite(str(tmp_path / f"{name}.png"), bad_inputs.drawing(48, 64, seed=ord(name)))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "b.png").write_bytes(b"the previous output")
    real_open = builtins.open

    class DiskFull:
        """A file object that writes half of what it is given, then fails."""

        def __init__(self, f):
            self.f = f

        def write(self, data):
            self.f.write(bytes(data)[: len(data) // 2])
            self.f.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    def full_disk_for_b(file, mode="r", *args, **kwargs):
        f = real_open(file, mode, *args, **kwargs)
        if "w" in mode and os.path.basename(str(file)).startswith("b.png"):
            return DiskFull(f)
        return f

    monkeypatch.setattr(builtins, "open", full_disk_for_b)
    inputs = [str(tmp_path / f"{n}.png") for n in "abc"]
    assert predict.main([*inputs, "-o", str(out_dir), "--model", run_dir]) == 1
    monkeypatch.undo()
    line = _one_error_line(capsys)
    assert line == f"error: {inputs[1]}: cannot write {out_dir / 'b.png'} (No space left on device)"
    assert sorted(os.listdir(out_dir)) == ["a.png", "b.png", "c.png"]
    assert (out_dir / "b.png").read_bytes() == b"the previous output"
    for name in ("a.png", "c.png"):
        assert cv2.imread(str(out_dir / name)).shape == (48, 64, 3)


@pytest.mark.slow
def test_killed_export_leaves_nothing_under_the_final_name(run_dir, tmp_path):
    target = tmp_path / "model"
    proc = subprocess.Popen(
        [sys.executable, "-m", "colorize.export", run_dir, str(target)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=helpers.env(),
        cwd=REPO,
    )
    deadline = time.time() + 300
    # Kill as soon as the SavedModel has started to be written.
    while not glob.glob(str(tmp_path / "model.tmp-*" / "*")) and time.time() < deadline:
        assert proc.poll() is None, "export ended before it could be killed"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    assert not target.exists()
    assert len(glob.glob(str(tmp_path / "model.tmp-*"))) == 1  # the partial write, elsewhere


# ------------------------------------------------------- interruptions --


def _examples(data_dir):
    """{split: sorted list of (source_id, sha1 of the color window)}."""
    builder = tfds.builder("sketch_colorization/synthetic_tiny", data_dir=str(data_dir))
    found = {}
    for split in ("train", "validation", "test"):
        found[split] = sorted(
            (e["source_id"].numpy().decode(), hashlib.sha1(e["color"].numpy().tobytes()).hexdigest())
            for e in builder.as_dataset(split=split)
        )
    return found


@pytest.mark.slow
def test_killed_build_reruns_to_exactly_the_right_examples(tmp_path, tiny_data_dir):
    data_dir = tmp_path / "tfds"
    # The child announces each image before generating it (slowed a little),
    # so that the kill lands mid-way through the train split.
    script = textwrap.dedent(f"""
        import time
        from colorize.data import synthetic
        generate = synthetic.generate
        def announced(seed, *args, **kwargs):
            print("generating", seed, flush=True)
            time.sleep(0.05)
            return generate(seed, *args, **kwargs)
        synthetic.generate = announced
        from colorize.data import build
        build.build("synthetic_tiny", data_dir={str(data_dir)!r})
    """)
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=helpers.env(),
        cwd=REPO,
    )
    generated = 0
    for line in proc.stdout:
        generated += line.startswith("generating")
        if generated == 20:  # of 48
            break
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL and generated == 20
    config_dir = data_dir / "sketch_colorization" / "synthetic_tiny"
    assert not (config_dir / "1.1.0").exists()
    assert len(list(config_dir.glob("incomplete.*"))) == 1  # what the killed build left

    build.build("synthetic_tiny", data_dir=str(data_dir))
    rebuilt, reference = _examples(data_dir), _examples(tiny_data_dir)
    assert {k: len(v) for k, v in rebuilt.items()} == {"train": 45, "validation": 3, "test": 5}
    assert rebuilt == reference  # the same windows, each once
    keys = [key for split in rebuilt.values() for key in split]
    assert len(set(keys)) == len(keys)
    assert sorted(p.name for p in config_dir.iterdir()) == ["1.1.0"]  # leftover removed


# ------------------------------------------------------- memory bounds --


@pytest.mark.slow
def test_predict_6000px_sketch_within_its_memory_bound_and_refuses_larger(run_dir, tmp_path):
    big = tmp_path / "big.png"
    cv2.imwrite(str(big), bad_inputs.drawing(6000, 6000, seed=3))
    huge = bad_inputs.large_png(str(tmp_path / "huge.png"), 8000)
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {TESTS!r})
        import bad_inputs
        from colorize import predict
        status = predict.main(sys.argv[1:])
        print("peak MB", bad_inputs.peak_rss_mb())
        sys.exit(status)
    """)
    out_dir = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-c", script, str(big), huge, "-o", str(out_dir), "--model", run_dir],
        capture_output=True,
        text=True,
        env=helpers.env(),
        cwd=REPO,
        timeout=600,
    )
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert _errors(proc.stderr) == [
        f"error: {huge}: too large: 8000x8000 pixels is over the limit of {formats.MAX_PIXELS} decoded pixels"
    ]
    peak = int(re.search(r"peak MB (\d+)", proc.stdout).group(1))
    print(f"predict 6000x6000: peak {peak} MB")
    assert peak < MEMORY_BOUND_GB * 1024, proc.stdout
    assert cv2.imread(str(out_dir / "big.png")).shape == (6000, 6000, 3)
    assert os.listdir(out_dir) == ["big.png"]
