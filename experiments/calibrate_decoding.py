"""Choosing a model's decoding on validation data: the temperature and the
paper threshold of region decisions.

`python -m experiments.calibrate_decoding MODEL --split validation [--max-examples N] [--write]`

Every validation window of the model's dataset (or `--dataset`) is colored
the way `predict` colors a sketch (`inference.coloring.colorize_array`,
line-bounded regions, the sketch as it is), at each temperature in
`--temperatures` and each paper threshold in `--thresholds` (and without
region decisions), and measured with `evaluation.metrics` against its
ground truth. The rule does not reward gray (PSNR does: a gray guess is
never far off):

1. the temperature: among those whose chroma ratio (without region
   decisions) is at least `MIN_CHROMA_RATIO`, the one with the best PSNR;
2. the paper threshold, at that temperature: among those that keep at least
   `MIN_WHITE_KEPT` of the white paper white, the one with the best PSNR;
   none when no threshold does.

With `--class-means N`, the classes first get their class means
(`nets.annealed_mean.class_means`: the mean color of the training pixels in
each class, from the first N windows of the *training* split at the
network's output resolution, as its targets are made), and every figure is
measured decoding to them instead of the bin centres.

Writes `decoding.json` beside the model with `--write` (`predict`, the page
and `export` read it; `runs.read_decoding`), and every figure to `--out`
(JSON). Report on the test split, not on the split the rule chose on.
"""

import argparse
import contextlib
import json
import os
import sys
import time

import numpy as np

from colorize import errors, fileio, runs, variants
from colorize.data import pipeline
from colorize.errors import ColorizeError, cli
from colorize.evaluation import metrics
from colorize.inference import coloring, palette_snap
from colorize.nets import annealed_mean, color, targets

TEMPERATURES = (0.15, 0.25, 0.38, 0.5, 0.7)
THRESHOLDS = (0.2, 0.3, 0.35, 0.4, 0.5, 0.6)
MIN_CHROMA_RATIO = 0.8
MIN_WHITE_KEPT = 0.93
CLASS_MEAN_WINDOWS = 2000
"""Training windows the class means are measured on (`class_colors`)."""
CLASS_COLORS_FROM = "class_colors_from"
"""The `decoding.json` key that says where its class means were measured."""
OUTPUT_FACTOR = 4
"""A classification net's output is its input's size over this (`models.color_head`)."""


def floats(text):
    """`"0.25,0.38"` -> (0.25, 0.38), or argparse's error."""
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, not {text!r}") from None


def positive(text):
    """`"150"` -> 150, or argparse's error for anything but a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return value


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m experiments.calibrate_decoding",
        description="Choose a model's temperature and paper threshold on validation data.",
    )
    p.add_argument("model", help="run directory or packed model")
    p.add_argument("--split", default="validation")
    p.add_argument("--dataset", default=None, help="TFDS name/config (default: the model's)")
    p.add_argument("--data-dir", default=None, help="TFDS data directory (default: the model's)")
    p.add_argument("--max-examples", type=positive, default=200)
    p.add_argument("--temperatures", type=floats, default=TEMPERATURES)
    p.add_argument("--thresholds", type=floats, default=THRESHOLDS)
    p.add_argument("--out", default=None, help="results JSON (default: MODEL/calibration.json)")
    p.add_argument(
        "--class-means",
        type=int,
        default=0,
        metavar="N",
        help="decode to the class means of N training windows (recorded with --write; 0: as recorded)",
    )
    p.add_argument("--write", action="store_true", help="record the choice in MODEL/decoding.json")
    return p


def sweep_parser(doc, out, model=True):
    """The arguments every validation sweep takes (with `model`, the model;
    its split, data and number of windows, `--out` defaulting to `out`);
    the sweep adds its own."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    if model:
        p.add_argument("model", help="a run directory or packed model (colorize/weights/line_art)")
    p.add_argument("--split", default="validation")
    p.add_argument("--data-dir", default=None, help="TFDS data directory (default: the model's)")
    p.add_argument("--max-examples", type=positive, default=150)
    p.add_argument("--out", default=out)
    return p


def parse_sweep(doc, out, argv):
    """`sweep_parser`'s arguments from `argv`, for a sweep that needs the
    network itself (its evidence or its layers), not an export.

    Raises:
        ColorizeError: a bad flag, or the model is an export.
    """
    args = errors.parse_args(sweep_parser(doc, out), argv)
    if runs.kind(args.model) == "export":
        raise ColorizeError(f"{args.model}: a run directory or packed model is needed, not an export")
    return args


def _figure(m, key, digits):
    """One figure of a metrics dict, "-" when the windows have nothing it measures (no white paper, no color)."""
    return "-" if m.get(key) is None else f"{m[key]:.{digits}f}"


def figures_text(m):
    """One metrics dict as the sweeps print it ("-" for a figure the windows cannot give)."""
    return (
        f"PSNR {_figure(m, 'psnr', 2)}  white kept {_figure(m, 'white_kept', 3)}  page {_figure(m, 'page_min', 1)}  "
        f"chroma ratio {_figure(m, 'chroma_ratio', 2)}  overlap {_figure(m, 'color_overlap', 3)}"
    )


FIGURES_HEAD = "PSNR dB | white kept | page | chroma ratio | overlap | hue error (deg) |"
"""The columns of a sweep's Markdown table after its first (`figures_cells`)."""


def figures_cells(m):
    """One metrics dict as the cells of `FIGURES_HEAD` ("-" for a figure the windows cannot give)."""
    columns = (
        ("psnr", 2),
        ("white_kept", 3),
        ("page_min", 1),
        ("chroma_ratio", 2),
        ("color_overlap", 3),
        ("hue_error", 1),
    )
    return " | ".join(_figure(m, key, digits) for key, digits in columns) + " |"


def windows(config, split, max_examples, source=None):
    """The first `max_examples` `(sketch (S, S) uint8, truth (S, S, 3) uint8)`
    of a split at the dataset's window size (256 px), line sketches; only
    those of `source` (`pipeline.source_of`) when given."""
    config = config.replace(sketch="line", image_size=256)
    batches = pipeline.make_dataset(config, split, training=False, batch_size=16, source=source)
    seen = 0
    for sketch, truth in batches:
        for s, t in zip(sketch.numpy(), truth.numpy(), strict=True):
            if seen >= max_examples:
                return
            seen += 1
            yield s[..., 0], t


def class_colors(config, count=CLASS_MEAN_WINDOWS, split="train"):
    """The class means of a model's training data (`annealed_mean.class_means`).

    Args:
        config: the model's `variants.Config` (its dataset, space and size).
        count: how many windows of `split` to measure (the first ones).
        split: the split to measure, "train" for a model's decoding.

    Returns:
        (colors, record): `(Q, 3)` float64 class means on the space's 0..255
        scale, and the `decoding.json` entries that record them and where
        they came from.

    Raises:
        ColorizeError: the split is empty.
    """
    size = (config.image_size // OUTPUT_FACTOR,) * 2  # the network's output, where its targets are made
    counts, sums, seen = 0.0, 0.0, 0
    for _, truth in windows(config, split, count):
        small = targets.resize_colors(truth[np.newaxis].astype(np.float32), size)
        scaled = color.to_scaled(small / 255.0, config.space)
        n, total = annealed_mean.class_sums(np.asarray(scaled), config.space)
        counts, sums, seen = counts + n, sums + total, seen + 1
    if not seen:
        raise ColorizeError(f"dataset {config.dataset!r}: split {split!r} is empty")
    colors = annealed_mean.class_means(counts, sums, config.space)
    record = {
        annealed_mean.CLASS_COLORS: np.round(colors, 3).tolist(),
        CLASS_COLORS_FROM: f"{config.dataset} {split}, {seen} windows at {size[0]} px",
    }
    return colors, record


def measure(model, examples, temperatures, thresholds, progress=True, palette_colors=0, plain=True, **snap):
    """Metrics of every (temperature, threshold) on `examples`; with
    `palette_colors`, each window given the palette of its ground truth's
    that many main colors (`data.palettes.main_colors`), as `predict
    --palette` names them, with `snap` (`palette_snap.Palette`'s fields;
    default: the module's).

    Returns:
        {temperature: {threshold or "none": metrics dict}}; "none" (no
        region decisions) when `plain` or no threshold is given.
    """
    keys = ("none", *thresholds) if plain or not thresholds else tuple(thresholds)
    accumulators = {t: {k: metrics.MetricAccumulator() for k in keys} for t in temperatures}
    start = time.perf_counter()
    for i, (sketch, truth) in enumerate(examples, 1):
        rgb = np.dstack([sketch] * 3)
        palette = None
        if palette_colors:
            from colorize.data import palettes  # noqa: PLC0415 (TensorFlow, as the model)

            weights, colors = palettes.main_colors(truth, model.space, palette_colors)
            if len(colors):  # a window without color gets none
                palette = palette_snap.Palette(weights, colors, **snap)
        for t in temperatures:
            warm = model.with_temperature(t)
            for key in keys:
                warm.paper_threshold = None if key == "none" else key
                out = coloring.colorize_array(rgb, warm, normalize="off", palette=palette)
                accumulators[t][key].update(out["rgb"][None], truth[None], sketch[None, ..., None])
        if progress and i % 20 == 0:
            print(f"{i} windows, {i / (time.perf_counter() - start):.2f} windows/s", flush=True)
    return {t: {k: acc.result() for k, acc in row.items()} for t, row in accumulators.items()}


def choose(results):
    """The decoding the rule in the module's docstring picks.

    Args:
        results: `measure`'s dict.

    Returns:
        {"temperature": float, "paper_threshold": float or None, "rule": str}.
    """
    colorful = [t for t, row in results.items() if (row["none"]["chroma_ratio"] or 0.0) >= MIN_CHROMA_RATIO]
    pool = colorful or list(results)
    temperature = max(pool, key=lambda t: results[t]["none"]["psnr"])
    row = results[temperature]
    kept = [k for k in row if k != "none" and (row[k]["white_kept"] or 0.0) >= MIN_WHITE_KEPT]
    threshold = max(kept, key=lambda k: row[k]["psnr"]) if kept else None
    rule = (
        f"temperature: best validation PSNR among chroma ratio >= {MIN_CHROMA_RATIO}"
        + ("" if colorful else " (none reached it: best PSNR overall)")
        + f"; paper threshold: best PSNR among white kept >= {MIN_WHITE_KEPT}"
        + ("" if kept else " (none reached it: no region decisions)")
    )
    return {"temperature": float(temperature), "paper_threshold": threshold, "rule": rule}


def model_config(path, dataset=None, data_dir=None):
    """A model's config, with `dataset` and `data_dir` when given.

    Raises:
        ColorizeError: not a model, or a bad config.
    """
    if not runs.is_run(path):
        raise ColorizeError(f"{path}: not a run directory or packed model")
    config = runs.load_config(path)
    overrides = {k: v for k, v in dict(dataset=dataset, data_dir=data_dir).items() if v}
    config = config.replace(**overrides)
    variants.validate(config)
    return config


def open_model(path, split, max_examples, dataset=None, data_dir=None, class_colors=None):
    """A model and the windows to measure it on; with `class_colors`
    (`class_colors`'s), the model decodes to them instead of its recorded ones.

    Returns:
        (config, `coloring.Model`, list of `windows`).

    Raises:
        ColorizeError: not a model, a bad config, or an empty split.
    """
    config = model_config(path, dataset, data_dir)
    model = coloring.Model(path, class_colors=class_colors)
    examples = list(windows(config, split, max_examples))
    if not examples:
        raise ColorizeError(f"dataset {config.dataset!r}: split {split!r} is empty")
    print(f"{len(examples)} {split} windows of {config.dataset}", flush=True)
    return config, model, examples


def recorded_decoding(path, config):
    """The temperature and paper threshold a model decodes with
    (`decoding.json`; without one, the run's temperature and no region
    decisions): (float, float or None)."""
    decoding = runs.read_decoding(path)
    return float(decoding.get("temperature") or config.temperature), decoding.get("paper_threshold")


def threshold_key(threshold):
    """The key `measure` files a paper threshold's figures under ("none": no region decisions)."""
    return "none" if threshold is None else threshold


def measure_one(model, examples, temperature, threshold, **palette):
    """`measure` at one temperature and paper threshold (None: no region
    decisions), without progress lines: its metrics dict."""
    thresholds = () if threshold is None else (threshold,)
    row = measure(model, examples, [temperature], thresholds, progress=False, plain=False, **palette)[temperature]
    return row[threshold_key(threshold)]


def write_record(out, path, config, split, count, results, **facts):
    """Writes a sweep's figures as JSON: the model, its dataset and split,
    the number of windows, `facts`, and `results` ({value: {threshold or
    "none": metrics}}, keys as strings)."""
    record = dict(
        model=path,
        dataset=config.dataset,
        split=split,
        examples=count,
        **facts,
        results={str(v): {str(k): m for k, m in row.items()} for v, row in results.items()},
    )
    fileio.write_atomic(out, json.dumps(record, indent=1) + "\n")


def write_sweep(args, config, count, results, out=None, **facts):
    """`write_record` for a sweep run with `sweep_parser`'s `args`: into
    `out` (default `args.out`)."""
    write_record(out or args.out, args.model, config, args.split, count, results, **facts)


@contextlib.contextmanager
def swapped(owner, **values):
    """Within the block, `owner`'s attributes take `values` (a model's
    `flip_average`, a module's constant); restored after it."""
    saved = {name: getattr(owner, name) for name in values}
    for name, value in values.items():
        setattr(owner, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(owner, name, value)


def sweep_recorded(args, rows_of, width=24):
    """Measures a model at its recorded decoding with one thing changed per row.

    Opens `args.model` and its windows (`sweep_parser`'s arguments), then for
    every `(name, temperature, change)` of `rows_of(model, config,
    temperature)` (`change`: a context-manager factory that makes the change
    and undoes it, such as `swapped`) measures the windows as `predict` colors them at that
    temperature and the recorded paper threshold, prints the figures and
    writes them all to `args.out` (`write_sweep`: {name: {threshold or
    "none": metrics}}).

    Returns:
        The results dict.
    """
    config, model, examples = open_model(args.model, args.split, args.max_examples, data_dir=args.data_dir)
    temperature, threshold = recorded_decoding(args.model, config)
    results = {}
    for name, t, change in rows_of(model, config, temperature):
        with change():
            m = measure_one(model, examples, t, threshold)
        results[name] = {threshold_key(threshold): m}
        print(f"{name:<{width}} {figures_text(m)}  hue error {m['hue_error']:.1f} deg", flush=True)
    write_sweep(args, config, len(examples), results, temperature=temperature, paper_threshold=threshold)
    print(f"wrote {args.out}")
    return results


def _recorded_means(model_dir):
    """The class means and their source recorded in a model's `decoding.json` ({} when none)."""
    recorded = runs.read_decoding(model_dir)
    return {k: recorded[k] for k in (annealed_mean.CLASS_COLORS, CLASS_COLORS_FROM) if k in recorded}


@cli
def main(argv=None):
    args = errors.parse_args(_parser(), argv)
    # The class means the model decodes to: measured now, or as recorded (kept when the choice is written).
    colors, means = None, _recorded_means(args.model)
    if args.class_means:
        colors, means = class_colors(model_config(args.model, args.dataset, args.data_dir), args.class_means)
        print(f"class means of {means[CLASS_COLORS_FROM]}", flush=True)
    config, model, examples = open_model(
        args.model, args.split, args.max_examples, args.dataset, args.data_dir, class_colors=colors
    )
    results = measure(model, examples, args.temperatures, args.thresholds)
    choice = choose(results)
    for t, row in results.items():
        for k, m in row.items():
            print(f"T={t:<5g} threshold={k!s:<5} {figures_text(m)}")
    print(f"chosen: T={choice['temperature']:g}, paper threshold {choice['paper_threshold']} ({choice['rule']})")
    out = args.out or os.path.join(args.model, "calibration.json")
    write_record(out, args.model, config, args.split, len(examples), results, choice=choice)
    print(f"wrote {out}")
    if args.write:
        runs.write_decoding(
            args.model, {**choice, "chosen_on": f"{config.dataset} {args.split}, {len(examples)} windows", **means}
        )
        print(f"wrote {os.path.join(args.model, runs.DECODING)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
