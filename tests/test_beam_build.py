"""The dataset build on Apache Beam: two worker processes write exactly the
shards, byte for byte, of the build without Beam (a loop in this process),
and skipped files are still counted and named."""

import collections
import glob
import os
import re

import cv2
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from colorize.data import build, examples, images, synthetic
from colorize.errors import ColorizeError
from dataset_builder.sketch_colorization import split_for

SPLITS = ("train", "validation", "test")


def shards(data_dir, config):
    """{file name: bytes} of every TFRecord shard of a built config."""
    paths = glob.glob(os.path.join(data_dir, "sketch_colorization", config, "1.1.0", "*.tfrecord-*"))
    assert paths
    return {os.path.basename(p): open(p, "rb").read() for p in paths}


def raw_records(data_dir, config, split):
    """The split's serialized records, in the order the shards hold them."""
    paths = sorted(glob.glob(os.path.join(data_dir, "sketch_colorization", config, "1.1.0", f"*-{split}.tfrecord-*")))
    return list(tf.data.TFRecordDataset(paths).as_numpy_iterator())


def read_examples(builder, split):
    """[(source_id, sketch, sketch_binary, color bytes)] of a split, in order."""
    return [
        (e["source_id"].decode(), e["sketch"].tobytes(), e["sketch_binary"].tobytes(), e["color"].tobytes())
        for e in tfds.as_numpy(builder.as_dataset(split=split))
    ]


def serial_examples(items, source):
    """{split: sorted examples} made by a plain loop over the sources, no
    Beam: the reference a parallel build must equal."""
    found = {split: [] for split in SPLITS}
    for source_id, item in items:
        split = split_for(source_id)
        for key, ex in examples.SourceExamples(split, source)((source_id, item)):
            assert key.startswith(f"{source_id}/")
            found[split].append(
                (source_id, ex["sketch"].tobytes(), ex["sketch_binary"].tobytes(), ex["color"].tobytes())
            )
    return {split: sorted(v) for split, v in found.items()}


@pytest.mark.slow
def test_two_workers_write_the_bytes_of_the_serial_build(tiny_data_dir, tmp_path):
    # tiny_data_dir: built by build()'s default, without Beam.
    data_dir = str(tmp_path / "tfds")
    builder = build.build("synthetic_tiny", data_dir=data_dir, workers=2)  # two processes
    serial, beam = shards(tiny_data_dir, "synthetic_tiny"), shards(data_dir, "synthetic_tiny")
    assert sorted(beam) == sorted(serial)  # the same shard files
    for name in serial:
        assert beam[name] == serial[name], name  # byte for byte
    reference = serial_examples([(f"synthetic/{seed:05d}", seed) for seed in range(48)], source="synthetic")
    for split in SPLITS:
        written = read_examples(builder, split)
        assert len(written) == {"train": 45, "validation": 3, "test": 5}[split]
        assert sorted(written) == reference[split]
    # The shards hold protobuf's deterministic form (feature map sorted by key).
    for split in SPLITS:
        for record in raw_records(data_dir, "synthetic_tiny", split):
            assert examples.canonical_example(record) == record


def write_folder(folder):
    """Good images (at least one per split), a too-small, a colorless and a
    broken file; returns the number of windows the good images give."""
    folder.mkdir()
    wanted = {"train": 3, "validation": 1, "test": 1}
    i = windows = 0
    while any(wanted.values()):
        name = f"art/{i:03d}.png"
        split = split_for(name)
        if wanted[split]:
            wanted[split] -= 1
            width = 320 if i % 2 else 256  # two windows or one
            os.makedirs(folder / "art", exist_ok=True)
            cv2.imwrite(str(folder / name), synthetic.generate(i, 256, width, synthetic.FULL_SCENES))
            windows += 2 if width == 320 else 1
        i += 1
    cv2.imwrite(str(folder / "small.png"), synthetic.generate(99, 256, 256, synthetic.FULL_SCENES)[:200, :120])
    cv2.imwrite(str(folder / "gray.png"), np.full((300, 300, 3), 128, np.uint8))
    (folder / "broken.png").write_bytes(b"not a PNG at all")
    return windows


@pytest.mark.slow
def test_folder_build_on_two_workers_counts_and_names_skipped_files(tmp_path, capfd):
    folder = tmp_path / "images"
    windows = write_folder(folder)
    serial_dir, beam_dir = str(tmp_path / "serial"), str(tmp_path / "beam")
    build.build("folder", data_dir=serial_dir, manual_dir=folder)
    capfd.readouterr()
    builder = build.build("folder", data_dir=beam_dir, manual_dir=folder, workers=2)
    out, err = capfd.readouterr()
    assert shards(beam_dir, "folder") == shards(serial_dir, "folder")  # names and bytes

    paths = images.find_images(folder)
    items = [(os.path.relpath(p, folder), p) for p in paths]
    reference = serial_examples(items, source="folder")
    assert sum(len(v) for v in reference.values()) == windows
    for split in SPLITS:
        assert sorted(read_examples(builder, split)) == reference[split]

    # The counts come from the workers' Beam counters, summed per split.
    totals = collections.Counter()
    for split, read, wrote, small, colorless, bad in re.findall(
        r"folder/1.1.0 (\w+): read (\d+) files, wrote (\d+) windows, skipped \d+ \(too small: (\d+), "
        r"colorless: (\d+), unreadable: (\d+)\)",
        out,
    ):
        assert int(wrote) == builder.info.splits[split].num_examples
        totals.update({"read": int(read), "too small": int(small), "colorless": int(colorless), "unreadable": int(bad)})
    assert totals == {"read": len(paths), "too small": 1, "colorless": 1, "unreadable": 1}
    assert re.search(rf"folder/1.1.0: {len(paths)} files in [\d.]+ s on Beam, [\d.]+ files/s", out)
    # The unreadable file is named, with its reason, by the worker that read it.
    assert re.search(r"skipped broken.png: not an image \(unrecognized format\)", err)
    assert not re.search(r"skipped (small|gray).png", err)


def test_pipeline_options():
    def flags(options):
        got = options.get_all_options()
        return got["runner"], got["direct_num_workers"], got["direct_running_mode"]

    assert build.pipeline_options() is None  # no Beam
    assert flags(build.pipeline_options(workers=1)) == ("DirectRunner", 1, "in_memory")
    assert flags(build.pipeline_options(workers=3)) == ("DirectRunner", 3, "multi_processing")
    given = "runner=DirectRunner,direct_num_workers=4,direct_running_mode=multi_threading"
    assert flags(build.pipeline_options(beam_options=given)) == ("DirectRunner", 4, "multi_threading")
    with pytest.raises(ColorizeError, match=r"^workers must be a positive integer, not 0$"):
        build.pipeline_options(workers=0)
    with pytest.raises(ColorizeError, match="either workers or beam_options"):
        build.pipeline_options(workers=2, beam_options=given)
    with pytest.raises(ColorizeError, match=r"direct_num_workers: invalid int value: 'two'"):
        build.pipeline_options(beam_options="direct_num_workers=two")


def test_canonical_example_sorts_the_feature_map():
    example = tf.train.Example()
    for name in ("source_id", "sketch", "color"):  # inserted out of order
        example.features.feature[name].bytes_list.value.append(name.encode())
    canonical = examples.canonical_example(example.SerializeToString())
    assert tf.train.Example.FromString(canonical) == example
    assert [canonical.index(name) for name in (b"color", b"sketch", b"source_id")] == sorted(
        canonical.index(name) for name in (b"color", b"sketch", b"source_id")
    )


@pytest.mark.slow
def test_beam_build_of_a_split_without_windows_fails_on_one_line(tmp_path):
    folder = tmp_path / "images"
    write_folder(folder)
    for path in images.find_images(folder):  # validation keeps only files without a window
        if split_for(os.path.relpath(path, folder)) == "validation":
            os.remove(path)
    name = next(f"v{i}.png" for i in range(100) if split_for(f"v{i}.png") == "validation")
    cv2.imwrite(str(folder / name), np.full((300, 300, 3), 128, np.uint8))  # colorless
    message = r"^sketch_colorization/folder/1.1.0: the validation split got no usable window from its 1 files "
    with pytest.raises(ColorizeError, match=message):
        build.build("folder", data_dir=tmp_path / "data", manual_dir=folder, workers=1)
    assert not (tmp_path / "data" / "sketch_colorization" / "folder" / "1.1.0").exists()
