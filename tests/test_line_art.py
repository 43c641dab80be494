"""The line_art config: the artist's outline is the sketch, drawings are
trimmed to their content, and one subject lands in one split."""

import os

import cv2
import numpy as np
import pytest
import tensorflow_datasets as tfds

from colorize import variants
from colorize.data import build, pipeline, sketch
from colorize.errors import ColorizeError


def _drawing(size=400, offset=(0, 0), fill=(40, 60, 220)):
    """A filled disc (BGR `fill`) with a black outline in the middle of a wide
    white canvas, and its line art alone."""
    bgr = np.full((size, size, 3), 255, np.uint8)
    line = np.full((size, size), 255, np.uint8)
    center = (size // 2 + offset[0], size // 2 + offset[1])
    cv2.circle(bgr, center, 70, fill, -1)
    for img, ink in ((bgr, (0, 0, 0)), (line, 0)):
        cv2.circle(img, center, 70, ink, 4)
    return bgr, line


def test_trim_to_content_crops_a_square_around_the_drawing():
    bgr, line = _drawing(offset=(30, -20))
    color, lines = sketch.trim_to_content(bgr, line)
    # A square of the disc's extent with its outline, plus 6 % on each side.
    found = np.argwhere(line < 245)
    extent = int((found.max(0) - found.min(0) + 1).max())
    side = round(extent * (1 + 2 * sketch.CONTENT_MARGIN))
    assert color.shape == (side, side, 3) and lines.shape == (side, side)
    ink = np.argwhere(lines < 245)
    margin = extent * sketch.CONTENT_MARGIN
    assert np.abs(ink.min(0) - margin).max() <= 1.5 and np.abs(side - 1 - ink.max(0) - margin).max() <= 1.5
    # The colors came along: the disc's fill is at the crop's centre.
    assert tuple(color[side // 2, side // 2]) == (40, 60, 220)
    # Only paper: unchanged.
    blank = np.full((50, 60, 3), 255, np.uint8)
    assert sketch.trim_to_content(blank)[0] is blank


def test_pair_windows_use_the_artists_lines():
    bgr, line = _drawing()
    windows, reason = sketch.prepare_pair_examples(bgr, line)
    assert reason is None and len(windows) == 1
    color, line_window, binary = windows[0]
    assert color.shape == (256, 256, 3) and line_window.shape == binary.shape == (256, 256)
    # The sketch is the line art: dark exactly on the outline, white inside the disc
    # (the paper's extraction of the color image would be the same here, so also
    # check a line the color image does not have).
    assert line_window[128, 128] == 255 and line_window.min() < 40
    assert set(np.unique(binary)) <= {0, 255}
    extra = line.copy()
    cv2.line(extra, (170, 200), (230, 200), 0, 3)  # inside the disc, in the line art only
    _, extra_window, _ = sketch.prepare_pair_examples(bgr, extra)[0][0]
    assert extra_window[128, 128] < 100
    with pytest.raises(ColorizeError, match="does not match"):
        sketch.trim_to_content(bgr, line[:-1])


def _folder(root, n=40):
    rows = ["source\tid\tgroup\tcolor\tline\tlicense"]
    os.makedirs(root / "a" / "color")
    os.makedirs(root / "a" / "line")
    os.makedirs(root / "b" / "color")
    rng = np.random.default_rng(0)
    for i in range(n):
        fill = tuple(int(v) for v in rng.integers(0, 200, 3))
        bgr, line = _drawing(fill=fill)
        cv2.imwrite(str(root / "a" / "color" / f"{i}.png"), bgr)
        cv2.imwrite(str(root / "a" / "line" / f"{i}.png"), line)
        cv2.imwrite(str(root / "b" / "color" / f"{i}.png"), bgr)
        # The same subject in two sets: one group.
        rows.append(f"a\t{i}\tsubject_{i}\ta/color/{i}.png\ta/line/{i}.png\tCC0")
        rows.append(f"b\t{i}\tsubject_{i}\tb/color/{i}.png\t\tCC0")
    (root / "manifest.tsv").write_text("\n".join(rows) + "\n")


@pytest.mark.slow
def test_line_art_build_keeps_each_subject_in_one_split(tmp_path):
    _folder(tmp_path / "art")
    builder = build.build("line_art", data_dir=tmp_path / "data", manual_dir=tmp_path / "art")
    split_of = {}
    total = 0
    counted = {}
    for split in ("train", "validation", "test"):
        for example in tfds.as_numpy(builder.as_dataset(split=split)):
            source_id = example["source_id"].decode()
            subject = source_id.split("/")[1]
            assert split_of.setdefault(subject, split) == split
            counted.setdefault(split, {}).setdefault(source_id.split("/")[0], 0)
            counted[split][source_id.split("/")[0]] += 1
            total += 1
    assert total == 80 and len(split_of) == 40
    # Windows per source (the model card's per-source figures read them).
    config = variants.resolve("lch", "tiny", dataset="sketch_colorization/line_art", data_dir=str(tmp_path / "data"))
    for split, counts in counted.items():
        assert pipeline.source_counts(builder, split) == dict(sorted(counts.items()))
        for source, count in counts.items():
            batches = pipeline.make_dataset(config, split, training=False, batch_size=4, source=source)
            assert sum(int(color.shape[0]) for _, color in batches) == count
    with pytest.raises(ColorizeError, match=r"split 'test' has no windows of source 'c' \(it has: a \("):
        pipeline.check_source(builder, "test", "c")


def test_line_art_without_a_manifest_is_one_line(tmp_path):
    with pytest.raises(ColorizeError, match="manifest"):
        build.build("line_art", data_dir=tmp_path / "data", manual_dir=tmp_path)
    with pytest.raises(ColorizeError, match="needs manual_dir"):
        build.build("line_art", data_dir=tmp_path / "data")
