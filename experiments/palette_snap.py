"""Choosing `palette_snap.SNAP_DELTA_E` and `FILL_SHARE` on validation
data: how near a palette color a pixel must be to take it exactly, and how
much of a region must have taken palette colors for the rest to follow.

`python -m experiments.palette_snap MODEL [--split validation] [--max-examples N]`

Colors the model's validation windows as `predict --palette` colors them
(`calibrate_decoding.measure`), each given its ground truth's
`PALETTE_COLORS` main colors as a user would name them
(`data.palettes.main_colors`), at the model's recorded decoding, for every
snap distance in `--distances` (0: the network's colors as they are;
regions not filled), and once without a palette. Picks the largest
distance whose PSNR is within `TIE_DB` of the best: where PSNR cannot tell
them apart, the larger one gives more pixels the user's own colors (a
named yellow that the network decodes as its class's orange, some 30 Delta
E away, comes out yellow). Then, at that distance, every share in
`--fill-shares` (above 1: no region filled), and keeps `MAJORITY` (a
region where most colored pixels took palette colors follows them) unless
another share scores more than `TIE_DB` higher: what the fill is for, a
blend between two named colors, is rare in validation windows given their
own 6 main colors.

Writes `--out` (default `experiments/results/palette_snap/results.json`):
every figure and the choice. The distance is a module constant, set by
hand from the choice.
"""

import argparse
import os
import sys

from colorize import errors, runs
from colorize.errors import cli
from experiments import calibrate_decoding

DISTANCES = (0.0, 10.0, 15.0, 20.0, 25.0, 30.0, 40.0)
"""Unbounded distances are left out by design: every colored pixel would
take a palette color, also those the palette does not name (skin beside a
named red shirt). Validation cannot see that: the ground truth's 6 main
colors cover nearly all of its colored pixels."""
PALETTE_COLORS = 6
TIE_DB = 0.05
FILL_SHARES = (2.0, 0.3, 0.5, 0.7, 0.9)
NO_FILL = 2.0
MAJORITY = 0.5
OUT = os.path.join(os.path.dirname(__file__), "results", "palette_snap", "results.json")


def _parser():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", help="a run directory or packed model (colorize/weights/line_art)")
    p.add_argument("--split", default="validation")
    p.add_argument("--data-dir", default=None, help="TFDS data directory (default: the model's)")
    p.add_argument("--max-examples", type=int, default=150)
    p.add_argument("--distances", type=calibrate_decoding.floats, default=DISTANCES)
    p.add_argument("--fill-shares", type=calibrate_decoding.floats, default=FILL_SHARES)
    p.add_argument("--out", default=OUT)
    return p


RULE = f"the largest distance within {TIE_DB:g} dB of the best PSNR"


def choose(results):
    """The distance `RULE` picks from {distance: metrics}."""
    best = max(m["psnr"] for m in results.values())
    return max(d for d, m in results.items() if m["psnr"] >= best - TIE_DB)


FILL_RULE = f"{MAJORITY:g} unless another share scores more than {TIE_DB:g} dB higher"


def choose_fill(fills):
    """The share `FILL_RULE` picks from {share: metrics}."""
    best = max(fills, key=lambda f: fills[f]["psnr"])
    if MAJORITY in fills and fills[best]["psnr"] - fills[MAJORITY]["psnr"] <= TIE_DB:
        return MAJORITY
    return best


def _show(results):
    for name, m in results.items():
        print(
            f"{name:<22} PSNR {m['psnr']:.2f}  white kept {m['white_kept']:.3f}  page {m['page_min']:.1f}  "
            f"chroma ratio {m['chroma_ratio']:.2f}  overlap {m['color_overlap']:.3f}",
            flush=True,
        )


@cli
def main(argv=None):
    args = errors.parse_args(_parser(), argv)
    config, model, examples = calibrate_decoding.open_model(
        args.model, args.split, args.max_examples, data_dir=args.data_dir
    )
    decoding = runs.read_decoding(args.model)
    temperature = float(decoding.get("temperature") or config.temperature)
    threshold = decoding.get("paper_threshold")
    key = "none" if threshold is None else threshold
    print(f"at T={temperature:g}, paper threshold {threshold}", flush=True)

    def figures(**palette):
        return calibrate_decoding.measure(
            model, examples, [temperature], () if threshold is None else (threshold,), progress=False, **palette
        )[temperature][key]

    results = {"no palette": figures()}
    for distance in args.distances:
        results[f"snap {distance:g}"] = figures(palette_colors=PALETTE_COLORS, snap=distance, fill_share=NO_FILL)
    _show(results)
    distance = choose({d: results[f"snap {d:g}"] for d in args.distances})
    print(f"chosen distance: {distance:g} ({RULE})", flush=True)
    fills = {}
    for share in args.fill_shares:
        fills[share] = (
            results[f"snap {distance:g}"]  # no region filled: measured above
            if share > 1
            else figures(palette_colors=PALETTE_COLORS, snap=distance, fill_share=share)
        )
        results[f"snap {distance:g}, fill {share:g}"] = fills[share]
    _show({k: v for k, v in results.items() if "fill" in k})
    share = choose_fill(fills)
    print(f"chosen fill share: {share:g} ({FILL_RULE})")
    calibrate_decoding.write_record(
        args.out,
        args.model,
        config,
        args.split,
        len(examples),
        {name: {key: m} for name, m in results.items()},
        temperature=temperature,
        paper_threshold=threshold,
        palette_colors=PALETTE_COLORS,
        rule=f"distance: {RULE}, no region filled; fill share (above 1: none) at that distance: {FILL_RULE}",
        choice={"distance": distance, "fill_share": share},
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
