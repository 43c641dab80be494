"""A palette's own colors on validation data (`inference.palette_snap`):
what taking them exactly, and one per shape, costs or gains.

`python -m experiments.palette_snap MODEL [--split validation] [--max-examples N]`

Colors the model's validation windows as `predict --palette` colors them
(`calibrate_decoding.measure`), each given its ground truth's
`PALETTE_COLORS` main colors as a user would name them
(`data.palettes.main_colors`), at the model's recorded decoding:

- without a palette;
- with it, the network's colors as they are (snap distance 0);
- each chromatic pixel taking its nearest palette color within each
  distance in `--distances` (inf: any), no region made one color;
- at any distance, each shape (`palette_snap`: a closed region, or a
  patch of color on the page) taking the color most of its pixels took
  when it holds at least each share in `--unify-shares` (0: every shape),
  with each palette color that no shape took given to the shape it suits
  best (`Palette.every_color`);
- every shape, without that (a named color may go unused).

What a palette is for is a design choice, not a fit: the colors to use, so
every chromatic pixel takes one (`palette_snap`'s default: any distance),
and one color per shape (`UNIFY_SHARE` 0). The figures show what those
cost on validation windows, whose shapes often hold several colors without
a line between them (a blush on a cheek), against nearer distances and
higher shares. Giving each named color that no shape took the shape it
suits best (`Palette.every_color`) is a design choice too: a user who
names a color expects to see it; the last row shows what it costs against
leaving such a color unused.
Nothing is chosen here.

Writes `--out` (default `experiments/results/palette_snap/results.json`).
"""

import math
import os
import sys

from colorize import errors
from colorize.errors import cli
from colorize.inference import palette_snap
from experiments import calibrate_decoding

DISTANCES = (0.0, 20.0, 40.0, math.inf)
UNIFY_SHARES = (0.0, 0.3, 0.5, 0.7)
NO_REGIONS = 2.0  # a share no region reaches
PALETTE_COLORS = 6
OUT = os.path.join(os.path.dirname(__file__), "results", "palette_snap", "results.json")


def _parser():
    p = calibrate_decoding.sweep_parser(__doc__, OUT)
    p.add_argument("--distances", type=calibrate_decoding.floats, default=DISTANCES)
    p.add_argument("--unify-shares", type=calibrate_decoding.floats, default=UNIFY_SHARES)
    return p


@cli
def main(argv=None):
    args = errors.parse_args(_parser(), argv)
    config, model, examples = calibrate_decoding.open_model(
        args.model, args.split, args.max_examples, data_dir=args.data_dir
    )
    temperature, threshold = calibrate_decoding.recorded_decoding(args.model, config)
    key = calibrate_decoding.threshold_key(threshold)
    print(f"at T={temperature:g}, paper threshold {threshold}", flush=True)

    def figures(**palette):
        return calibrate_decoding.measure_one(model, examples, temperature, threshold, **palette)

    results = {"no palette": figures()}
    for distance in args.distances:
        results[f"snap {distance:g}"] = figures(palette_colors=PALETTE_COLORS, snap=distance, unify_share=NO_REGIONS)
    for share in args.unify_shares:
        results[f"snap inf, unify {share:g}"] = figures(palette_colors=PALETTE_COLORS, unify_share=share)
    # Each named color on some shape (`Palette.every_color`, the default above), against none forced.
    results["snap inf, unify 0, colors unforced"] = figures(
        palette_colors=PALETTE_COLORS, unify_share=0.0, every_color=False
    )
    for name, m in results.items():
        print(f"{name:<26} {calibrate_decoding.figures_text(m)}", flush=True)
    calibrate_decoding.write_sweep(
        args,
        config,
        len(examples),
        {name: {key: m} for name, m in results.items()},
        temperature=temperature,
        paper_threshold=threshold,
        palette_colors=PALETTE_COLORS,
        design={"snap": "any distance", "unify_share": palette_snap.UNIFY_SHARE, "every_color": True},
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
