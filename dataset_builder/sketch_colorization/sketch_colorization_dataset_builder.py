"""sketch_colorization dataset: (line sketch, color) pairs made as in the paper."""

import dataclasses
import pathlib
import re
import time

import tensorflow_datasets as tfds

from colorize import formats
from colorize.data import examples, images, sketch
from colorize.data.examples import SPLITS, split_for
from colorize.errors import ColorizeError

_LOG_EVERY_S = 15.0  # Seconds between progress lines of a build without Beam.


@dataclasses.dataclass
class BuilderConfig(tfds.core.BuilderConfig):
    """Where the color images come from.

    Attributes:
      source: "synthetic" (`colorize.data.synthetic.generate`) or "folder" (the
        images under --manual_dir).
      num_images: how many synthetic images (seeds 0..num_images-1).
    """

    source: str = "synthetic"
    num_images: int = 0


def _say(message):
    """Progress and summary lines: printed, so that both `tfds build` and a
    program calling `build()` show them (absl's INFO log is often hidden)."""
    print(message, flush=True)


class Builder(tfds.core.GeneratorBasedBuilder):
    """DatasetBuilder for sketch_colorization."""

    VERSION = tfds.core.Version("1.1.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release.",
        "1.1.0": "Synthetic images: 40 % are objects on a white page (no sky, ground or table); "
        "the openclipart config (SVGs rendered with librsvg); the line_art config (artists' outlines).",
    }
    MANUAL_DOWNLOAD_INSTRUCTIONS = """\
    The `folder` config needs files: put colored illustrations (PNG, JPEG,
    WebP, BMP or TIFF, in any subfolders) in one folder and pass it as --manual_dir.
    The paper crawled zerochan.net (hand-drawn, mostly colored illustrations);
    a crawl must respect the site's terms and robots.txt. Any collection you
    may use works, for example your own drawings or CC0 clip art
    (`apt-get install openclipart-png`, then
    --manual_dir=/usr/share/openclipart/png). Files smaller than 256 px on
    their short side, colorless ones and unreadable ones are skipped and
    counted. Each file's split follows from a hash of its path relative to
    the folder, so adding files never moves the old ones between splits.
    The `line_art` config reads the folder that
    `python -m colorize.data.line_art_sources --out DIR` makes (see README.md).
    """
    BUILDER_CONFIGS = [
        BuilderConfig(
            name="synthetic",
            source="synthetic",
            num_images=3000,
            description="3000 procedural illustrations (offline, about a minute).",
        ),
        BuilderConfig(
            name="synthetic_tiny",
            source="synthetic",
            num_images=48,
            description="48 procedural illustrations, for tests and smoke runs.",
        ),
        BuilderConfig(name="folder", source="folder", description="Your own colored illustrations from --manual_dir."),
        BuilderConfig(
            name="line_art",
            source="line_art",
            description=(
                "Emoji and game art with their artists' outlines (OpenMoji's black SVGs as the sketch of its "
                "color SVGs; Fluent Emoji Flat, Twemoji, Noto; flare-game and freedroidrpg-data): the folder "
                "`python -m colorize.data.line_art_sources --out DIR` makes, as --manual_dir; split by subject."
            ),
        ),
        BuilderConfig(
            name="openclipart",
            source="openclipart",
            description=(
                "Public-domain clip art of the Debian packages openclipart-svg and openclipart-png "
                "(/usr/share/openclipart, or --manual_dir): each drawing's SVG rendered at a 512 px "
                "short side, its PNG where the SVG does not render."
            ),
        ),
    ]
    DEFAULT_CONFIG_NAME = "synthetic"

    def _log_download_bytes(self):
        """TFDS's line before a build ("Downloading and preparing dataset
        Unknown size ..."): nothing is downloaded here, so say where it goes."""
        _say(f"{self.info.full_name}: preparing from local files (nothing is downloaded) into {self.data_dir}")

    def _info(self) -> tfds.core.DatasetInfo:
        """Returns the dataset metadata."""
        size = sketch.SIZE
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    "sketch": tfds.features.Image(shape=(size, size, 1)),
                    "sketch_binary": tfds.features.Image(shape=(size, size, 1)),
                    "color": tfds.features.Image(shape=(size, size, 3)),
                    "source_id": tfds.features.Text(),
                }
            ),
            supervised_keys=("sketch", "color"),
            homepage="https://github.com/yinoue93/CS231N_final_proj",
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        """Returns one generator per split, each over the sources hashed to it."""
        config = self.builder_config
        split_keys = {}
        if config.source == "openclipart":
            sources = examples.clip_art_sources(_manual_dir_or(dl_manager, examples.CLIP_ART_ROOT))
        elif config.source == "line_art":
            listed = examples.line_art_sources(dl_manager.manual_dir)
            sources = [(source_id, value) for source_id, value, _ in listed]
            # One subject (say, "grinning face" in four emoji sets) is one split.
            split_keys = {source_id: group for source_id, _, group in listed}
        elif config.source == "folder":
            root = pathlib.Path(dl_manager.manual_dir)
            paths = images.find_images(root)
            if not paths:
                raise ColorizeError(f"{root}: no images ({', '.join(formats.IMAGE_EXTENSIONS)}) in this folder")
            sources = [(pathlib.Path(p).relative_to(root).as_posix(), p) for p in paths]
        else:
            sources = [(f"synthetic/{seed:05d}", seed) for seed in range(config.num_images)]
        by_split = {name: [] for name, _ in SPLITS}
        for source_id, item in sources:
            by_split[split_for(split_keys.get(source_id, source_id))].append((source_id, item))
        _say(
            f"{self.info.full_name}: {len(sources)} sources ("
            + ", ".join(f"{k}: {len(v)}" for k, v in by_split.items())
            + ")"
        )
        empty = [name for name, items in by_split.items() if not items]
        if empty:  # Fail now rather than after decoding everything else.
            raise ColorizeError(
                f"{self.info.full_name}: too few images ({len(sources)}): none falls in the "
                f"{' and '.join(empty)} split; the splits get 80/10/10 percent of the files "
                "by a hash of their path, so use a few dozen images or more"
            )
        self._split_sizes = {name: len(items) for name, items in by_split.items()}
        self._started = time.monotonic()
        return {name: self._generate_examples(name, items) for name, items in by_split.items()}

    def _download_and_prepare(self, dl_manager, download_config):
        """Builds on Apache Beam when Beam options or a runner are given
        (`tfds build --beam_pipeline_options=...`, `build(workers=N)`), else
        with a plain loop in this process, which has none of Beam's fixed
        costs. Both write the same bytes."""
        self._use_beam = bool(download_config.beam_options or download_config.beam_runner)
        try:
            return super()._download_and_prepare(dl_manager, download_config)
        except Exception as e:
            # On Beam, TFDS's writer fails inside the pipeline on a split
            # without examples, before the counters could be reported.
            empty = re.search(r"generated examples is 0 for split (\w+)", str(e)) if self._use_beam else None
            if not empty:
                raise
            split = empty.group(1)
            raise ColorizeError(
                f"{self.info.full_name}: the {split} split got no usable window from its "
                f"{self._split_sizes[split]} files (each was too small, colorless or unreadable); add more "
                "images (the splits get 80/10/10 percent of the files by a hash of their path)"
            ) from None

    def _generate_examples(self, split, items):
        """The examples of a split: a Beam transform, or a generator.

        On Beam: `beam.Create` the split's sources, then
        `examples.SourceExamples` on each (in parallel on the runner's
        workers). Without Beam: the same `SourceExamples`, in a loop. The
        keys, "SOURCE_ID/WINDOW", depend on the source alone and TFDS orders
        the examples by a hash of their key, so every runner, any number of
        workers and the plain loop write the same shards, byte for byte.

        Args:
          split: the split name (names its Beam counters).
          items: list of (source_id, seed or path).

        Returns:
          A `beam.PTransform` from the pipeline to a PCollection of (key,
          example), or an iterator of (key, example).
        """
        make = examples.SourceExamples(split, self.builder_config.source)
        if not getattr(self, "_use_beam", False):
            return self._serial_examples(split, items, make)
        beam = tfds.core.lazy_imports.apache_beam
        return beam.Create(items, reshuffle=True) | "Examples" >> beam.FlatMap(make)

    def _serial_examples(self, split, items, make):
        """Yields a split's examples from a loop in this process, with a
        progress line every _LOG_EVERY_S seconds and the split's summary."""
        start = last_log = time.monotonic()
        for done, item in enumerate(items, 1):
            yield from make(item)
            now = time.monotonic()
            if now - last_log >= _LOG_EVERY_S:
                last_log = now
                _say(
                    f"{self.info.full_name} {split}: {done}/{len(items)} files, {make.counts['windows']} "
                    f"windows, {sum(make.counts[r] for r in examples.SKIP_REASONS)} skipped, "
                    f"{done / (now - start):.2f} files/s"
                )
        self._report({split: make.counts}, time.monotonic() - start, rates=True)

    def _report(self, counts, seconds, rates=False):
        """Prints each split's summary and the throughput; fails on a split
        without any window.

        Args:
          counts: {split: {counter name: int}}, names as `examples.COUNTERS`.
          seconds: the time the counted work took.
          rates: also print each split's files/s (when it ran alone).

        Raises:
          ColorizeError: a split got no usable window.
        """
        seconds = max(seconds, 1e-9)
        for split, count in counts.items():
            _say(
                f"{self.info.full_name} {split}: read {count['read']} files, wrote {count['windows']} "
                f"windows{_drawn_from(count)}, skipped {sum(count[r] for r in examples.SKIP_REASONS)} "
                f"({_reasons(count)})" + (f"; {count['read'] / seconds:.2f} files/s" if rates else "")
            )
        for split, count in counts.items():
            if not count["windows"]:
                raise ColorizeError(
                    f"{self.info.full_name}: the {split} split got no usable window from its "
                    f"{self._split_sizes[split]} files ({_reasons(count)}); add more images (the splits "
                    "get 80/10/10 percent of the files by a hash of their path)"
                )

    def _example_writer(self):
        """Writes each example in protobuf's deterministic serialization, so
        that the shards' bytes do not depend on the worker processes."""
        return examples.CanonicalExampleWriter(file_format=self.info.file_format)

    def _process_pipeline_result(self, pipeline_result):
        """After a Beam build: reports what each split read, wrote and
        skipped, from the workers' Beam counters, and the throughput.

        Args:
          pipeline_result: the finished build's `PipelineResult`.

        Raises:
          ColorizeError: a split got no usable window.
        """
        seconds = time.monotonic() - self._started
        counts = examples.split_counts(pipeline_result, list(self._split_sizes))
        read = sum(count["read"] for count in counts.values())
        _say(f"{self.info.full_name}: {read} files in {seconds:.1f} s on Beam, {read / seconds:.2f} files/s")
        self._report(counts, seconds)


def _reasons(count):
    """The text "too small: a, colorless: b, unreadable: c" of a split's counters."""
    return ", ".join(f"{reason}: {count[reason]}" for reason in examples.SKIP_REASONS)


def _drawn_from(count):
    """ " (svg: a, png: b)" for clip art, where windows came from either file."""
    if not (count["svg windows"] or count["png windows"]):
        return ""
    return f" (from SVG: {count['svg windows']}, from PNG: {count['png windows']})"


def _manual_dir_or(dl_manager, default):
    """--manual_dir when it was given, else `default` (TFDS's manual_dir
    property raises when its own default folder does not exist)."""
    try:
        return dl_manager.manual_dir or default
    except AssertionError:
        return default
