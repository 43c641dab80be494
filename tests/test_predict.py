"""predict: sketch normalization and the command line (files, folders, bad
inputs, exit status)."""

import os
import struct
import zlib

import cv2
import numpy as np
import pytest

from colorize import predict, sketch, sketch_input, synthetic
from colorize.errors import ColorizeError

# ------------------------------------------------------ sketch normalization --


@pytest.mark.parametrize("width", [2, 4, 6, 10])
def test_line_width_of_straight_strokes(width):
    gray = np.full((200, 200), 255, np.uint8)
    gray[:, 50 : 50 + width] = 0
    gray[120 : 120 + width, :] = 0
    assert sketch_input.line_width(gray) == pytest.approx(width, abs=0.2)
    assert sketch_input.line_width(np.full((9, 9), 255, np.uint8)) == 0.0


def test_block_min_keeps_thin_strokes():
    gray = np.full((6, 9), 200, np.uint8)
    gray[4, 1] = 3  # one dark pixel in block (1, 0)
    out = sketch_input.block_min(gray, 3)
    np.testing.assert_array_equal(out, [[200, 200, 200], [3, 200, 200]])
    assert sketch_input.block_min(gray, 1) is gray


def test_levels_of_a_scan_gray_paper_and_pencil():
    rng = np.random.default_rng(0)
    scan = np.clip(rng.normal(200, 3, (300, 300)), 0, 255).astype(np.uint8)
    cv2.line(scan, (10, 10), (290, 250), 90, 4)
    ink, paper = sketch_input.estimate_levels(scan)
    assert 85 <= ink <= 95 and 185 <= paper <= 197
    out = sketch_input.normalize_levels(scan)
    on_line = out[scan <= 95]
    assert (out[scan >= 197] == 255).all() and np.median(out[scan > 150]) == 255
    assert on_line.max() <= 25
    # Light lines on a dark page are inverted first.
    np.testing.assert_array_equal(sketch_input.normalize_levels(255 - scan), out)
    # A blank page has nothing to stretch.
    blank = np.full((50, 50), 240, np.uint8)
    np.testing.assert_array_equal(sketch_input.normalize_levels(blank), blank)


def test_extracted_sketches_are_recognized_and_left_alone():
    for seed in range(3):
        windows, _ = sketch.prepare_examples(synthetic.generate(seed))
        line = windows[0][1]
        assert sketch_input.looks_extracted(line)
        assert sketch_input.normalize_sketch(line) is line
    binary = windows[0][2]
    assert not sketch_input.looks_extracted(binary)
    drawing = np.full((300, 300), 255, np.uint8)
    cv2.circle(drawing, (150, 150), 100, 0, 2, cv2.LINE_AA)
    assert not sketch_input.looks_extracted(drawing)


def test_thin_binary_lines_reach_the_training_darkness():
    # A 1 px binary rectangle in a 1024 x 768 drawing: plain extraction at
    # the dataset scale loses it (darkest level ~210); normalization brings it
    # into the range of the training sketches (darkest levels 36..134).
    drawing = np.full((1024, 768), 255, np.uint8)
    cv2.rectangle(drawing, (100, 100), (600, 900), 0, 1)
    plain, _ = sketch.extract_sketch(sketch.resize_short_side(drawing))
    normalized = sketch_input.normalize_sketch(drawing)
    assert normalized.shape == (341, 256)
    assert plain.min() > 180
    assert 36 <= normalized.min() <= 134
    assert sketch_input.looks_extracted(normalized)
    binary = sketch_input.normalize_sketch(drawing, kind="binary")
    assert set(np.unique(binary)) == {0, 255}
    with pytest.raises(ColorizeError, match="sketch kind"):
        sketch_input.normalize_sketch(drawing, kind="pencil")
    with pytest.raises(ColorizeError, match="2-D uint8"):
        sketch_input.normalize_sketch(drawing.astype(np.float32))


# --------------------------------------------------------------------- CLI --


def _drawing(height, width):
    img = np.full((height, width), 255, np.uint8)
    cv2.rectangle(img, (width // 5, height // 5), (width * 3 // 4, height * 3 // 4), 0, 2)
    cv2.circle(img, (width // 2, height // 2), min(height, width) // 6, 0, 1, cv2.LINE_AA)
    return img


def _png_header_claiming(width, height):
    """A valid-looking PNG whose header claims a huge size (a bomb)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def test_folder_with_good_and_bad_files(run_dir, tmp_path, capsys):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    cv2.imwrite(str(src / "a.png"), _drawing(120, 160))
    cv2.imwrite(str(src / "sub" / "b.jpg"), _drawing(90, 70))
    cv2.imwrite(str(src / "sub" / "b.png"), _drawing(64, 64))  # same stem as b.jpg
    (src / "empty.png").write_bytes(b"")
    (src / "text.png").write_text("not an image at all")
    good = (src / "a.png").read_bytes()
    (src / "truncated.png").write_bytes(good[: len(good) // 2])
    (src / "bomb.png").write_bytes(_png_header_claiming(7000, 7000))
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
    assert written == ["a.png", "sub/b-2.png", "sub/b.png"]  # no temporary files left
    assert cv2.imread(str(out / "a.png")).shape == (120, 160, 3)
    assert cv2.imread(str(out / "sub" / "b.png")).shape == (90, 70, 3)
    assert "images/s" in captured.out and "colored 3 of 8 inputs" in captured.out


def test_all_good_exits_0_and_keeps_dark_lines(run_dir, tmp_path):
    gray = _drawing(100, 150)
    cv2.imwrite(str(tmp_path / "s.png"), gray)
    for method in ("regions", "bilinear"):
        out = tmp_path / method
        assert predict.main([str(tmp_path / "s.png"), "-o", str(out), "--model", run_dir, "--upsample", method]) == 0
        rgb = cv2.imread(str(out / "s.png"))
        assert rgb.shape == (100, 150, 3)
        assert np.all(rgb[gray == 0] == 0)  # black lines stay black


def test_from_color_colors_the_extracted_sketch(run_dir, tmp_path):
    cv2.imwrite(str(tmp_path / "art.png"), synthetic.generate(3, 200, 300))
    out = tmp_path / "out"
    argv = [str(tmp_path / "art.png"), "-o", str(out), "--model", run_dir, "--from-color", "--temperature", "0.5"]
    assert predict.main(argv) == 0
    rgb = cv2.imread(str(out / "art.png"))
    lines, _ = sketch.extract_sketch(synthetic.generate(3, 200, 300))
    assert rgb.shape == (200, 300, 3)
    assert np.all(rgb.max(axis=2) <= sketch_input.normalize_levels(lines))


def test_usage_errors_exit_2(run_dir, tmp_path, capsys, monkeypatch):
    cv2.imwrite(str(tmp_path / "s.png"), _drawing(40, 40))
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    monkeypatch.chdir(tmp_path)  # no runs/rebalance-small here
    cases = [
        (["s.png", "-o", "out"], "no model given"),
        (["s.png", "-o", "out", "--model", "nowhere"], "no such model directory"),
        (["s.png", "-o", "out", "--model", str(tmp_path)], "neither a run directory"),
        (["s.png", "-o", str(blocker / "out"), "--model", run_dir], "cannot write output"),
        (["s.png", "-o", "out", "--model", run_dir, "--temperature", "-1"], "--temperature must be positive"),
        (["s.png", "-o", "out", "--sketch-normalize", "maybe"], "invalid choice"),
        (["s.png"], "required"),
    ]
    for argv, message in cases:
        with pytest.raises(SystemExit) as exit_info:
            predict.main(argv)
        assert exit_info.value.code == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert err[-1].startswith("error: ") and message in err[-1], (argv, err)


def test_collect_inputs_names_and_failures(tmp_path):
    (tmp_path / "d" / "e").mkdir(parents=True)
    (tmp_path / "d" / "x.png").write_bytes(b"1")
    (tmp_path / "d" / "e" / "x.JPG").write_bytes(b"1")
    (tmp_path / "d" / "notes.txt").write_text("skip me")
    (tmp_path / "empty").mkdir()
    jobs, failures = predict.collect_inputs(
        [str(tmp_path / "d"), str(tmp_path / "empty"), str(tmp_path / "d" / "x.png")]
    )
    assert [name for _, name in jobs] == ["e/x.png", "x.png", "x-2.png"]
    assert len(failures) == 1 and "holds no images" in failures[0][1]
