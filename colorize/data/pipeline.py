"""tf.data input pipeline: decode, pick a sketch kind, augment, batch, prefetch.

Examples come from the TFDS dataset built by
`dataset_builder/sketch_colorization` (features `sketch`, `sketch_binary`,
`color`). Targets are not stored: the losses build them in the graph from
the color image. With hints, each example also gets color hints simulated
from its color image (`colorize.data.simulated_hints`), keyed on the run's seed and the
example's position in the stream.
"""

import os
import types

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from colorize.data import build, examples, palettes
from colorize.data import simulated_hints as hint_sim
from colorize.errors import ColorizeError
from colorize.nets.models import HINT_COLOR, HINT_MASK, PALETTE, SKETCH

# The dataset `train` builds by itself when it is missing.
AUTO_BUILD = {"sketch_colorization/synthetic", "sketch_colorization/synthetic_tiny"}


def _split_name(dataset):
    name, _, config = dataset.partition("/")
    return name, config


def data_dir_of(config):
    """The TFDS data directory of a config ("" means TFDS's default)."""
    return config.data_dir or os.path.expanduser(tfds.core.constants.DATA_DIR)


class NotBuiltError(ColorizeError):
    """A dataset that is not built (and not built by itself), with how to build it."""

    def __init__(self, dataset, message):
        self.dataset = dataset
        super().__init__(message)


def ensure_dataset(config):
    """Returns the TFDS builder of `config.dataset`, building the built-in
    synthetic data first if it is missing; for several datasets joined by
    `+` (`sketch_colorization/line_art+sketch_colorization/openclipart`),
    a `Combined` of their builders.

    Raises:
        NotBuiltError: another dataset that is not built (of several, one
            message says how to build each that is missing, and names the
            ones that are built).
        ColorizeError: an unknown name, or a dataset named twice.
    """
    names = config.dataset.split("+")
    if len(names) > 1:
        if len(set(names)) != len(names) or not all(names):
            raise ColorizeError(f"dataset {config.dataset!r}: name each dataset once, joined by +")
        builders, missing = [], []
        for name in names:
            try:
                builders.append(ensure_dataset(config.replace(dataset=name)))
            except NotBuiltError as e:  # say every missing one at once: each build takes minutes
                missing.append(e)
        if missing:
            built = [name for name in names if name not in {e.dataset for e in missing}]
            alone = f"; or use what is built: --dataset {'+'.join(built)}" if built else ""
            raise NotBuiltError(config.dataset, "; ".join(str(e) for e in missing) + alone)
        return Combined(builders, data_dir_of(config))
    data_dir = data_dir_of(config)
    name, builder_config = _split_name(config.dataset)
    if name == examples.NAME and builder_config and builder_config not in build.config_names():
        raise ColorizeError(
            f"dataset {config.dataset!r}: {name} has no config {builder_config!r}; "
            f"choose one of {', '.join(build.config_names())}"
        )
    try:
        builder = tfds.builder(config.dataset, data_dir=data_dir)
    except Exception as e:  # TFDS raises several types for unknown names/configs.
        raise ColorizeError(f"dataset {config.dataset!r}: {str(e).splitlines()[0]}") from None
    if not _is_prepared(builder):
        if config.dataset not in AUTO_BUILD:
            raise NotBuiltError(
                config.dataset,
                f"dataset {config.dataset!r} is not built in {data_dir}; {_recipe(builder_config, data_dir)}",
            )
        print(f"dataset {config.dataset} is not built yet in {data_dir}: building it now (once)", flush=True)
        builder = build.build(config=builder_config, data_dir=data_dir)
    return builder


_MANUAL = {
    "line_art": (
        "DIR",
        "make DIR with `python -m colorize.data.line_art_sources --out DIR` (it fetches the emoji with npm; "
        "the game art comes from Debian's flare-game and freedroidrpg-data where installed), then ",
    ),
    "folder": ("DIR", "with DIR a folder of color illustrations, "),
    "openclipart": (None, "after `apt-get install openclipart-svg openclipart-png`, "),
}


def _recipe(builder_config, data_dir):
    """How to build one of the builder's configs, for the "not built" error:
    what its manual folder needs first, then the command (from any folder)."""
    builder_config = builder_config or "folder"
    manual, first = _MANUAL.get(builder_config, (None, ""))
    args = f"{builder_config!r}, data_dir={data_dir!r}" + (f", manual_dir={manual!r}" if manual else "")
    return f'{first}build it with `python -c "from colorize.data import build; build.build({args})"`'


def interleaved_order(sizes):
    """Which dataset each position of an even interleave reads.

    Args:
        sizes: examples per dataset, a list of ints >= 0.

    Returns:
        `(sum(sizes),)` int64 array: dataset k appears sizes[k] times, its
        i-th example at about position (i + 1/2) / sizes[k] of the whole
        (ties go to the dataset named first).
    """
    keys = [((i + 0.5) / n, k) for k, n in enumerate(sizes) for i in range(n)]
    return np.array([k for _, k in sorted(keys)], np.int64)


class Combined:
    """Several prepared TFDS datasets read as one (the parts of a builder
    that training and evaluation use).

    A split is every dataset's split: in training (`shuffle_files`) drawn
    from all of them at random in proportion to their sizes, so that each
    batch mixes them; otherwise every example once, in a fixed order that
    interleaves them evenly (`interleaved_order`), so that the first N
    examples of an evaluation hold each dataset in proportion.
    Their examples keep their `source_id`, so per-source figures still name
    each source. The class prior of the combination is cached in its own
    folder (`data_dir`: `<data dir>/combined/<names>`).

    Args:
        builders: prepared TFDS builders with the same features.
        root: the TFDS data directory the combination's folder goes under.
    """

    def __init__(self, builders, root):
        self.builders = builders
        full = "+".join(b.info.full_name.rsplit("/", 1)[0] for b in builders)  # without the versions
        self.data_dir = os.path.join(root, "combined", full.replace("/", "_"))
        os.makedirs(self.data_dir, exist_ok=True)
        splits = set.intersection(*(set(b.info.splits) for b in builders))
        self.info = types.SimpleNamespace(
            full_name=full,
            features=builders[0].info.features,
            splits={s: types.SimpleNamespace(num_examples=sum(num_examples(b, s) for b in builders)) for s in splits},
        )

    def as_dataset(self, split, shuffle_files=False, read_config=None, decoders=None):
        """The split of every dataset (see the class docstring): a `tf.data.Dataset` of examples."""
        parts = [
            b.as_dataset(split=split, shuffle_files=shuffle_files, read_config=read_config, decoders=decoders)
            for b in self.builders
        ]
        sizes = [num_examples(b, split) for b in self.builders]
        if not shuffle_files:
            order = tf.data.Dataset.from_tensor_slices(interleaved_order(sizes))
            return tf.data.Dataset.choose_from_datasets(parts, order)
        seed = read_config.shuffle_seed if read_config is not None else None
        return tf.data.Dataset.sample_from_datasets(
            [part.repeat() for part in parts], weights=[n / sum(sizes) for n in sizes], seed=seed
        )


def _is_prepared(builder):
    return tf.io.gfile.exists(os.path.join(builder.data_dir, "dataset_info.json"))


def num_examples(builder, split):
    """Number of examples in a split of a prepared builder."""
    if split not in builder.info.splits:
        raise ColorizeError(f"dataset {builder.info.full_name} has no split {split!r}")
    return builder.info.splits[split].num_examples


def source_of(source_id):
    """The source an example's `source_id` names: its first path component
    ("openmoji/1F004" -> "openmoji", "synthetic/00042" -> "synthetic"); the
    whole id when it has none (a folder's top-level file)."""
    return source_id.split("/", 1)[0]


def _source_tensor(source_id):
    return tf.strings.split(source_id, "/", maxsplit=1)[0]


def source_counts(builder, split):
    """Windows per source in a split: {source: count}, sources sorted by
    name (`source_of`). Reads only the `source_id` feature."""
    num_examples(builder, split)  # validates the split name
    skip = {k: tfds.decode.SkipDecoding() for k in builder.info.features if k != "source_id"}
    ds = builder.as_dataset(split=split, shuffle_files=False, decoders=skip)
    counts = {}
    for source_id in ds.map(lambda e: e["source_id"]).batch(1024).as_numpy_iterator():
        for value in source_id:
            name = source_of(value.decode("utf-8"))
            counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))


def check_source(builder, split, source):
    """The number of windows of `source` in `split`, or a ColorizeError
    naming the sources the split has."""
    counts = source_counts(builder, split)
    if source not in counts:
        raise ColorizeError(
            f"dataset {builder.info.full_name}: split {split!r} has no windows of source {source!r} "
            f"(it has: {', '.join(f'{k} ({v})' for k, v in counts.items()) or 'none'})"
        )
    return counts[source]


def choose_sketch(example, kind, training, seed=None):
    """Picks the network input of one example.

    `line` and `binary` are the dataset's two extractions. `mix` (training
    for robustness to real sketches, the paper's section 4.4) draws per
    example: the line sketch (40%), the binary one (30%), or a degraded line
    sketch (30%: thicker or thinner lines, darker or lighter strokes, gray
    paper and sensor noise). Outside training, `mix` uses the line sketch.

    Returns:
        `(H, W, 1)` uint8 sketch.
    """
    line = example["sketch"]
    binary = example["sketch_binary"]
    if kind == "line" or (kind == "mix" and not training):
        return line
    if kind == "binary":
        return binary
    u = tf.random.uniform([], seed=seed)
    return tf.case(
        [(u < 0.4, lambda: line), (u < 0.7, lambda: binary)],
        default=lambda: degrade_sketch(line, seed=seed),  # made only when drawn
    )


def degrade_sketch(sketch, seed=None):
    """A randomly altered line sketch, like a differently drawn or scanned one.

    Args:
        sketch: `(H, W, 1)` uint8.

    Returns:
        `(H, W, 1)` uint8.
    """
    x = tf.cast(sketch, tf.float32)[tf.newaxis] / 255.0  # (1, H, W, 1), 1 = paper
    r = tf.random.uniform([4], seed=seed)
    # Line width: erode (min filter) thickens dark lines, dilate thins them.
    x = tf.case(
        [
            (r[0] < 0.33, lambda: -tf.nn.max_pool2d(-x, 3, 1, "SAME")),
            (r[0] < 0.66, lambda: tf.nn.max_pool2d(x, 3, 1, "SAME")),
        ],
        default=lambda: x,
    )
    # Stroke darkness: a gamma on the ink (1 - x).
    gamma = 0.5 + 1.5 * r[1]
    x = 1.0 - tf.pow(1.0 - x, gamma)
    # Paper tone (gray scans) and noise.
    paper = 0.8 + 0.2 * r[2]
    x = x * paper
    x = x + tf.random.normal(tf.shape(x), stddev=0.06 * r[3], seed=seed)
    x = tf.clip_by_value(x, 0.0, 1.0)
    return tf.cast(tf.round(x[0] * 255.0), tf.uint8)


def random_resized_crop(sketch, color, smallest, seed):
    """The same random square of a sketch and its color image.

    Args:
        sketch: `(S, S, 1)` uint8.
        color: `(S, S, 3)` uint8.
        smallest: the smallest side, as a share of S (0 < smallest <= 1).
        seed: `(2,)` stateless seed; the side is uniform in
            [smallest * S, S], the corner uniform where the square fits.

    Returns:
        (sketch, color): `(s, s, 1)` and `(s, s, 3)` uint8 crops (the
        caller resizes them to the training size).
    """
    side_seed, corner_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    full = tf.shape(color)[0]
    low = tf.cast(tf.math.ceil(smallest * tf.cast(full, tf.float32)), tf.int32)
    side = tf.random.stateless_uniform([], side_seed, minval=low, maxval=full + 1, dtype=tf.int32)
    corner = tf.random.stateless_uniform([2], corner_seed, minval=0, maxval=full - side + 1, dtype=tf.int32)
    sketch = sketch[corner[0] : corner[0] + side, corner[1] : corner[1] + side]
    color = color[corner[0] : corner[0] + side, corner[1] : corner[1] + side]
    return sketch, color


def _prepare(example, config, training, seed, hints=False, hint_count=None, palette_colors=0):
    """One example: `(sketch, color)`, or with hints `({"sketch",
    "hint_color", "hint_mask"}, color)` (and `"palette"` when the config has
    one: the truth's palette for `config.palette_share` of the training
    examples, none otherwise); `seed` is its `(2,)` stateless seed."""
    flip_seed, hint_seed, palette_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 3))
    sketch = choose_sketch(example, config.sketch, training)
    color = example["color"]
    size = config.image_size
    if training and config.crop_scale < 1.0:
        # Its own seed, folded in, so that the flips and hints of runs without crops stay as they were.
        sketch, color = random_resized_crop(
            sketch, color, config.crop_scale, tf.random.experimental.stateless_fold_in(seed, 1)
        )
    if sketch.shape[0] != size:
        # Area resize keeps thin lines visible when shrinking.
        sketch = tf.image.resize(sketch, (size, size), method="area")
        color = tf.image.resize(color, (size, size), method="area")
    sketch = tf.cast(tf.round(tf.cast(sketch, tf.float32)), tf.uint8)
    color = tf.cast(tf.round(tf.cast(color, tf.float32)), tf.uint8)
    if training:
        flip = tf.random.stateless_uniform([], seed=flip_seed) < 0.5
        sketch = tf.cond(flip, lambda: tf.image.flip_left_right(sketch), lambda: sketch)
        color = tf.cond(flip, lambda: tf.image.flip_left_right(color), lambda: color)
    sketch = tf.ensure_shape(sketch, (size, size, 1))
    color = tf.ensure_shape(color, (size, size, 3))
    if not hints:
        return sketch, color
    hint_color, hint_mask = hint_sim.simulate_hints(
        color,
        hint_seed,
        count=hint_count,
        p=config.hint_geometric_p,
        none_share=config.hint_none_share,
        max_side=hint_sim.max_patch_side(size),
        counts=config.hint_counts,
        # Evaluation with a set number of hints measures dots, as ideepcolor does.
        stroke_share=config.hint_stroke_share if hint_count is None else 0.0,
        paper=hint_sim.clickable(sketch),
    )
    inputs = {SKETCH: sketch, HINT_COLOR: hint_color, HINT_MASK: hint_mask}
    if config.palette and palette_colors:
        inputs[PALETTE] = palettes.palette_classes(color[tf.newaxis], config.space, palette_colors)[0]
    elif config.palette:
        share = config.palette_share if training else 0.0
        inputs[PALETTE] = palettes.truth_palette(color, config.space, palette_seed, share)
    return inputs, color


def sketch_of(inputs):
    """The sketch of a batch's network inputs (a bare sketch or the dict
    of sketch and hints)."""
    return inputs[SKETCH] if isinstance(inputs, dict) else inputs


def make_dataset(
    config,
    split,
    training,
    batch_size=None,
    input_context=None,
    hints=False,
    hint_count=None,
    hint_seed=None,
    palette_colors=0,
    source=None,
):
    """Batches of `(sketch, color)`: `(b, S, S, 1)` and `(b, S, S, 3)` uint8,
    S = `config.image_size`; with `hints`, `(inputs, color)` where inputs is
    `{"sketch": (b, S, S, 1) uint8, "hint_color": (b, S, S, 3) float32 RGB
    0..255, "hint_mask": (b, S, S, 1) float32 in {0, 1}}`.

    Training data is shuffled and repeated forever; evaluation data is read
    once in order. Under tf.distribute, `input_context` shards examples
    between input pipelines (workers) and gives the per-replica batch size.
    The random choices of an example (flip, hints) are stateless, keyed on
    the seed and its position in this pipeline's stream: the same seed gives
    the same data.

    Args:
        config: a `variants.Config`.
        split: "train", "validation" or "test".
        training: shuffle, augment and repeat forever.
        batch_size: examples per batch (default: `config.batch_size`; the
            global batch under `input_context`).
        input_context: a `tf.distribute.InputContext`, or None.
        hints: add simulated hints (`colorize.data.simulated_hints`).
        hint_count: exactly this many hints per example (evaluation); None
            draws the number as in training (`config.hint_geometric_p`,
            `config.hint_none_share`).
        hint_seed: the seed of the random choices (default: `config.seed`).
        palette_colors: give every example the palette of its ground
            truth's this many main colors (evaluation; 0: as in training,
            `config.palette_share` of the training examples, none else).
        source: only the examples of this source (`source_of` their
            `source_id`, e.g. "openmoji"); None: all.

    Returns:
        A `tf.data.Dataset`.

    Raises:
        ColorizeError: the dataset is not built, or has no such split.
    """
    builder = ensure_dataset(config)
    num_examples(builder, split)  # validates the split name
    ds = builder.as_dataset(split=split, shuffle_files=training, read_config=tfds.ReadConfig(shuffle_seed=config.seed))
    batch = batch_size or config.batch_size
    pipeline = 0
    if input_context is not None:
        if input_context.num_input_pipelines > 1:
            ds = ds.shard(input_context.num_input_pipelines, input_context.input_pipeline_id)
            pipeline = input_context.input_pipeline_id
        batch = input_context.get_per_replica_batch_size(batch)
    if source is not None:
        ds = ds.filter(lambda e: tf.equal(_source_tensor(e["source_id"]), source))
    ds = ds.map(lambda e: {k: e[k] for k in ("sketch", "sketch_binary", "color")})
    if training:
        ds = ds.shuffle(1024, seed=config.seed, reshuffle_each_iteration=True).repeat()
    seed = config.seed if hint_seed is None else hint_seed
    stream = 2 * pipeline + int(training)  # each pipeline, and training apart from evaluation

    def prepare(index, example):
        example_seed = hint_sim.example_seed(seed, index, stream)
        return _prepare(
            example, config, training, example_seed, hints=hints, hint_count=hint_count, palette_colors=palette_colors
        )

    ds = ds.enumerate().map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.batch(batch, drop_remainder=training)
    return ds.prefetch(tf.data.AUTOTUNE)


def color_batches(config, split="train", batch_size=64):
    """The `color` images of a split at the training resolution, in order:
    `(b, S, S, 3)` uint8 batches (class priors are computed over these)."""
    return make_dataset(config.replace(sketch="line"), split, training=False, batch_size=batch_size).map(
        lambda sketch, color: color
    )
