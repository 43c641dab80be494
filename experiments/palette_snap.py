"""Choosing `palette_snap.SNAP_DELTA_E` on validation data: how near a
palette color a pixel must be to take it exactly.

`python -m experiments.palette_snap MODEL [--split validation] [--max-examples N]`

Colors the model's validation windows as `predict --palette` colors them
(`calibrate_decoding.measure`), each given its ground truth's
`PALETTE_COLORS` main colors as a user would name them
(`data.palettes.main_colors`), at the model's recorded decoding, for every
snap distance in `--distances` (0: the network's colors as they are), and
once without a palette. Picks the distance with the best PSNR.

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

DISTANCES = (0.0, 10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 1000.0)
PALETTE_COLORS = 6
OUT = os.path.join(os.path.dirname(__file__), "results", "palette_snap", "results.json")


def _parser():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", help="a run directory or packed model (colorize/weights/line_art)")
    p.add_argument("--split", default="validation")
    p.add_argument("--data-dir", default=None, help="TFDS data directory (default: the model's)")
    p.add_argument("--max-examples", type=int, default=150)
    p.add_argument("--distances", type=calibrate_decoding.floats, default=DISTANCES)
    p.add_argument("--out", default=OUT)
    return p


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
        results[distance] = figures(palette_colors=PALETTE_COLORS, snap=distance)
    for name, m in results.items():
        print(
            f"{name!s:<10} PSNR {m['psnr']:.2f}  white kept {m['white_kept']:.3f}  page {m['page_min']:.1f}  "
            f"chroma ratio {m['chroma_ratio']:.2f}  overlap {m['color_overlap']:.3f}",
            flush=True,
        )
    chosen = max(args.distances, key=lambda d: results[d]["psnr"])
    print(f"chosen: {chosen:g} (best PSNR)")
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
        rule="best PSNR; distance 0: the network's colors as they are",
        choice=chosen,
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
