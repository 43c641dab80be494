"""Evaluating a trained run on a split of its dataset (`python -m
colorize.evaluate` is its command line).

`evaluate_run` runs the run's colorizer over a split of its dataset and
reports the paper's metrics (`colorize.evaluation.metrics`): mean chroma of
the output and of the ground truth and their ratio, MSE of R, G, B, L and C,
the chroma-weighted hue error, PSNR and SSIM, and two baselines: the PSNR
of the bare sketch (what doing nothing scores) and the share of white
background kept white. The metrics are computed on what a user gets: the
colorizer's output at the evaluation resolution after the sketch
multiplication, rounded to uint8 as when saved to PNG.

With `hints=N` (a run trained with hints) the network gets N color hints
per image, sampled from the ground truth as in training
(`colorize.data.simulated_hints`: patches of the color clicked in the ground
truth, placed mostly on colored pixels) with a fixed seed (`HINT_SEED`) keyed on
the image's position in the split: every run sees the same hints on the
same images.
"""

import time

import numpy as np
import tensorflow as tf

from colorize import runs, variants
from colorize.data import pipeline
from colorize.errors import ColorizeError
from colorize.evaluation import metrics
from colorize.nets import annealed_mean, models, trained

EVAL_SKETCHES = ("line", "binary")
PROGRESS_EVERY_S = 10.0
HINT_SEED = 0  # the seed of evaluation hints, the same for every run


def _open(
    run_dir,
    split,
    sketch,
    batch_size=None,
    max_examples=None,
    temperature=None,
    dataset=None,
    data_dir=None,
    image_size=None,
    hints=0,
    palette=0,
    source=None,
):
    """Loads a run and its evaluation data.

    Returns:
        (config, colorizer, batches, total): the evaluation config (the
        run's, with the overrides), the colorizer, the `tf.data` batches of
        (inputs, color) (inputs: the sketch, or with `hints` > 0 the dict of
        sketch and hints) and the number of examples to evaluate.
    """
    if sketch not in EVAL_SKETCHES:
        raise ColorizeError(f"--sketch must be one of {', '.join(EVAL_SKETCHES)}, not {sketch!r}")
    if batch_size is not None and batch_size <= 0:
        raise ColorizeError(f"--batch-size must be positive, not {batch_size}")
    if max_examples is not None and max_examples <= 0:
        raise ColorizeError(f"--max-examples must be positive, not {max_examples}")
    if hints < 0:
        raise ColorizeError(f"--hints must be >= 0, not {hints}")
    if palette < 0:
        raise ColorizeError(f"--palette must be >= 0, not {palette}")
    run_config = runs.load_config(run_dir)
    runs.check_model(run_dir)
    overrides = dict(dataset=dataset, data_dir=data_dir, image_size=image_size, temperature=temperature)
    config = run_config.replace(sketch=sketch, **{k: v for k, v in overrides.items() if v is not None})
    variants.validate(config)
    builder = pipeline.ensure_dataset(config)  # before the network loads: a missing dataset is said at once
    _, net = trained.load_net(run_dir)
    if hints and not models.uses_hints(net):
        raise ColorizeError(f"{run_dir}: this run was trained without hints; --hints needs one trained with them")
    if palette and not models.uses_palette(net):
        raise ColorizeError(f"{run_dir}: this run has no palette input; --palette needs one trained with it")
    class_colors = annealed_mean.recorded_class_colors(run_dir)  # as predict decodes
    build = models.build_guided_colorizer if hints or palette else models.build_colorizer
    colorizer = build(net, run_config.space, temperature or run_config.temperature, class_colors=class_colors)
    total = pipeline.num_examples(builder, split) if source is None else pipeline.check_source(builder, split, source)
    if total == 0:
        raise ColorizeError(f"dataset {config.dataset!r}: split {split!r} is empty")
    if max_examples:
        total = min(total, max_examples)
    batches = pipeline.make_dataset(
        config,
        split,
        training=False,
        batch_size=batch_size or config.batch_size,
        hints=hints > 0 or palette > 0,
        hint_count=hints,
        hint_seed=HINT_SEED,
        palette_colors=palette,
        source=source,
    )
    return config, colorizer, batches, total


def _examples(batches, total):
    """Yields `(inputs, truth)` batches, `total` examples in all: the network
    inputs (the uint8 sketch, or the dict of it and the hints) as tensors
    and the uint8 ground truth as NumPy."""
    seen = 0
    for inputs, truth in batches:
        if seen >= total:
            break
        take = min(int(truth.shape[0]), total - seen)
        seen += take
        yield tf.nest.map_structure(lambda x, take=take: x[:take], inputs), truth[:take].numpy()


def _colorized(colorizer, batches, total):
    """Yields `(inputs, prediction, truth)` NumPy batches, `total` examples
    in all (`_examples`), the prediction uint8, rounded as when saved to PNG."""
    # The input batches; any batch size (the last one is smaller).
    specs = tf.nest.map_structure(
        lambda spec: tf.TensorSpec((None, *spec.shape[1:]), spec.dtype), batches.element_spec[0]
    )
    predict = tf.function(lambda s: colorizer(s, training=False), input_signature=[specs])
    for inputs, truth in _examples(batches, total):
        rgb = predict(inputs).numpy()  # (b, H, W, 3) float32 0..255
        pred = np.clip(np.round(rgb), 0, 255).astype(np.uint8)
        yield tf.nest.map_structure(lambda x: x.numpy(), inputs), pred, truth


def _sketch(inputs):
    return inputs["sketch"] if isinstance(inputs, dict) else inputs


def evaluate_run(
    run_dir,
    split="test",
    sketch="line",
    batch_size=None,
    max_examples=None,
    temperature=None,
    dataset=None,
    data_dir=None,
    image_size=None,
    progress=True,
    hints=0,
    palette=0,
    source=None,
):
    """Evaluates a trained run on a split of its dataset.

    Args:
        run_dir: a run directory written by `colorize.train`.
        split: the split to evaluate ("test", "validation", "train").
        sketch: the network input, "line" or "binary" (robustness to binary
            sketches).
        batch_size: examples per batch (default: the run's).
        max_examples: evaluate only the first N examples of the split.
        temperature: annealed-mean temperature (default: the run's).
        dataset, data_dir: another TFDS dataset/directory than the run's.
        image_size: evaluation resolution (default: the run's training one).
        progress: print a progress line with the throughput.
        hints: give the network this many hints per image, sampled from the
            ground truth with the fixed `HINT_SEED` (0: none, automatic
            coloring).
        palette: give the network the palette of the ground truth's this
            many main colors (`data.palettes.palette_classes`; 0: none).
        source: only the windows of this source of the dataset
            (`pipeline.source_of`, e.g. "openmoji"); None: all.

    Returns:
        A dict: `run_dir`, `variant`, `split`, `sketch`, `hints`, `palette`, `source`, `dataset`,
        `image_size`, `temperature`, `examples`, `seconds`,
        `images_per_second` and `metrics` (see `metrics.METRICS`).

    Raises:
        ColorizeError: not a trained run, bad arguments, missing dataset.
    """
    config, colorizer, batches, total = _open(
        run_dir,
        split,
        sketch,
        batch_size,
        max_examples,
        temperature,
        dataset,
        data_dir,
        image_size,
        hints,
        palette,
        source,
    )
    acc = metrics.MetricAccumulator()
    start = last = time.perf_counter()
    for inputs, pred, truth in _colorized(colorizer, batches, total):
        acc.update(pred, truth, _sketch(inputs))
        now = time.perf_counter()
        if progress and (now - last >= PROGRESS_EVERY_S or acc.images == total):
            print(
                f"evaluated {acc.images}/{total} images of {split} ({acc.images / (now - start):.1f} img/s)",
                flush=True,
            )
            last = now
    seconds = time.perf_counter() - start
    return dict(
        run_dir=str(run_dir),
        variant=config.variant,
        split=split,
        sketch=sketch,
        hints=hints,
        palette=palette,
        source=source,
        dataset=config.dataset,
        image_size=config.image_size,
        temperature=config.temperature,
        examples=acc.images,
        seconds=seconds,
        images_per_second=acc.images / max(seconds, 1e-9),
        metrics=acc.result(),
    )


def sample_predictions(run_dir, count, split="test", sketch="line", predict=True, **kwargs):
    """The first `count` examples of a split with the run's colorizations
    (the same images for every run on the same dataset: evaluation data is
    read in order).

    Args:
        run_dir: a run directory written by `colorize.train`.
        count: number of examples.
        split, sketch: as for `evaluate_run`.
        predict: False: the examples alone, without running the network
            (no `prediction`).
        **kwargs: `temperature`, `dataset`, `data_dir`, `image_size`, `hints`
            as for `evaluate_run`.

    Returns:
        A dict of arrays: `sketch` (n, H, W, 1) uint8, `prediction` and
        `truth` (n, H, W, 3) uint8; with hints also `hint_color` (n, H, W, 3)
        float32 RGB 0..255 and `hint_mask` (n, H, W, 1) float32 in {0, 1}.
    """
    _, colorizer, batches, total = _open(run_dir, split, sketch, count, count, **kwargs)
    if predict:
        parts = list(_colorized(colorizer, batches, total))
    else:
        parts = [(tf.nest.map_structure(lambda x: x.numpy(), i), None, t) for i, t in _examples(batches, total)]
    out = {
        "sketch": np.concatenate([_sketch(p[0]) for p in parts]),
        "truth": np.concatenate([p[2] for p in parts]),
    }
    if predict:
        out["prediction"] = np.concatenate([p[1] for p in parts])
    if isinstance(parts[0][0], dict):
        for key in ("hint_color", "hint_mask"):
            out[key] = np.concatenate([p[0][key] for p in parts])
    return out
