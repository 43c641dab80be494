"""How far better paper decisions alone would take a network's output, on
validation data: the same network colors, decided paper or color by the
ground truth instead of by the network.

`python -m experiments.decision_ceiling MODEL [--split validation] [--max-examples N]`

Colors the model's validation windows as `predict` colors them
(`calibrate_decoding.measure_one`'s path: region decisions, the mirror
average, no hints) at its recorded temperature and paper threshold, and
keeps the network's chromatic color (the annealed mean of its chromatic
classes, `Model.evidence`) brought to full size with line-bounded regions
and no decisions (`fullres.upsample_regions`). From it, every row but the
first is one way of deciding which pixels are white paper, the rest taking
that chromatic color, the lines multiplied back in:

- `as predict colors`: the shipped decoding, for reference;
- `network, per pixel, above P`: white where the network's paper mass,
  bilinear to full size, is above P (`fullres.paper_decision`, no regions);
- `truth, per region`: white every line-bounded region (`fullres.line_regions`,
  its line pixels with their nearest region) of which at least half the
  pixels are white paper in the ground truth: the best any decision per
  region could do on these sketches' regions;
- `truth, per pixel`: white exactly where the ground truth is white paper
  (`metrics.WHITE_TRUE`): the best any decision could do with the
  network's colors.

"white paper" is the metrics' own (`metrics.white_mask`). The truth rows
are ceilings for measurement only; no decoding can see the truth. The
record also gives `paper_in_mixed_regions`: the share of the truth's white
paper that lies in line-bounded regions mostly of color, which no decision
per region can keep white.

Writes `--out` (default `experiments/results/decision_ceiling/results.json`):
{name: {"decided": metrics}}.
"""

import os
import sys

import numpy as np

from colorize.errors import ColorizeError, cli
from colorize.evaluation import metrics
from colorize.inference import coloring, fullres
from experiments import calibrate_decoding

OUT = os.path.join(os.path.dirname(__file__), "results", "decision_ceiling", "results.json")
PAPER_MASSES = (0.25, 0.35, 0.45)
PREDICT = "as predict colors"
TRUTH_REGIONS = "truth, per region"
TRUTH_PIXELS = "truth, per pixel"
KEY = "decided"


def network_row(threshold):
    """The row name of the network's own per-pixel decisions above `threshold`."""
    return f"network, per pixel, above {threshold:g}"


def truth_paper(truth):
    """`(H, W)` bool: where `(H, W, 3)` uint8 RGB ground truth is white paper (`metrics.WHITE_TRUE`)."""
    return metrics.white_mask(metrics.rgb_to_lch(np.asarray(truth, np.float64)))


def region_paper(paper, sketch):
    """Per line-bounded region, the majority of a pixel mask.

    Args:
        paper: `(H, W)` bool.
        sketch: `(H, W)` uint8 sketch whose regions (`fullres.line_regions`)
            are decided; each line pixel counts with its nearest region.

    Returns:
        (decided, mixed): `(H, W)` bool, True over each region of which at
        least half the pixels are in `paper`; and the number of `paper`
        pixels in the regions that are not.
    """
    barrier, labels, count = fullres.line_regions(sketch)
    owner = labels.ravel()[fullres.nearest_pixel(barrier).ravel()]  # (H * W,) each pixel's region
    pixels = np.bincount(owner, minlength=count)
    inside = np.bincount(owner, weights=paper.ravel(), minlength=count)
    majority = inside >= 0.5 * np.maximum(pixels, 1)
    decided = majority[owner].reshape(paper.shape)
    return decided, int(inside[~majority].sum())


def decided_outputs(sketch, truth, predicted, evidence, thresholds=PAPER_MASSES):
    """Every row's output for one window.

    Args:
        sketch: `(H, W)` uint8.
        truth: `(H, W, 3)` uint8 RGB.
        predicted: `(H, W, 3)` uint8 `predict`'s output.
        evidence: the model's `(paper (h, w), chromatic (h, w, 3))` at the
            trained scale, from the pass that made `predicted`.
        thresholds: the network's paper masses the per-pixel rows cut at.

    Returns:
        ({row name: `(H, W, 3)` uint8 RGB}, truth paper pixels, those of
        them in regions mostly of color).
    """
    height, width = sketch.shape
    paper_mass, chromatic = evidence[:2]
    colored = fullres.upsample_regions(np.asarray(chromatic, np.float32), sketch)  # (H, W, 3), no decisions
    paper = truth_paper(truth)
    by_region, mixed = region_paper(paper, sketch)

    def white_where(mask):
        return fullres.multiply_lines(np.where(mask[..., np.newaxis], np.float32(255.0), colored), sketch)

    rows = {PREDICT: np.asarray(predicted)}
    for t in thresholds:
        rows[network_row(t)] = white_where(fullres.paper_decision(paper_mass, (height, width), t))
    rows[TRUTH_REGIONS] = white_where(by_region)
    rows[TRUTH_PIXELS] = white_where(paper)
    return rows, int(paper.sum()), mixed


def measure(model, examples, temperature, threshold, thresholds=PAPER_MASSES):
    """Every row's metrics over `examples` (`calibrate_decoding.windows`).

    Returns:
        ({row name: metrics dict}, share of the truth's white paper in
        regions mostly of color, or None when there is no paper).

    Raises:
        ColorizeError: the model gives no paper mass (not a classification net).
    """
    warm = model.with_temperature(temperature)
    warm.paper_threshold = threshold
    accumulators, paper, mixed = {}, 0, 0
    for sketch, truth in examples:
        out = coloring.colorize_array(np.dstack([sketch] * 3), warm, normalize="off")
        if warm.evidence is None:
            raise ColorizeError(f"{model.path}: gives no paper mass (a classification network's) to decide paper with")
        rows, n_paper, n_mixed = decided_outputs(sketch, truth, out["rgb"], warm.evidence, thresholds)
        paper, mixed = paper + n_paper, mixed + n_mixed
        for name, rgb in rows.items():
            accumulators.setdefault(name, metrics.MetricAccumulator()).update(
                rgb[np.newaxis], truth[np.newaxis], sketch[np.newaxis, ..., np.newaxis]
            )
    return {name: acc.result() for name, acc in accumulators.items()}, (mixed / paper if paper else None)


def markdown_table(record):
    """The results file's rows as a Markdown table (`experiments.docs`)."""

    lines = [f"| paper decided by | {calibrate_decoding.FIGURES_HEAD}", "|---|---|---|---|---|---|---|"]
    lines += [f"| {name} | {calibrate_decoding.figures_cells(row[KEY])}" for name, row in record["results"].items()]
    threshold = record.get("paper_threshold")
    mixed = record.get("paper_in_mixed_regions")
    head = (
        f"`{record['model']}`, {record['examples']} {record['split']} windows of {record['dataset']}; "
        f"recorded decoding: temperature {record['temperature']:g}, paper threshold "
        f"{'none' if threshold is None else f'{threshold:g}'}; the truth's white paper in regions mostly of "
        f"color: {'-' if mixed is None else f'{mixed:.3f}'} (`experiments/results/decision_ceiling/results.json`)."
    )
    return head + "\n\n" + "\n".join(lines) + "\n"


@cli
def main(argv=None):
    args = calibrate_decoding.parse_sweep(__doc__, OUT, argv)
    config, model, examples = calibrate_decoding.open_model(
        args.model, args.split, args.max_examples, data_dir=args.data_dir
    )
    temperature, threshold = calibrate_decoding.recorded_decoding(args.model, config)
    results, mixed = measure(model, examples, temperature, threshold)
    for name, m in results.items():
        print(f"{name:<32} {calibrate_decoding.figures_text(m)}  hue error {m['hue_error']:.1f} deg", flush=True)
    calibrate_decoding.write_sweep(
        args,
        config,
        len(examples),
        {name: {KEY: m} for name, m in results.items()},
        temperature=temperature,
        paper_threshold=threshold,
        paper_in_mixed_regions=mixed,
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
