"""The per-source work of a `sketch_colorization` build, and what the
builder writes and counts.

`SourceExamples` is the body of a build: one source (a synthetic seed, an
image file, or a clip art's SVG and PNG) -> decoded or drawn, cut into
windows, filtered, sketches extracted -> (key, example) pairs, each source
counted as read, written or skipped (and why). The builder
(`dataset_builder/sketch_colorization`) calls it in a loop, or on Apache
Beam in `beam.FlatMap`; it lives here rather than beside the builder because
Beam workers (other processes, other machines) unpickle it by importing its
module, and `tfds build dataset_builder/sketch_colorization` loads the
builder's file under a module name that only the launching process knows,
while `colorize` is installed wherever the build runs.

The builder imports this module; this module never imports the builder
(`colorize.data.build` does, to run a build).
"""

import hashlib
import os

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds
from absl import logging

from colorize.data import images, sketch, synthetic
from colorize.errors import ColorizeError, ImageError

NAME = "sketch_colorization"
"""The dataset's TFDS name."""

SKIP_REASONS = ("too small", "colorless", "unreadable")
"""Why a source gives no window, in the order the build summary lists them."""

SOURCES = ("synthetic", "folder", "openclipart", "line_art")
"""What a build's items are (see `SourceExamples`)."""

COUNTERS = ("read", "windows", *SKIP_REASONS, "svg windows", "png windows")
"""Names of the Beam counters of each split (namespace `counter_namespace(split)`)."""


def counter_namespace(split):
    """The Beam metrics namespace of one split's counters, e.g.
    "sketch_colorization/train"."""
    return f"{NAME}/{split}"


SPLITS = (("train", 80), ("validation", 10), ("test", 10))
"""Split names and their percentages of the sources."""


def split_for(source_id):
    """The split of a source, from a stable hash of its id.

    The hash (SHA-256, not Python's salted `hash`) never changes between
    runs, machines or builds, and every window of one source lands in the
    split of that source, so no test image leaks into training. The builder
    splits by this; the `line_art` config passes a drawing's group instead
    of its id, and `colorize.data.line_art_sources` writes the same split
    into its manifest.

    Args:
      source_id: str, e.g. "synthetic/00042", "cats/img_001.png" or a
        `line_art` group such as "grinning_face".

    Returns:
      "train", "validation" or "test" (80/10/10 percent of sources).
    """
    bucket = int.from_bytes(hashlib.sha256(source_id.encode("utf-8")).digest()[:8], "big") % 100
    for name, percent in SPLITS:
        if bucket < percent:
            return name
        bucket -= percent
    raise AssertionError("SPLITS percentages must sum to 100")


class SourceExamples:
    """The examples of one source image: the body of the build's `beam.FlatMap`.

    Picklable (plain attributes), so that any Beam runner ships it to its
    workers; a build without Beam calls it in a loop. Each call counts the
    source as read, and its windows or the reason it was skipped, in
    `self.counts` and in Beam counters of the split's namespace (no-ops
    outside a pipeline); an unreadable file is also logged as
    `skipped SOURCE_ID: REASON`.

    Args:
      split: the split's name (the counters' namespace).
      source: what items carry: "synthetic" (seeds), "folder" (image
        paths), "openclipart" ((svg path, png path) pairs, either None:
        the SVG is rendered with `images.render_svg`, the PNG is the
        fallback when the SVG cannot be rendered) or "line_art" ((color
        path, line path or None) pairs, `line_art_sources`: the artist's
        line art is the sketch where it exists, `sketch.prepare_pair_examples`,
        else the paper's extraction of the drawing trimmed to its content).
    """

    def __init__(self, split, source):
        if source not in SOURCES:
            raise ColorizeError(f"unknown source {source!r}; choose one of {', '.join(SOURCES)}")
        self.split, self.source = split, source
        # {name: int}, names as COUNTERS: the split's totals in a plain loop;
        # on Beam each worker counts in its own copy, the Beam counters add up.
        self.counts = dict.fromkeys(COUNTERS, 0)

    def _count(self, name, n=1):
        self.counts[name] += n
        tfds.core.lazy_imports.apache_beam.metrics.Metrics.counter(counter_namespace(self.split), name).inc(n)

    def __call__(self, item):
        """Yields (key, example) for every usable window of one source.

        Args:
          item: (source_id, path) for a folder, (source_id, seed) for
            synthetic images, (source_id, (svg path, png path)) for clip art.

        Yields:
          ("SOURCE_ID/INDEX", {"sketch": (256, 256, 1) uint8, "sketch_binary":
          (256, 256, 1) uint8 (0 or 255), "color": (256, 256, 3) uint8 RGB,
          "source_id": str}); the key depends on the source alone, so every
          runner writes the same shards.
        """
        source_id, value = item
        self._count("read")
        drawn_from = None
        try:
            line = None
            if self.source == "folder":
                bgr = images.load_image(value, name=source_id, min_short_side=sketch.SIZE)
            elif self.source == "line_art":
                bgr, line = self._line_art(source_id, *value)
            elif self.source == "openclipart":
                bgr, drawn_from = self._clip_art(source_id, *value)
            else:
                bgr = synthetic.generate(value)
        except ImageError as e:
            logging.warning("skipped %s", e)
            self._count("unreadable")
            return
        if self.source == "line_art":
            windows, reason = sketch.prepare_pair_examples(bgr, line)
        else:
            windows, reason = sketch.prepare_examples(bgr)
        del bgr, line  # keep one decoded image alive at a time
        if reason:
            self._count(reason)
            return
        self._count("windows", len(windows))
        if drawn_from:
            self._count(f"{drawn_from} windows", len(windows))
        for index, (color, line, binary) in enumerate(windows):
            yield (
                f"{source_id}/{index}",
                {
                    "sketch": line[..., None],
                    "sketch_binary": binary[..., None],
                    "color": np.ascontiguousarray(color[..., ::-1]),  # BGR -> RGB
                    "source_id": source_id,
                },
            )

    @staticmethod
    def _line_art(source_id, color_path, line_path):
        """(BGR image, gray line art or None) of one `line_art` source.

        Raises:
          ImageError: either file cannot be read, or the two differ in size.
        """
        bgr = images.load_image(color_path, name=source_id)
        if not line_path:
            return bgr, None
        line = images.load_image(line_path, name=f"{source_id} (line art)")
        if line.shape != bgr.shape:
            raise ImageError(source_id, f"line art {line.shape[1]}x{line.shape[0]} is not the color image's size")
        return bgr, np.ascontiguousarray(line.min(axis=-1))

    @staticmethod
    def _clip_art(source_id, svg_path, png_path):
        """(BGR image, "svg" or "png") of one clip art: its SVG rendered at
        a 512 px short side, else (no SVG, or librsvg fails on it) its PNG.

        Raises:
          ImageError: neither file gives an image (the last reason).
        """
        error = None
        if svg_path:
            try:
                return images.render_svg(svg_path, name=source_id), "svg"
            except ImageError as e:
                error = e
        if png_path:
            return images.load_image(png_path, name=source_id, min_short_side=sketch.SIZE), "png"
        raise error or ImageError(source_id, "neither an SVG nor a PNG file")


def clip_art_sources(root):
    """The clip art of the Debian packages openclipart-svg and
    openclipart-png, as (source_id, (svg path, png path)) items.

    The packages hold the same drawings twice (`svg/REL.svg` and
    `png/REL.png`), and many drawings more than once, filed under several
    categories (`animals/x.svg` and `animals/birds/x.svg`). A drawing is one
    source, named by its file name without the extension: the first
    occurrence in sorted path order is kept, so no drawing lands in two
    splits.

    Args:
      root: the folder holding `svg/` and/or `png/` (the packages install
        /usr/share/openclipart).

    Returns:
      sorted list of ("openclipart/NAME", (svg path or None, png path or None)).

    Raises:
      ColorizeError: neither `svg/` nor `png/` holds any file.
    """
    root = os.fspath(root)
    found = {}
    for kind, ext in (("svg", ".svg"), ("png", ".png")):
        folder = os.path.join(root, kind)
        if not os.path.isdir(folder):
            continue
        paths = []
        for dirpath, _, files in os.walk(folder):
            paths.extend(os.path.join(dirpath, f) for f in files if f.lower().endswith(ext))
        for path in sorted(paths, key=lambda p: os.path.relpath(p, folder).split(os.sep)):
            name = os.path.splitext(os.path.basename(path))[0]
            pair = found.setdefault(name, {})
            pair.setdefault(kind, path)
    if not found:
        raise ColorizeError(
            f"{root}: no clip art (svg/*.svg or png/*.png); install it with "
            "`apt-get install openclipart-svg openclipart-png` or pass --manual_dir"
        )
    return [(f"openclipart/{name}", (pair.get("svg"), pair.get("png"))) for name, pair in sorted(found.items())]


LINE_ART_MANIFEST = "manifest.tsv"
"""The index of a `line_art` folder (`line_art_sources`)."""


def line_art_sources(root):
    """The drawings of a `line_art` folder, as build items.

    The folder holds renders of colored drawings and, where the artist drew
    them, their line art, listed in `manifest.tsv` (tab-separated, a header
    row, columns `source`, `id`, `group`, `color`, `line` and more; paths
    relative to the folder, `line` empty where there is none), as
    `python -m colorize.data.line_art_sources` writes it. A drawing's split
    is `split_for(group)`, so the same subject in several emoji sets never
    lands in two splits.

    Args:
      root: the folder.

    Returns:
      sorted list of ("SOURCE/ID", (color path, line path or None), group).

    Raises:
      ColorizeError: no manifest, a manifest without its columns, or no rows.
    """
    import csv  # noqa: PLC0415 (only this config reads a manifest)

    path = os.path.join(os.fspath(root), LINE_ART_MANIFEST)
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
    except OSError as e:
        raise ColorizeError(
            f"{path}: cannot read the line-art manifest ({e.strerror}); make the folder with "
            "`python -m colorize.data.line_art_sources --out DIR`"
        ) from None
    needed = {"source", "id", "group", "color", "line"}
    if not rows or not needed <= set(rows[0]):
        raise ColorizeError(f"{path}: no rows with the columns {', '.join(sorted(needed))}")
    items = []
    for row in rows:
        line = os.path.join(root, row["line"]) if row["line"] else None
        items.append((f"{row['source']}/{row['id']}", (os.path.join(root, row["color"]), line), row["group"]))
    return sorted(items)


CLIP_ART_ROOT = "/usr/share/openclipart"
"""Where the Debian packages openclipart-svg and openclipart-png install."""


class CanonicalExampleWriter(tfds.core.ExampleWriter):
    """TFDS's example writer, with every record in protobuf's deterministic form.

    A `tf.train.Example` holds its features in a protobuf map, which
    serializes in an order that changes from process to process (upb seeds
    its hash tables per process), so the same example would be written as
    different bytes by different Beam workers. This writer re-serializes
    each record deterministically (map entries sorted by key): same
    examples, same shard bytes, whatever the runner and the number of
    workers. The length of a record does not change, so neither do TFDS's
    shard boundaries.
    """

    def write(self, path, examples):
        """Writes (key, serialized tf.train.Example) pairs to the file at `path`.

        Args:
          path: the shard's path.
          examples: iterable of (key, bytes).

        Returns:
          What `tfds.core.ExampleWriter.write` returns (the record positions
          for formats that keep them, else None).
        """
        return super().write(path, ((key, canonical_example(record)) for key, record in examples))


def canonical_example(record):
    """The deterministic serialization of a serialized `tf.train.Example`.

    Args:
      record: bytes of a `tf.train.Example`.

    Returns:
      bytes: the same example, its feature map in key order.
    """
    return tf.train.Example.FromString(record).SerializeToString(deterministic=True)


def split_counts(pipeline_result, splits):
    """The counters of a finished build, per split.

    Args:
      pipeline_result: the `beam.runners.runner.PipelineResult` of the build.
      splits: the split names.

    Returns:
      {split: {counter name: int}} with every name of COUNTERS (0 when a
      counter was never incremented). Committed values where the runner
      reports them, else attempted ones.
    """
    beam = tfds.core.lazy_imports.apache_beam
    counts = {split: dict.fromkeys(COUNTERS, 0) for split in splits}
    for split in splits:
        query = beam.metrics.metric.MetricsFilter().with_namespace(counter_namespace(split))
        for result in pipeline_result.metrics().query(query)["counters"]:
            value = result.committed if result.committed is not None else result.attempted
            counts[split][result.key.metric.name] += int(value or 0)
    return counts
