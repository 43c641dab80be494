"""Choosing `fullres.MIXED_PAPER_SPREAD` on validation data: when a region's
cells disagree about paper, decide it pixel by pixel.

`python -m experiments.mixed_regions MODEL [--split validation] [--max-examples N]`

A gap in a figure's outline makes the figure and the page one line-bounded
region. Decided as a whole, such a region is either all white (the figure's
color lost) or all colored (a colored page). `upsample_regions` decides a
region pixel by pixel instead when the spread of its cells' paper mass is
above `MIXED_PAPER_SPREAD`. This colors the model's validation windows as
`predict` colors them (`calibrate_decoding.measure`), at the model's
temperature, for every spread in `--spreads` (9 turns the pixel decisions
off: a spread is at most 0.5) and every paper threshold in `--thresholds`,
and picks by `calibrate_decoding`'s threshold rule (the best PSNR among
those that keep at least `MIN_WHITE_KEPT` of the white paper white).

Writes `--out` (default `experiments/results/mixed_regions/results.json`):
every figure, the choice and the rule. The spread is a module constant,
set by hand from the choice; `calibrate_decoding` then picks the threshold
under it. With `--hole-shares` it sweeps `fullres.PAPER_HOLE_SHARE` instead,
at the module's spread, into `hole_shares.json` beside `--out`; with
`--only-open` it compares `fullres.MIXED_ONLY_OPEN` off and on (whether a
closed region may be mixed too), into `only_open.json`; with
`--outlined-shares` it sweeps `fullres.OUTLINED_SHARE` (how much of a
colored patch's edge in a mixed region must be lines or the border for it
to stay colored; 0: the old rule), into `outlined_shares.json`.
"""

import os
import sys

from colorize import errors
from colorize.errors import cli
from colorize.inference import fullres
from experiments import calibrate_decoding

SPREADS = (9.0, 0.2, 0.25, 0.3, 0.35, 0.4)
HOLE_SHARES = (0.0, 0.02, 0.05, 0.1, 0.2)
OUTLINED_SHARES = (0.0, 0.5, 0.6, 0.7, 0.8)
THRESHOLDS = (0.25, 0.3, 0.35, 0.4, 0.5, 0.55)
OUT = os.path.join(os.path.dirname(__file__), "results", "mixed_regions", "results.json")
HOLES = "hole_shares.json"  # beside --out
ONLY_OPEN = "only_open.json"  # beside --out
OUTLINED = "outlined_shares.json"  # beside --out


def _parser():
    p = calibrate_decoding.sweep_parser(__doc__, OUT)
    p.add_argument("--spreads", type=calibrate_decoding.floats, default=SPREADS)
    p.add_argument("--thresholds", type=calibrate_decoding.floats, default=THRESHOLDS)
    p.add_argument(
        "--hole-shares",
        type=calibrate_decoding.floats,
        default=None,
        help=f"instead: sweep fullres.PAPER_HOLE_SHARE at the module's spread (e.g. {','.join(map(str, HOLE_SHARES))})",
    )
    p.add_argument(
        "--outlined-shares",
        type=calibrate_decoding.floats,
        default=None,
        help="instead: sweep fullres.OUTLINED_SHARE at the module's spread "
        f"(e.g. {','.join(map(str, OUTLINED_SHARES))})",
    )
    p.add_argument(
        "--only-open",
        action="store_true",
        help="instead: fullres.MIXED_ONLY_OPEN off and on (may a closed region be mixed?), at the module's spread",
    )
    return p


def sweep(model, examples, temperature, name, values, thresholds):
    """`calibrate_decoding.measure` with the module constant `fullres.<name>`
    at each of `values` (restored after).

    Returns:
        {value: {threshold or "none": metrics dict}}.
    """
    kept = getattr(fullres, name)
    results = {}
    try:
        for value in values:
            setattr(fullres, name, value)
            row = calibrate_decoding.measure(model, examples, [temperature], thresholds, progress=False)
            results[value] = row[temperature]
            for k, m in row[temperature].items():
                if k != "none":
                    print(f"{name} {value:<4g} threshold {k:<5g} {calibrate_decoding.figures_text(m)}", flush=True)
    finally:
        setattr(fullres, name, kept)
    return results


def choose(results):
    """The (spread, threshold) with the best PSNR among those that keep
    `calibrate_decoding.MIN_WHITE_KEPT` white: a dict, or None."""
    kept = [
        (s, k)
        for s, row in results.items()
        for k, m in row.items()
        if k != "none" and (m["white_kept"] or 0.0) >= calibrate_decoding.MIN_WHITE_KEPT
    ]
    if not kept:
        return None
    spread, threshold = max(kept, key=lambda sk: results[sk[0]][sk[1]]["psnr"])
    return {"spread": spread, "paper_threshold": threshold}


@cli
def main(argv=None):
    args = errors.parse_args(_parser(), argv)
    config, model, examples = calibrate_decoding.open_model(
        args.model, args.split, args.max_examples, data_dir=args.data_dir
    )
    temperature, _ = calibrate_decoding.recorded_decoding(args.model, config)
    print(f"at T={temperature:g}", flush=True)
    # The other sweeps, at the module's spread, each into its own file beside --out.
    for values, name, file in (
        ((False, True) if args.only_open else None, "MIXED_ONLY_OPEN", ONLY_OPEN),
        (args.hole_shares, "PAPER_HOLE_SHARE", HOLES),
        (args.outlined_shares, "OUTLINED_SHARE", OUTLINED),
    ):
        if not values:
            continue
        swept = sweep(model, examples, temperature, name, values, args.thresholds)
        out = os.path.join(os.path.dirname(args.out), file)
        calibrate_decoding.write_sweep(
            args,
            config,
            len(examples),
            swept,
            out=out,
            temperature=temperature,
            spread=fullres.MIXED_PAPER_SPREAD,
        )
        print(f"wrote {out}")
        return 0
    results = sweep(model, examples, temperature, "MIXED_PAPER_SPREAD", args.spreads, args.thresholds)
    choice = choose(results)
    print(f"chosen: {choice} (best PSNR among white kept >= {calibrate_decoding.MIN_WHITE_KEPT})")
    calibrate_decoding.write_sweep(
        args,
        config,
        len(examples),
        results,
        temperature=temperature,
        rule=f"best PSNR among white kept >= {calibrate_decoding.MIN_WHITE_KEPT}; spread 9: no pixel decisions",
        choice=choice,
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
