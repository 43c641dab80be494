"""Tests of the sketch_colorization builder beyond DatasetBuilderTestCase:
split stability, skip counting on a corpus of bad files, build(), reading the
dataset back in a new process."""

import builtins
import collections
import os
import re

import cv2
import numpy as np
import pytest
import tensorflow_datasets as tfds

from colorize.data import build, images, sketch, synthetic
from colorize.errors import ColorizeError
from dataset_builder import sketch_colorization
from dataset_builder.sketch_colorization import split_for

import bad_inputs
import helpers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_split_for_is_stable_and_80_10_10():
    # Golden values: a change here moves sources between splits and leaks
    # test images into training sets built earlier.
    assert [split_for(f"synthetic/{i:05d}") for i in range(4)] == ["train", "train", "test", "train"]
    assert split_for("cats/a.png") == "train"
    counts = collections.Counter(split_for(f"img_{i}.png") for i in range(20000))
    assert abs(counts["train"] / 20000 - 0.8) < 0.01
    assert abs(counts["validation"] / 20000 - 0.1) < 0.01
    assert abs(counts["test"] / 20000 - 0.1) < 0.01
    # The hash is not Python's salted hash: another process agrees.
    code = (
        "from dataset_builder.sketch_colorization import split_for\n"
        "print(*[split_for(f'img_{i}.png') for i in range(50)])"
    )
    out = helpers.run_python(["-c", code], environ=helpers.env(PYTHONHASHSEED="123"))
    assert out.stdout.split() == [split_for(f"img_{i}.png") for i in range(50)]


def read_split(builder, split):
    return list(tfds.as_numpy(builder.as_dataset(split=split)))


def test_tiny_dataset_reads_back_with_consistent_examples(tiny_data_dir):
    builder = sketch_colorization.Builder(config="synthetic_tiny", data_dir=tiny_data_dir)
    seen = set()
    for split in ("train", "validation", "test"):
        examples = read_split(builder, split)
        assert examples
        for ex in examples:
            source = ex["source_id"].decode()
            assert re.fullmatch(r"synthetic/000[0-4]\d", source)
            assert split_for(source) == split  # every window in its source's split
            seen.add(source)
            assert ex["sketch"].shape == ex["sketch_binary"].shape == (256, 256, 1)
            assert ex["color"].shape == (256, 256, 3)
            assert set(np.unique(ex["sketch_binary"])) <= {0, 255}
            assert sketch.is_colorful(ex["color"][..., ::-1])
            seed = int(source.split("/")[1])
            original = synthetic.generate(seed)  # BGR
            if original.shape[1] == 256:  # one window: the whole image, RGB
                np.testing.assert_array_equal(ex["color"], original[..., ::-1])
                line, binary = sketch.extract_sketch(original)
                np.testing.assert_array_equal(ex["sketch"][..., 0], line)
                np.testing.assert_array_equal(ex["sketch_binary"][..., 0], binary)
    # Every source that has a colorful window is there (objects on white
    # may be too small for the paper's colorless filter).
    expected = {f"synthetic/{seed:05d}" for seed in range(48) if sketch.prepare_examples(synthetic.generate(seed))[0]}
    assert seen == expected and len(seen) >= 40


def test_reads_back_in_a_new_process_without_importing_the_builder(tiny_data_dir):
    script = (
        "import tensorflow_datasets as tfds;"
        f"ds = tfds.load('sketch_colorization/synthetic_tiny', data_dir={tiny_data_dir!r},"
        " split='train');"
        "ex = next(iter(ds));"
        "print(len(ds), ex['sketch'].shape, ex['color'].dtype.name)"
    )
    out = helpers.run_python(
        ["-c", script], cwd="/", environ={k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    )
    assert out.stdout.split()[0] == "45"
    assert "(256, 256, 1)" in out.stdout and "uint8" in out.stdout


def good_image(seed, width=256):
    img = synthetic.generate(seed, 256, width, synthetic.FULL_SCENES)
    assert sketch.prepare_examples(img)[1] is None
    return img


def names_in_each_split(prefix, per_split):
    """File names whose hash puts `per_split[split]` of them in each split."""
    found = {split: [] for split in per_split}
    i = 0
    while any(len(found[s]) < n for s, n in per_split.items()):
        name = f"{prefix}{i:03d}.png"
        split = split_for(name)
        if len(found[split]) < per_split[split]:
            found[split].append(name)
        i += 1
    return found


@pytest.mark.slow
def test_folder_build_skips_and_counts_bad_files(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "images"
    files = bad_inputs.write_decoding_corpus(folder)
    (folder / "good").mkdir()
    os.symlink(folder, folder / "good" / "again")  # a folder loop: listed once
    good = names_in_each_split("good/g", {"train": 2, "validation": 1, "test": 1})
    for i, name in enumerate(sum(good.values(), [])):
        cv2.imwrite(str(folder / name), good_image(i, width=320))  # two windows each
    # denied.png (mode 000) is unreadable, also for root (see bad_inputs).
    monkeypatch.setattr(builtins, "open", bad_inputs.open_as_user(builtins.open))

    builder = build.build("folder", data_dir=tmp_path / "data", manual_dir=folder)
    out = capsys.readouterr().out
    assert f"building sketch_colorization/folder into {tmp_path / 'data'}" in out
    assert "preparing from local files (nothing is downloaded)" in out and "Unknown size" not in out

    # Expected outcome of every listed file, from the corpus's decoder table.
    listed = [os.path.relpath(p, folder) for p in images.find_images(folder)]
    # Listed besides the corpus: loop2.png.lnk is not; the folder loop adds
    # nothing; folder.png (a folder), missing.png, empty_dir and animated.gif
    # (not an extension of formats.IMAGE_EXTENSIONS) are not listed.
    corpus_names = {os.path.basename(p) for p in files.values()}
    assert sorted(set(listed) - corpus_names) == sorted(sum(good.values(), []))
    assert corpus_names - set(listed) == {"folder.png", "missing.png", "empty_dir", "animated.gif"}
    expected = collections.Counter({"kept": 4})
    for name in set(listed) & corpus_names:
        outcome = bad_inputs.DECODING.get(name, ("error", "permission denied"))  # denied.png
        expected["unreadable" if outcome[0] == "error" else outcome[2] or "kept"] += 1
    assert expected == {"unreadable": 10, "colorless": 5, "too small": 2, "kept": 4 + 6}

    counted = collections.Counter()
    for line in out.splitlines():
        m = re.search(
            r"(\w+): read (\d+) files, wrote (\d+) windows, skipped \d+ \(too small: "
            r"(\d+), colorless: (\d+), unreadable: (\d+)\)",
            line,
        )
        if m:
            split, read, wrote, small, colorless, unreadable = m.groups()
            assert int(wrote) == builder.info.splits[split].num_examples
            counted.update(
                {"read": int(read), "too small": int(small), "colorless": int(colorless), "unreadable": int(unreadable)}
            )
    assert counted == {"read": len(listed), "too small": 2, "colorless": 5, "unreadable": 10}

    sources = collections.Counter()
    for split in ("train", "validation", "test"):
        for ex in read_split(builder, split):
            source = ex["source_id"].decode()
            assert split_for(source) == split and not source.startswith("/")
            sources[source] += 1
    kept = {"rgb16.png": 1, "rgba.png": 2, "palette.png": 1, "cmyk.jpg": 1, "animated.webp": 1, "palette_opaque.png": 1}
    assert dict(sources) == {**dict.fromkeys(sum(good.values(), []), 2), **kept}


def test_build_refuses_bad_arguments(tmp_path):
    with pytest.raises(ColorizeError, match="unknown sketch_colorization config 'nope'"):
        build.build("nope", data_dir=tmp_path)
    with pytest.raises(ColorizeError, match="needs manual_dir"):
        build.build("folder", data_dir=tmp_path)
    with pytest.raises(ColorizeError, match="no such folder"):
        build.build("folder", data_dir=tmp_path, manual_dir=tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("no images here")
    with pytest.raises(ColorizeError, match="empty: no images"):
        build.build("folder", data_dir=tmp_path, manual_dir=tmp_path / "empty")
    with pytest.raises(ColorizeError, match="only used by the folder, openclipart and line_art configs"):
        build.build("synthetic", data_dir=tmp_path, manual_dir=tmp_path)


@pytest.mark.slow
def test_split_without_usable_images_fails_clearly(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    names = names_in_each_split("p", {"train": 2, "validation": 1, "test": 1})
    for i, name in enumerate(names["train"] + names["test"]):
        cv2.imwrite(str(folder / name), good_image(i))
    cv2.imwrite(str(folder / names["validation"][0]), np.full((300, 300, 3), 128, np.uint8))
    with pytest.raises(
        ColorizeError,
        match=r"the validation split got no usable window from "
        r"its 1 files \(too small: 0, colorless: 1, ",
    ):
        build.build("folder", data_dir=tmp_path / "data", manual_dir=folder)
    # Nothing half-built is left under the final name.
    assert not (tmp_path / "data" / "sketch_colorization" / "folder" / "1.1.0").exists()


def test_too_few_images_fail_before_decoding(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    names = names_in_each_split("p", {"train": 2, "validation": 1, "test": 0})
    for name in names["train"] + names["validation"]:
        (folder / name).write_bytes(b"never decoded")
    with pytest.raises(ColorizeError, match=r"too few images \(3\): none falls in the test split"):
        build.build("folder", data_dir=tmp_path / "data", manual_dir=folder)


def test_build_reuses_a_built_dataset(tiny_data_dir, capsys):
    builder = build.build("synthetic_tiny", data_dir=tiny_data_dir)
    assert "already built" in capsys.readouterr().out
    assert builder.info.splits["train"].num_examples == 45
