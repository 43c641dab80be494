"""PSNR against the number of color hints, as ideepcolor plots it (Zhang et al. 2017).

`python -m experiments.hints_curve RUN [RUN ...] --dataset sketch_colorization/openclipart
--split test --out experiments/results/hints_curve [--max-examples N]`

For each run (trained with hints, `colorize.train --hints on`) and each
number of hints N in `--counts` (default 0, 1, 2, 5, 10, 20, 50, 100), the
run is evaluated with `colorize.evaluation.evaluator.evaluate_run(..., hints=N)`: N hints
per test image sampled from the ground truth with the fixed evaluation seed
(`evaluator.HINT_SEED`, keyed on the image's position in the split), so every
run and every N sees the same images and, for one N, the same hints. A run
trained without hints is evaluated at 0 hints only.

Next to the runs, two non-learned references on the same images:

- the bare sketch (what doing nothing scores, `psnr_sketch`);
- the flood-fill baseline (`colorize.inference.hint_flood.flood_fill_baseline`): the
  sketch, with each line-bounded region (gaps closed) that holds a hint
  flood-filled with that hint's color. It gets the very hints the networks
  get: the same tf.data pipeline (`colorize.data.pipeline.make_dataset` with the
  evaluation seed) at the same resolution, where the metrics are computed.

With `--fill`, each run is also measured as `predict` outputs it by
default (`fill_metrics`, `inference.coloring.colorize_array`): the network
given the hints, its region decisions, and every line-bounded region that
holds a hint filled with the hint's color.

Writes into `--out`: `results.json` (every curve with all of
`colorize.evaluation.metrics`'s figures per N), `results.md` (the PSNR table),
`psnr_vs_hints.png` (the curves) and `samples_hintsK.png` (sketch | hints |
flood fill | each run | ground truth for the first `--samples` test images,
K = `--grid-hints`, 10 by default). `--redraw` redraws the table and the
curves from `results.json`.
"""

import argparse
import json
import os
import shlex
import sys
import time

import cv2
import numpy as np

from colorize import errors, fileio, runs, variants
from colorize.data import pipeline
from colorize.errors import ColorizeError, cli
from colorize.evaluation import evaluator, metrics
from colorize.inference import coloring, hint_flood
from experiments import figures

COUNTS = (0, 1, 2, 5, 10, 20, 50, 100)
RESULTS = "results.json"
TABLE = "results.md"
CURVE = "psnr_vs_hints.png"
BASELINE = "flood fill"


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m experiments.hints_curve",
        description="PSNR against the number of color hints for trained runs, "
        "next to the bare sketch and a flood-fill baseline given the same hints.",
    )
    p.add_argument("runs", nargs="+", metavar="RUN", help="run directories written by colorize.train")
    p.add_argument("--dataset", default=None, help="TFDS name/config (default: each run's)")
    p.add_argument("--data-dir", default=None, help="TFDS data directory (default: each run's)")
    p.add_argument("--split", default="test", help="evaluation split (default: test)")
    p.add_argument("--max-examples", type=int, default=None, help="evaluate on the first N examples only")
    p.add_argument("--batch-size", type=int, default=None, help="default: each run's batch size")
    p.add_argument(
        "--counts", default=",".join(map(str, COUNTS)), help="numbers of hints, comma-separated (default: %(default)s)"
    )
    p.add_argument("--grid-hints", type=int, default=10, help="hints in the sample grid (default: 10; 0: no grid)")
    p.add_argument("--samples", type=int, default=6, help="test images in the sample grid (default: 6)")
    p.add_argument("--out", default=os.path.join("experiments", "results", "hints_curve"), help="results folder")
    p.add_argument(
        "--fill",
        action="store_true",
        help="also each run as predict outputs it: region decisions, hinted regions filled with the hint's color",
    )
    p.add_argument("--redraw", action="store_true", help="redraw table and curves from OUT/results.json")
    return p


def parse_args(argv):
    args = errors.parse_args(_parser(), argv)
    try:
        args.counts = sorted({int(c) for c in args.counts.split(",") if c.strip()})
    except ValueError:
        raise ColorizeError(f"--counts must be comma-separated whole numbers, not {args.counts!r}") from None
    if not args.counts or args.counts[0] < 0:
        raise ColorizeError(f"--counts must be numbers >= 0, got {args.counts}")
    for flag, value, low in (
        ("--max-examples", args.max_examples, 1),
        ("--batch-size", args.batch_size, 1),
        ("--samples", args.samples, 1),
        ("--grid-hints", args.grid_hints, 0),
    ):
        if value is not None and value < low:
            raise ColorizeError(f"{flag} must be >= {low}, not {value}")
    return args


# -- the flood-fill baseline ---------------------------------------------------


def eval_config(run_dir, dataset=None, data_dir=None):
    """The config `colorize.evaluate` evaluates a run with (line sketches,
    the run's resolution), on another dataset or data directory if given.

    Raises:
        ColorizeError: not a run directory, or a bad dataset.
    """
    overrides = {k: v for k, v in dict(dataset=dataset, data_dir=data_dir).items() if v is not None}
    config = runs.load_config(run_dir).replace(sketch="line", **overrides)
    variants.validate(config)
    return config


def baseline_examples(config, split, count, max_examples=None, batch_size=None):
    """The evaluation images with `count` hints, exactly as `evaluate` gives
    them to the networks (the same pipeline, seed and resolution).

    Args:
        config: `eval_config`'s config.
        split: the split.
        count: hints per image (0: none).
        max_examples: only the first N images.
        batch_size: images per batch (default: the config's).

    Yields:
        (sketch, hint_rgb, hint_mask, truth) batches of NumPy arrays:
        `(b, S, S)` uint8, `(b, S, S, 3)` uint8 (the hint colors rounded),
        `(b, S, S)` bool and `(b, S, S, 3)` uint8.
    """
    total = pipeline.num_examples(pipeline.ensure_dataset(config), split)
    if max_examples:
        total = min(total, max_examples)
    if total == 0:
        raise ColorizeError(f"dataset {config.dataset!r}: split {split!r} is empty")
    batches = pipeline.make_dataset(
        config,
        split,
        training=False,
        batch_size=batch_size or config.batch_size,
        hints=count > 0,
        hint_count=count,
        hint_seed=evaluator.HINT_SEED,
    )
    seen = 0
    for inputs, truth in batches:
        take = min(int(truth.shape[0]), total - seen)
        if isinstance(inputs, dict):
            sketch = inputs["sketch"].numpy()[:take, ..., 0]
            hint_rgb = np.clip(np.rint(inputs["hint_color"].numpy()[:take]), 0, 255).astype(np.uint8)
            hint_mask = inputs["hint_mask"].numpy()[:take, ..., 0] > 0.5
        else:
            sketch = inputs.numpy()[:take, ..., 0]
            hint_rgb = np.zeros((*sketch.shape, 3), np.uint8)
            hint_mask = np.zeros(sketch.shape, bool)
        yield sketch, hint_rgb, hint_mask, truth.numpy()[:take]
        seen += take
        if seen >= total:
            break


def baseline_curve(config, split, counts, max_examples=None, batch_size=None, progress=True):
    """The flood-fill baseline's metrics for every number of hints.

    Returns:
        A dict: `image_size`, `examples`, `psnr`, `ssim` (lists aligned with
        `counts`), `metrics` (one `colorize.evaluation.metrics` dict per count),
        `psnr_sketch` (the bare sketch) and `seconds`.
    """
    out = dict(image_size=config.image_size, psnr=[], ssim=[], metrics=[], seconds=[])
    for count in counts:
        start = time.perf_counter()
        acc = metrics.MetricAccumulator()
        for sketch, hint_rgb, hint_mask, truth in baseline_examples(config, split, count, max_examples, batch_size):
            filled = np.stack(
                [hint_flood.flood_fill_baseline(*example) for example in zip(sketch, hint_rgb, hint_mask, strict=True)]
            )
            acc.update(filled, truth, sketch[..., None])
        result = acc.result()
        out["metrics"].append(result)
        out["psnr"].append(result["psnr"])
        out["ssim"].append(result["ssim"])
        out["seconds"].append(time.perf_counter() - start)
        out.update(examples=result["images"], psnr_sketch=result["psnr_sketch"])
        if progress:
            print(f"  {BASELINE}, {count} hints: PSNR {result['psnr']:.2f} dB ({result['images']} images)", flush=True)
    return out


# -- the runs ------------------------------------------------------------------


def run_curve(run_dir, split, counts, dataset=None, data_dir=None, max_examples=None, batch_size=None, fill=False):
    """A run's metrics for every number of hints (`evaluator.evaluate_run`);
    a run trained without hints gets None beyond 0 hints.

    Returns:
        A dict: `run_dir`, `variant`, `image_size`, `hints_trained`,
        `examples`, `psnr`, `ssim`, `metrics`, `seconds` (lists aligned with
        `counts`) and `psnr_sketch`; with `fill`, also `fill_psnr` and
        `fill_metrics`: as `predict` outputs it (`fill_metrics`).
    """

    config = runs.load_config(run_dir)
    model = None  # predict's, loaded once for every count (`fill`)
    out = dict(run_dir=str(run_dir), variant=config.variant, hints_trained=bool(config.hints))
    out.update(psnr=[], ssim=[], metrics=[], seconds=[])
    for count in counts:
        if count and not config.hints:
            for key in ("psnr", "ssim", "metrics", "seconds"):
                out[key].append(None)
            continue
        result = evaluator.evaluate_run(
            run_dir,
            split=split,
            dataset=dataset,
            data_dir=data_dir,
            max_examples=max_examples,
            batch_size=batch_size,
            hints=count,
        )
        m = result["metrics"]
        out.update(image_size=result["image_size"], examples=result["examples"], psnr_sketch=m["psnr_sketch"])
        out["metrics"].append(m)
        out["psnr"].append(m["psnr"])
        out["ssim"].append(m["ssim"])
        out["seconds"].append(result["seconds"])
        print(f"  {_name(run_dir)}, {count} hints: PSNR {m['psnr']:.2f} dB ({result['examples']} images)", flush=True)
        if fill:
            model = model or coloring.Model(run_dir)
            f = fill_metrics(run_dir, split, count, dataset, data_dir, max_examples, model)
            out.setdefault("fill_psnr", []).append(f["psnr"])
            out.setdefault("fill_metrics", []).append(f)
            print(f"  {_name(run_dir)} + region fill, {count} hints: PSNR {f['psnr']:.2f} dB", flush=True)
    return out


def fill_metrics(run_dir, split, count, dataset=None, data_dir=None, max_examples=None, model=None):
    """The metrics of what `predict` outputs by default, at the evaluation
    resolution: `inference.coloring.colorize_array` with the hints (the
    network given them, its region decisions when the model has a
    `decoding.json`, then each line-bounded region that holds a hint filled
    with the hint's color, dabs on lines snapped to the region beside them
    nearest their color).

    Args:
        run_dir: a run trained with hints (or any run, for `count` = 0).
        split, dataset, data_dir, max_examples: as for `run_curve`.
        count: hints per image (the evaluation seed, as `evaluate`).
        model: the run as `predict` loads it (`coloring.Model`); default: loaded here.

    Returns:
        A `colorize.evaluation.metrics` dict.
    """
    config = eval_config(run_dir, dataset, data_dir)
    total = pipeline.num_examples(pipeline.ensure_dataset(config), split)
    total = min(total, max_examples) if max_examples else total
    sample = evaluator.sample_predictions(
        run_dir, total, split, dataset=dataset, data_dir=data_dir, hints=count, predict=False
    )
    model = model or coloring.Model(run_dir)
    prediction = []
    for i, sketch in enumerate(sample["sketch"][..., 0]):
        hints = (None, None)
        if count:
            hint_rgb = np.clip(np.rint(sample["hint_color"][i]), 0, 255).astype(np.uint8)
            hints = (hint_rgb, sample["hint_mask"][i, ..., 0] > 0.5)
        prediction.append(coloring.colorize_array(sketch, model, *hints, normalize="off")["rgb"])
        model.image_done()
    prediction = np.stack(prediction)
    acc = metrics.MetricAccumulator()
    acc.update(prediction, sample["truth"], sample["sketch"])
    return acc.result()


def _name(run_dir):
    return os.path.basename(os.path.normpath(str(run_dir)))


def _names(run_dirs):
    """A short unique label per run: its folder name, or its path when two
    runs share one."""
    short = [_name(r) for r in run_dirs]
    return [s if short.count(s) == 1 else os.path.normpath(r) for s, r in zip(short, run_dirs, strict=True)]


def run_experiment(args):
    """Evaluates every run and the baselines; writes results.json and
    results.md after each curve (an interrupted experiment keeps what it
    finished).

    Returns:
        The results dict (as written to results.json).
    """
    configs = [eval_config(r, args.dataset, args.data_dir) for r in args.runs]  # checks every run first
    fileio.ensure_writable_dir(args.out, "the results")
    results = dict(
        command="python -m experiments.hints_curve " + shlex.join(sys.argv[1:] if args.argv is None else args.argv),
        dataset=configs[0].dataset,
        split=args.split,
        sketch="line",
        counts=list(args.counts),
        hint_seed=_hint_seed(),
        max_examples=args.max_examples,
        baselines={},
        runs={},
    )
    for config in configs:
        key = str(config.image_size)
        if key not in results["baselines"]:
            print(f"== {BASELINE} baseline at {config.image_size} px on {config.dataset} {args.split}", flush=True)
            results["baselines"][key] = baseline_curve(
                config, args.split, args.counts, args.max_examples, args.batch_size
            )
            results.setdefault("psnr_sketch", results["baselines"][key]["psnr_sketch"])
            _write(args.out, results)
    for name, run_dir in zip(_names(args.runs), args.runs, strict=True):
        print(f"== {name}: evaluating with {', '.join(map(str, args.counts))} hints", flush=True)
        results["runs"][name] = run_curve(
            run_dir,
            args.split,
            args.counts,
            args.dataset,
            args.data_dir,
            args.max_examples,
            args.batch_size,
            fill=args.fill,
        )
        _write(args.out, results)
    return results


def _hint_seed():

    return evaluator.HINT_SEED


def _write(out, results):
    fileio.write_atomic(os.path.join(out, RESULTS), json.dumps(results, indent=1) + "\n")
    fileio.write_atomic(os.path.join(out, TABLE), markdown_table(results) + "\n")


def markdown_table(results):
    """PSNR (dB) per number of hints: one row per run, the flood-fill
    baseline and the bare sketch."""
    counts = results["counts"]
    header = ["method", "px", *[f"{c} hints" for c in counts]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]

    def row(label, size, values):
        cells = ["n/a" if v is None else f"{v:.2f}" for v in values]
        lines.append("| " + " | ".join([label, str(size), *cells]) + " |")

    for name, entry in results["runs"].items():
        row(f"{name} ({entry['variant']})", entry.get("image_size", "n/a"), entry["psnr"])
        if entry.get("fill_psnr"):
            row(f"{name} + region fill", entry.get("image_size", "n/a"), entry["fill_psnr"])
    for size, entry in results["baselines"].items():
        row(BASELINE, size, entry["psnr"])
        row("bare sketch", size, [entry["psnr_sketch"]] * len(counts))
    examples = {e.get("examples") for e in [*results["runs"].values(), *results["baselines"].values()]}
    lines.append("")
    lines.append(
        f"PSNR in dB on {results['dataset']} {results['split']} ({', '.join(map(str, sorted(examples - {None})))} "
        f"images), hints sampled from the ground truth with seed {results['hint_seed']}."
    )
    return "\n".join(lines)


# -- figures -------------------------------------------------------------------


def draw_curve(results, path):
    """PSNR against the number of hints (symmetric log axis, 0 included)."""
    plt = figures.pyplot()
    counts = results["counts"]
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for name, entry in results["runs"].items():
        points = [(c, v) for c, v in zip(counts, entry["psnr"], strict=True) if v is not None]
        (line,) = ax.plot(*zip(*points, strict=True), marker="o", label=f"{name} ({entry['variant']})")
        if entry.get("fill_psnr"):
            ax.plot(counts, entry["fill_psnr"], ":", marker="o", color=line.get_color(), label=f"{name} + region fill")
    for size, entry in results["baselines"].items():
        suffix = f" ({size} px)" if len(results["baselines"]) > 1 else ""
        ax.plot(counts, entry["psnr"], "k--", marker="s", label=f"{BASELINE} baseline{suffix}")
        ax.axhline(entry["psnr_sketch"], color="gray", linestyle=":", label=f"bare sketch{suffix}")
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xticks(counts)
    ax.set_xticklabels([str(c) for c in counts])
    ax.set_xlabel("hints per image")
    ax.set_ylabel("PSNR (dB)")
    ax.set_title(f"PSNR vs. number of hints ({results['dataset']} {results['split']})", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    figures.save(fig, path, tight=False)


def hints_view(sketch, hint_rgb, hint_mask):
    """The hints drawn over a faded sketch, each patch outlined in black so
    that a 1 px hint shows.

    Args:
        sketch: `(H, W)` uint8; hint_rgb: `(H, W, 3)` uint8; hint_mask:
            `(H, W)` bool.

    Returns:
        `(H, W, 3)` uint8 RGB.
    """
    faded = (255 - (255 - sketch.astype(np.float32)) * 0.35).astype(np.uint8)
    view = np.repeat(faded[..., None], 3, axis=-1)
    outline = cv2.dilate(hint_mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    view[outline] = 0
    view[hint_mask] = hint_rgb[hint_mask]
    return view


def grid_samples(args, results):
    """The images of the sample grid: the first `args.samples` test images
    with `args.grid_hints` hints, the baseline and each run's output.

    Returns:
        A dict of `(n, S, S, 3)` uint8 arrays: `sketch`, `hints`, `truth`,
        `baseline` and one per run name (runs at another resolution than the
        first are left out).
    """

    config = eval_config(args.runs[0], args.dataset, args.data_dir)
    count = args.grid_hints
    sketch, hint_rgb, hint_mask, truth = (
        np.concatenate(parts) for parts in zip(*baseline_examples(config, args.split, count, args.samples), strict=True)
    )
    samples = dict(
        sketch=np.repeat(sketch[..., None], 3, axis=-1),
        hints=np.stack([hints_view(*e) for e in zip(sketch, hint_rgb, hint_mask, strict=True)]),
        baseline=np.stack([hint_flood.flood_fill_baseline(*e) for e in zip(sketch, hint_rgb, hint_mask, strict=True)]),
        truth=truth,
    )
    for name, run_dir in zip(_names(args.runs), args.runs, strict=True):
        entry = results["runs"].get(name, {})
        if entry.get("image_size") != config.image_size:
            continue
        hints = count if entry.get("hints_trained") else 0
        pred = evaluator.sample_predictions(
            run_dir, len(truth), split=args.split, dataset=args.dataset, data_dir=args.data_dir, hints=hints
        )
        samples[f"run:{name}"] = pred["prediction"]
    return samples


def draw_grid(samples, count, path):
    """One row per test image: sketch | hints | flood fill | each run | ground truth."""
    plt = figures.pyplot()
    columns = [("Sketch", samples["sketch"]), (f"{count} hints", samples["hints"]), ("Flood fill", samples["baseline"])]
    columns += [(key[4:], images) for key, images in samples.items() if key.startswith("run:")]
    columns.append(("Ground truth", samples["truth"]))
    n = samples["truth"].shape[0]
    fig, axes = plt.subplots(n, len(columns), figsize=(1.4 * len(columns), 0.3 + 1.4 * n), squeeze=False)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - 0.3 / (0.3 + 1.4 * n), wspace=0.04, hspace=0.04)
    for c, (label, images) in enumerate(columns):
        for r in range(n):
            ax = axes[r][c]
            ax.imshow(images[r], interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(label, fontsize=8)
    figures.save(fig, path, tight=False, palette=True)


@cli
def main(argv=None):
    args = parse_args(argv)
    args.argv = argv
    start = time.perf_counter()
    path = os.path.join(args.out, RESULTS)
    if args.redraw:
        if not os.path.isfile(path):
            raise ColorizeError(f"{path}: no results to redraw; run without --redraw first")
        with open(path) as f:
            results = json.load(f)
        _write(args.out, results)
    else:
        results = run_experiment(args)
    written = [os.path.join(args.out, TABLE), path, os.path.join(args.out, CURVE)]
    draw_curve(results, written[-1])
    if args.grid_hints and not args.redraw:
        print(f"== sample grid: {args.samples} images, {args.grid_hints} hints", flush=True)
        written.append(os.path.join(args.out, f"samples_hints{args.grid_hints}.png"))
        draw_grid(grid_samples(args, results), args.grid_hints, written[-1])
    print(markdown_table(results))
    for p in written:
        print(f"wrote {p}")
    print(f"done in {(time.perf_counter() - start) / 60:.1f} min", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
