"""Training on several built datasets at once (`--dataset a+b`): a split is
both datasets' split, training draws from both in proportion to their
sizes, evaluation reads both in order, and sources keep their names."""

import collections
import pathlib

import cv2
import pytest
import tensorflow_datasets as tfds

from colorize import train, variants
from colorize.data import build, pipeline, synthetic
from colorize.errors import ColorizeError

TINY = "sketch_colorization/synthetic_tiny"
FOLDER = "sketch_colorization/folder"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A data folder of its own: the tiny synthetic data and a `folder` dataset of 24 scenes."""
    data = str(tmp_path_factory.mktemp("data"))
    build.build("synthetic_tiny", data_dir=data)
    folder = tmp_path_factory.mktemp("art")
    (folder / "scenes").mkdir()  # the windows' source: "scenes"
    for i in range(24):
        scene = synthetic.generate(1000 + i, 256, 256, synthetic.FULL_SCENES)
        cv2.imwrite(str(folder / "scenes" / f"{i:03d}.png"), scene)
    build.build("folder", data_dir=data, manual_dir=str(folder))
    return data


def _config(data_dir, dataset=f"{TINY}+{FOLDER}"):
    return variants.resolve("rebalance", "tiny", dataset=dataset, data_dir=data_dir)


def _sources(dataset):
    return [pipeline.source_of(e["source_id"].decode()) for e in tfds.as_numpy(dataset)]


def test_a_split_is_both_datasets_split(data_dir):
    combined = pipeline.ensure_dataset(_config(data_dir))
    tiny = pipeline.ensure_dataset(_config(data_dir, TINY))
    folder = pipeline.ensure_dataset(_config(data_dir, FOLDER))
    for split in ("train", "validation", "test"):
        sizes = pipeline.num_examples(tiny, split), pipeline.num_examples(folder, split)
        assert pipeline.num_examples(combined, split) == sum(sizes)
        # Evaluation reads every example once, both datasets interleaved evenly.
        examples = list(tfds.as_numpy(combined.as_dataset(split=split)))
        sources = [pipeline.source_of(e["source_id"].decode()) for e in examples]
        assert len(sources) == sum(sizes)
        assert sources.count("synthetic") == sizes[0] and sources.count("scenes") == sizes[1]
        for n in range(1, len(sources) + 1):  # any first n hold each dataset within one of its share
            assert abs(sources[:n].count("synthetic") - n * sizes[0] / sum(sizes)) <= 1
        counts = pipeline.source_counts(combined, split)
        assert counts == {k: v for k, v in {"scenes": sizes[1], "synthetic": sizes[0]}.items() if v}
    assert combined.info.full_name == f"{TINY}+{FOLDER}"


def test_the_interleave_spreads_each_dataset_evenly():
    order = pipeline.interleaved_order([6, 2, 0, 3])
    assert order.tolist() == [0, 3, 0, 1, 0, 3, 0, 0, 1, 3, 0]  # at (i + 1/2) / n: 1/12, 1/6, 3/12, 1/4, ...
    assert pipeline.interleaved_order([0]).tolist() == []


def test_training_draws_from_both_in_proportion(data_dir):
    combined = pipeline.ensure_dataset(_config(data_dir))
    tiny = pipeline.num_examples(pipeline.ensure_dataset(_config(data_dir, TINY)), "train")
    total = pipeline.num_examples(combined, "train")
    stream = combined.as_dataset(split="train", shuffle_files=True, read_config=tfds.ReadConfig(shuffle_seed=3))
    counts = collections.Counter(_sources(stream.take(600)))
    # 600 draws with p = tiny / total: the share's standard deviation is about 2 points.
    assert abs(counts["synthetic"] / 600 - tiny / total) < 0.08, (counts, tiny, total)
    assert counts["scenes"] > 0


def test_a_run_trains_on_both_and_caches_their_prior_apart(data_dir, tmp_path):
    run_dir = str(tmp_path / "run")
    args = ["--variant", "rebalance", "--preset", "tiny", "--run-dir", run_dir, "--data-dir", data_dir]
    train.run([*args, "--dataset", f"{TINY}+{FOLDER}", "--epochs", "1", "--steps-per-epoch", "2"])
    combined = pipeline.ensure_dataset(_config(data_dir))
    assert combined.data_dir != pipeline.ensure_dataset(_config(data_dir, TINY)).data_dir
    assert any(p.name.startswith("class_prior_") for p in pathlib.Path(combined.data_dir).iterdir())


@pytest.mark.parametrize("dataset", [f"{TINY}+{TINY}", f"{TINY}+", "sketch_colorization/nope+" + TINY])
def test_a_bad_combination_is_one_line(data_dir, dataset):
    with pytest.raises(ColorizeError, match="dataset"):
        pipeline.ensure_dataset(_config(data_dir, dataset))


@pytest.mark.parametrize(
    ("dataset", "message"),
    [
        (
            "sketch_colorization/nope",
            "dataset 'sketch_colorization/nope': sketch_colorization has no config 'nope'; "
            "choose one of synthetic, synthetic_tiny, folder, line_art, openclipart",
        ),
        ("nope_ds/x", "dataset 'nope_ds/x': Dataset nope_ds not found."),
    ],
)
def test_an_unknown_dataset_names_what_there_is(data_dir, dataset, message):
    with pytest.raises(ColorizeError) as error:
        pipeline.ensure_dataset(_config(data_dir, dataset))
    assert str(error.value) == message


def test_of_several_datasets_the_missing_ones_are_said_with_what_is_built(data_dir):
    with pytest.raises(ColorizeError) as failed:
        pipeline.ensure_dataset(_config(data_dir, f"{TINY}+sketch_colorization/line_art+{FOLDER}"))
    message = str(failed.value)
    assert message.startswith(f"dataset 'sketch_colorization/line_art' is not built in {data_dir}; ")
    assert message.endswith(f"; or use what is built: --dataset {TINY}+{FOLDER}") and "\n" not in message


def test_a_dataset_not_built_is_one_line_with_a_recipe_that_builds_it(tmp_path):
    data = str(tmp_path / "data")
    with pytest.raises(ColorizeError) as failed:
        pipeline.ensure_dataset(_config(data, "sketch_colorization/line_art"))
    assert "python -m colorize.data.line_art_sources --out DIR" in str(failed.value)
    # Of several, every missing one is said at once (each build takes minutes).
    both = "sketch_colorization/line_art+sketch_colorization/openclipart"
    with pytest.raises(ColorizeError) as failed:
        pipeline.ensure_dataset(_config(data, both))
    message = str(failed.value)
    assert "\n" not in message and "line_art_sources" in message and "apt-get install openclipart-svg" in message
    assert message.count(f"is not built in {data}") == 2 and "--dataset" not in message
    with pytest.raises(ColorizeError) as failed:
        pipeline.ensure_dataset(_config(data, FOLDER))
    message = str(failed.value)
    assert "\n" not in message and f"is not built in {data}" in message
    # Its command, with DIR a folder of color images, builds it.
    art = tmp_path / "art"
    art.mkdir()
    for i in range(30):  # (enough for the 80/10/10 split's hash to give every split some)
        cv2.imwrite(str(art / f"{i}.png"), synthetic.generate(2000 + i, 256, 256, synthetic.FULL_SCENES))
    code = message.split('python -c "')[1].split('"`')[0]
    exec(code.replace("'DIR'", repr(str(art))), {})
    assert pipeline.num_examples(pipeline.ensure_dataset(_config(data, FOLDER)), "train") > 0
