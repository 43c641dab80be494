"""sketch_colorization dataset: (line sketch, color) pairs made as in the paper."""

import dataclasses
import hashlib
import pathlib
import time

from absl import logging
import numpy as np
import tensorflow_datasets as tfds

from colorize import sketch
from colorize import synthetic
from colorize.errors import ColorizeError
from colorize.errors import ImageError

SPLITS = (("train", 80), ("validation", 10), ("test", 10))
"""Split names and their percentages of the sources."""

_LOG_EVERY_S = 15.0  # Seconds between progress lines.


def split_for(source_id):
    """The split of a source, from a stable hash of its id.

    The hash (SHA-256, not Python's salted `hash`) never changes between
    runs, machines or builds, and every window of one source lands in the
    split of that source, so no test image leaks into training.

    Args:
      source_id: str, e.g. "synthetic/00042" or "cats/img_001.png".

    Returns:
      "train", "validation" or "test" (80/10/10 percent of sources).
    """
    bucket = int.from_bytes(hashlib.sha256(source_id.encode("utf-8")).digest()[:8], "big") % 100
    for name, percent in SPLITS:
        if bucket < percent:
            return name
        bucket -= percent
    raise AssertionError("SPLITS percentages must sum to 100")


@dataclasses.dataclass
class BuilderConfig(tfds.core.BuilderConfig):
    """Where the color images come from.

    Attributes:
      source: "synthetic" (`colorize.synthetic.generate`) or "folder" (the
        images under --manual_dir).
      num_images: how many synthetic images (seeds 0..num_images-1).
    """

    source: str = "synthetic"
    num_images: int = 0


def _say(message):
    """Progress and summary lines: printed, so that both `tfds build` and a
    program calling `build()` show them (absl's INFO log is often hidden)."""
    print(message, flush=True)


class _Stats:
    """Counts what one split read, wrote and skipped, and logs progress."""

    def __init__(self, name, split, total):
        self.name, self.split, self.total = name, split, total
        self.read = 0
        self.windows = 0
        self.skipped = {"too small": 0, "colorless": 0, "unreadable": 0}
        self.start = self.last_log = time.monotonic()

    def skip(self, reason):
        self.skipped[reason] += 1

    def tick(self):
        now = time.monotonic()
        if now - self.last_log >= _LOG_EVERY_S:
            self.last_log = now
            _say(f"{self.name} {self.split}: {self.read}/{self.total} files, {self.windows} "
                 f"windows, {sum(self.skipped.values())} skipped, "
                 f"{self.read / (now - self.start):.2f} files/s")

    def reasons(self):
        return ", ".join(f"{k}: {v}" for k, v in self.skipped.items())

    def summary(self):
        seconds = max(time.monotonic() - self.start, 1e-9)
        return (f"{self.name} {self.split}: read {self.read} files, wrote {self.windows} "
                f"windows, skipped {sum(self.skipped.values())} ({self.reasons()}); "
                f"{self.read / seconds:.2f} files/s")


class Builder(tfds.core.GeneratorBasedBuilder):
    """DatasetBuilder for sketch_colorization."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = """\
    Only the `folder` config needs files: put colored illustrations (PNG, JPEG,
    WebP or BMP, in any subfolders) in one folder and pass it as --manual_dir.
    The paper crawled zerochan.net (hand-drawn, mostly colored illustrations);
    a crawl must respect the site's terms and robots.txt. Any collection you
    may use works, for example your own drawings or CC0 clip art
    (`apt-get install openclipart-png`, then
    --manual_dir=/usr/share/openclipart/png). Files smaller than 256 px on
    their short side, colorless ones and unreadable ones are skipped and
    counted. Each file's split follows from a hash of its path relative to
    the folder, so adding files never moves the old ones between splits.
    """
    BUILDER_CONFIGS = [
        BuilderConfig(name="synthetic", source="synthetic", num_images=3000,
                      description="3000 procedural illustrations (offline, about a minute)."),
        BuilderConfig(name="synthetic_tiny", source="synthetic", num_images=48,
                      description="48 procedural illustrations, for tests and smoke runs."),
        BuilderConfig(name="folder", source="folder",
                      description="Your own colored illustrations from --manual_dir."),
    ]
    DEFAULT_CONFIG_NAME = "synthetic"

    def _info(self) -> tfds.core.DatasetInfo:
        """Returns the dataset metadata."""
        size = sketch.SIZE
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({
                "sketch": tfds.features.Image(shape=(size, size, 1)),
                "sketch_binary": tfds.features.Image(shape=(size, size, 1)),
                "color": tfds.features.Image(shape=(size, size, 3)),
                "source_id": tfds.features.Text(),
            }),
            supervised_keys=("sketch", "color"),
            homepage="https://github.com/yinoue93/CS231N_final_proj",
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        """Returns one generator per split, each over the sources hashed to it."""
        config = self.builder_config
        if config.source == "folder":
            root = pathlib.Path(dl_manager.manual_dir)
            paths = sketch.find_images(root)
            if not paths:
                raise ColorizeError(
                    f"{root}: no images ({', '.join(sketch.IMAGE_EXTENSIONS)}) in this folder")
            sources = [(pathlib.Path(p).relative_to(root).as_posix(), p) for p in paths]
        else:
            sources = [(f"synthetic/{seed:05d}", seed) for seed in range(config.num_images)]
        by_split = {name: [] for name, _ in SPLITS}
        for source_id, item in sources:
            by_split[split_for(source_id)].append((source_id, item))
        _say(f"{self.info.full_name}: {len(sources)} sources ("
             + ", ".join(f"{k}: {len(v)}" for k, v in by_split.items()) + ")")
        empty = [name for name, items in by_split.items() if not items]
        if empty:  # Fail now rather than after decoding everything else.
            raise ColorizeError(
                f"{self.info.full_name}: too few images ({len(sources)}): none falls in the "
                f"{' and '.join(empty)} split; the splits get 80/10/10 percent of the files "
                "by a hash of their path, so use a few dozen images or more")
        return {name: self._generate_examples(name, items) for name, items in by_split.items()}

    def _generate_examples(self, split, items):
        """Yields (key, example) for every usable window of every source.

        Args:
          split: the split name (for the log).
          items: list of (source_id, seed or path).
        """
        stats = _Stats(self.info.full_name, split, len(items))
        for source_id, item in items:
            stats.read += 1
            if self.builder_config.source == "folder":
                try:
                    bgr = sketch.load_image(item, name=source_id, min_short_side=sketch.SIZE)
                except ImageError as e:
                    logging.warning("skipped %s", e)
                    stats.skip("unreadable")
                    continue
            else:
                bgr = synthetic.generate(item)
            windows, reason = sketch.prepare_examples(bgr)
            del bgr  # keep one decoded image alive at a time
            if reason:
                stats.skip(reason)
                continue
            for index, (color, line, binary) in enumerate(windows):
                stats.windows += 1
                yield f"{source_id}/{index}", {
                    "sketch": line[..., None],
                    "sketch_binary": binary[..., None],
                    "color": np.ascontiguousarray(color[..., ::-1]),  # BGR -> RGB
                    "source_id": source_id,
                }
            stats.tick()
        _say(stats.summary())
        if not stats.windows:
            raise ColorizeError(
                f"{self.info.full_name}: the {split} split got no usable window from its "
                f"{len(items)} files ({stats.reasons()}); add more images (the splits get "
                "80/10/10 percent of the files by a hash of their path)")
