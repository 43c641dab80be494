"""Reproduces the paper's comparison: `python -m experiments.paper --preset small`.

Trains the five variants (regression, classification, rebalance, lch,
chroma) with the same data and budget through `colorize.train` (a finished
run is not retrained, an interrupted one resumes), evaluates each on the test
split with `colorize.evaluate`, and draws the paper's figures with matplotlib:

- `fig6_samples.png`: sketch, each variant, ground truth, for the same test
  images (paper Fig. 6);
- `fig7_chroma.png`: mean output chroma per variant, ground truth as a line;
- `fig9_mse_rgb.png`, `fig10_mse_chroma.png`, `fig11_mse_lightness.png`,
  `fig12_mse_hue.png`: the MSE charts (paper Figs. 9-12).

The figures, `results.json` (every variant's metrics, training time and
last validation epoch) and `results.md` (the table) land in `--out`
(default `experiments/results/DATASET_PRESET`), small enough to commit. The
run directories (checkpoints, models) and `samples.npz` (the images of
Fig. 6, about 1 MB) go to `--runs-dir`. `--redraw` redraws from these files
without training or evaluating (Fig. 6 only where samples.npz is still
there).
"""

import argparse
import json
import os
import shlex
import sys
import time

import numpy as np

from colorize import errors, fileio, runs, train, variants
from colorize.errors import ColorizeError, cli
from colorize.evaluation import evaluator, metrics
from experiments import figures

RESULTS = "results.json"
TABLE = "results.md"
SAMPLES = "samples.npz"
FIGURES = (
    "fig6_samples.png",
    "fig7_chroma.png",
    "fig9_mse_rgb.png",
    "fig10_mse_chroma.png",
    "fig11_mse_lightness.png",
    "fig12_mse_hue.png",
)
# The paper's labels for its variants (Figs. 6-12).
LABELS = {
    "regression": "Regression",
    "classification": "Classification",
    "rebalance": "Rebalance",
    "lch": "LCH",
    "chroma": "Chroma loss",
}


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m experiments.paper",
        description="Train the paper's five variants with one budget, evaluate them, and draw Figs. 6, 7, 9-12.",
    )
    p.add_argument("--preset", default="small", help="training preset: " + ", ".join(variants.PRESETS))
    p.add_argument("--epochs", type=int, default=None, help="epochs per variant (default: the preset's)")
    p.add_argument("--steps-per-epoch", type=int, default=None, help="default: the preset's (0: one pass)")
    p.add_argument("--dataset", default=None, help="TFDS name/config (default: the preset's)")
    p.add_argument("--data-dir", default=None, help="TFDS data directory (default: ~/tensorflow_datasets)")
    p.add_argument("--variants", default=",".join(variants.VARIANTS), help="comma-separated subset (default: all five)")
    p.add_argument("--split", default="test", help="evaluation split (default: test)")
    p.add_argument("--max-examples", type=int, default=None, help="evaluate on the first N examples only")
    p.add_argument("--samples", type=int, default=6, help="test images in the Fig. 6 grid (default: 6)")
    p.add_argument("--out", default=None, help="results folder (default: experiments/results/DATASET_PRESET)")
    p.add_argument("--runs-dir", default=None, help="where the runs go (default: runs/experiments/DATASET_PRESET)")
    p.add_argument("--redraw", action="store_true", help="redraw the figures from OUT/results.json; no training")
    return p


def parse_args(argv):
    args = errors.parse_args(_parser(), argv)
    args.variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in args.variants if v not in variants.VARIANTS]
    if unknown or not args.variants:
        raise ColorizeError(
            f"--variants: unknown {unknown or 'empty list'}; choose from {', '.join(variants.VARIANTS)}"
        )
    if args.samples <= 0:
        raise ColorizeError(f"--samples must be positive, not {args.samples}")
    # Resolving the first variant checks preset, dataset and budget flags.
    config = variants.resolve(
        args.variants[0], args.preset, epochs=args.epochs, steps_per_epoch=args.steps_per_epoch, dataset=args.dataset
    )
    name = f"{config.dataset.partition('/')[2] or config.dataset}_{args.preset}"
    args.out = args.out or os.path.join("experiments", "results", name)
    args.runs_dir = args.runs_dir or os.path.join("runs", "experiments", name)
    return args


def _read_json(path, default=None):
    if not os.path.exists(path):
        return default
    try:
        with open(path) as f:
            return json.load(f)
    except ValueError as e:
        raise ColorizeError(f"{path}: not valid JSON ({e})") from None


def train_variant(args, variant):
    """Trains (or resumes, or skips when finished) one variant with
    `colorize.train` (the library form of its command line).

    Returns:
        (run_dir, seconds spent training now, whether anything was trained,
        whether it resumed an earlier, unfinished or shorter run).
    """
    run_dir = os.path.join(args.runs_dir, variant)
    argv = ["--variant", variant, "--preset", args.preset, "--run-dir", run_dir]
    for flag, value in (
        ("--epochs", args.epochs),
        ("--steps-per-epoch", args.steps_per_epoch),
        ("--dataset", args.dataset),
        ("--data-dir", args.data_dir),
    ):
        if value is not None:
            argv += [flag, str(value)]
    history_path = runs.history_path(run_dir)
    before = _read_json(history_path)
    print(f"== {variant}: python -m colorize.train {shlex.join(argv)}", flush=True)
    start = time.perf_counter()
    train.run(argv)
    seconds = time.perf_counter() - start
    return run_dir, seconds, _read_json(history_path) != before, before is not None


def run_experiment(args):
    """Trains and evaluates every variant; writes results.json, results.md
    into `args.out` and samples.npz into `args.runs_dir`.

    Returns:
        The results dict (as written to results.json).
    """

    os.makedirs(args.out, exist_ok=True)
    results_path = os.path.join(args.out, RESULTS)
    previous = _read_json(results_path, {}).get("variants", {})
    results = dict(
        command="python -m experiments.paper " + shlex.join(sys.argv[1:] if args.argv is None else args.argv),
        preset=args.preset,
        split=args.split,
        runs_dir=args.runs_dir,
        samples=os.path.join(args.runs_dir, SAMPLES),
        variants={},
    )
    samples = {}
    for variant in args.variants:
        run_dir, seconds, trained, resumed = train_variant(args, variant)
        config = runs.load_config(run_dir)
        # A resumed run's time includes the earlier calls' (from results.json).
        old_seconds = (previous.get(variant, {}).get("train_seconds") or 0.0) if resumed else 0.0
        history = runs.load_history(run_dir)
        print(f"== {variant}: evaluating on {args.split}", flush=True)
        evaluation = evaluator.evaluate_run(run_dir, split=args.split, max_examples=args.max_examples)
        print(
            metrics.format_table(evaluation["metrics"], title=f"{variant} ({evaluation['examples']} images)"),
            flush=True,
        )
        grid = evaluator.sample_predictions(run_dir, args.samples, split=args.split)
        samples.setdefault("sketch", grid["sketch"])
        samples.setdefault("truth", grid["truth"])
        samples[f"prediction_{variant}"] = grid["prediction"]
        results.update(dataset=config.dataset, image_size=config.image_size, epochs=config.epochs)
        results["variants"][variant] = dict(
            run_dir=run_dir,
            # Time of the training this script did (over resumed calls too).
            train_seconds=old_seconds + seconds if trained else old_seconds or None,
            steps=history[-1]["step"] if history else None,
            last_epoch=history[-1] if history else None,
            evaluation=evaluation,
        )
        # Written after each variant, so that an interrupted experiment
        # keeps what it finished.
        _write_results(args.out, results, samples)
    return results


def _write_results(out, results, samples):
    """Writes results.json and results.md into `out`, and the Fig. 6
    images to `results["samples"]`."""
    fileio.write_atomic(os.path.join(out, RESULTS), json.dumps(results, indent=1) + "\n")
    fileio.write_atomic(os.path.join(out, TABLE), markdown_table(results) + "\n")
    os.makedirs(os.path.dirname(results["samples"]) or ".", exist_ok=True)
    np.savez_compressed(results["samples"], **samples)


def markdown_table(results):
    """The metrics of every variant as a Markdown table (one row per variant)."""
    columns = [
        ("chroma", "chroma", "{:.2f}"),
        ("chroma_true", "GT chroma", "{:.2f}"),
        ("chroma_ratio", "ratio", "{:.2f}"),
        ("mse_r", "MSE R", "{:.0f}"),
        ("mse_g", "MSE G", "{:.0f}"),
        ("mse_b", "MSE B", "{:.0f}"),
        ("mse_l", "MSE L", "{:.1f}"),
        ("mse_c", "MSE C", "{:.1f}"),
        ("hue_error", "hue err (deg)", "{:.1f}"),
        ("hue_mse", "hue MSE (deg^2)", "{:.0f}"),
        ("psnr", "PSNR (dB)", "{:.2f}"),
        ("ssim", "SSIM", "{:.3f}"),
    ]
    header = ["variant", *[c[1] for c in columns], "train time"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for variant, entry in results["variants"].items():
        m = entry["evaluation"]["metrics"]
        cells = [LABELS.get(variant, variant)]
        cells += ["n/a" if m.get(key) is None else fmt.format(m[key]) for key, _, fmt in columns]
        seconds = entry.get("train_seconds")
        cells.append("n/a" if seconds is None else f"{seconds / 60:.1f} min")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# -- figures ------------------------------------------------------------------


def draw_samples(samples, order, path):
    """Fig. 6: one row per method (sketch, each variant, ground truth), one
    column per test image."""
    plt = figures.pyplot()
    rows = [("Sketch", np.repeat(samples["sketch"], 3, axis=-1))]
    rows += [(LABELS.get(v, v), samples[f"prediction_{v}"]) for v in order if f"prediction_{v}" in samples]
    rows.append(("Ground truth", samples["truth"]))
    n = samples["truth"].shape[0]
    fig, axes = plt.subplots(len(rows), n, figsize=(0.4 + 1.3 * n, 0.3 + 1.3 * len(rows)), squeeze=False)
    fig.subplots_adjust(
        left=0.4 / (0.4 + 1.3 * n),
        right=0.99,
        bottom=0.01,
        top=1 - 0.3 / (0.3 + 1.3 * len(rows)),
        wspace=0.04,
        hspace=0.04,
    )
    for r, (label, images) in enumerate(rows):
        for c in range(n):
            ax = axes[r][c]
            ax.imshow(images[c], interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(label, fontsize=9)
    fig.suptitle("Sample outputs (test images)", fontsize=10, y=1 - 0.05 / (0.3 + 1.3 * len(rows)), va="top")
    figures.save(fig, path, tight=False, palette=True)


def _bars(ax, labels, values, color="tab:blue", offset=0.0, width=0.7, label=None):
    """Bars with their values written on top (`None` drawn as "n/a")."""
    x = np.arange(len(labels)) + offset
    heights = [0.0 if v is None else v for v in values]
    bars = ax.bar(x, heights, width, color=color, label=label)
    for bar, v in zip(bars, values, strict=True):
        text = "n/a" if v is None else f"{v:.1f}" if v < 100 else f"{v:.0f}"
        ax.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize=7)
    return x


def draw_metric(results, key, title, ylabel, path, truth_key=None):
    """One bar per variant for metric `key` (Figs. 7, 10, 11, 12); with
    `truth_key`, the ground truth's value as a dashed line (Fig. 7)."""
    plt = figures.pyplot()
    order = list(results["variants"])
    fig, ax = plt.subplots(figsize=(6, 3.6))
    evals = [results["variants"][v]["evaluation"]["metrics"] for v in order]
    _bars(ax, [LABELS.get(v, v) for v in order], [m.get(key) for m in evals])
    if truth_key:
        truth = evals[0][truth_key]
        ax.axhline(truth, color="black", linestyle="--", linewidth=1, label=f"ground truth ({truth:.2f})")
        ax.legend(fontsize=8, loc="upper left")
    ax.set_xticks(np.arange(len(order)), [LABELS.get(v, v) for v in order], fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.margins(y=0.15)
    figures.save(fig, path)


def draw_rgb_mse(results, path):
    """Fig. 9: MSE of R, G and B per variant, grouped."""
    plt = figures.pyplot()
    order = list(results["variants"])
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for i, (key, color) in enumerate((("mse_r", "tab:red"), ("mse_g", "tab:green"), ("mse_b", "tab:blue"))):
        values = [results["variants"][v]["evaluation"]["metrics"].get(key) for v in order]
        _bars(ax, order, values, color=color, offset=(i - 1) * 0.27, width=0.27, label=key[-1].upper())
    ax.set_xticks(np.arange(len(order)), [LABELS.get(v, v) for v in order], fontsize=8)
    ax.set_ylabel("MSE (0..255 scale)")
    ax.set_title("MSE of the RGB channels (paper Fig. 9)", fontsize=10)
    ax.legend(fontsize=8)
    ax.margins(y=0.15)
    figures.save(fig, path)


def draw_figures(out, results=None):
    """Draws the figures of `FIGURES` into `out` from its results.json and
    the samples.npz it names (Fig. 6 is skipped, with a message, where that
    file is gone).

    Returns:
        The paths of the figures drawn.

    Raises:
        ColorizeError: there is no results.json (nothing to redraw).
    """
    results = results or _read_json(os.path.join(out, RESULTS))
    if not results or not results.get("variants"):
        raise ColorizeError(f"{out}: no {RESULTS} to draw from; run without --redraw first")
    path = {name: os.path.join(out, name) for name in FIGURES}
    samples_path = results.get("samples") or ""
    if os.path.exists(samples_path):
        with np.load(samples_path) as f:
            draw_samples(dict(f), list(results["variants"]), path["fig6_samples.png"])
    else:
        print(f"not redrawing {path.pop('fig6_samples.png')}: its images ({samples_path or SAMPLES}) are gone")
    draw_metric(
        results,
        "chroma",
        "Average chroma of the outputs (paper Fig. 7)",
        "mean CIE chroma",
        path["fig7_chroma.png"],
        "chroma_true",
    )
    draw_rgb_mse(results, path["fig9_mse_rgb.png"])
    draw_metric(results, "mse_c", "MSE of the chroma channel (paper Fig. 10)", "MSE of C", path["fig10_mse_chroma.png"])
    draw_metric(
        results,
        "mse_l",
        "MSE of the lightness channel (paper Fig. 11)",
        "MSE of L (0..100)",
        path["fig11_mse_lightness.png"],
    )
    draw_metric(
        results,
        "hue_mse",
        "MSE of the hue, weighted by true chroma (paper Fig. 12)",
        "hue MSE (deg^2)",
        path["fig12_mse_hue.png"],
    )
    paths = list(path.values())
    return paths


@cli
def main(argv=None):
    args = parse_args(argv)
    args.argv = argv
    start = time.perf_counter()
    results = None if args.redraw else run_experiment(args)
    paths = draw_figures(args.out, results)
    results = results or _read_json(os.path.join(args.out, RESULTS))
    print(markdown_table(results))
    for path in paths:
        print(f"wrote {path}")
    print(f"done in {(time.perf_counter() - start) / 60:.1f} min", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
