"""The lines `predict --from-color` multiplies back: the paper's extracted
line alone, or darkened to the picture's own ink (`inference.colored_input.ink_lines`).

`python -m experiments.from_color_lines MODEL [--split validation] [--max-examples N]
[--levels 0,48,64,96,128,160,192]`

Gives the model the ground-truth colored windows themselves with
`from_color` (as `predict --from-color` does: the network takes the
paper's line sketch of each) and measures the output against them, once
per ink level (`colored_input.INK_LEVEL`; 0: the extracted line alone).
The extracted line is made of edges: a thick black outline (OpenMoji's, a
comic's) comes out as two soft edges, hollow between them, and the
line-bounded regions find a thin region inside each outline. The ink is
where the picture is near-black; dark colored fills are not ink
(`colored_input.INK_SPREAD`).

The truth here is the input itself, so PSNR also rewards copying the
picture's own grays: beyond the level that fills the outlines it creeps up
as more of the picture's gray fills are kept instead of colored. The rule
is therefore the lowest level within `WITHIN_DB` of the best validation
PSNR (`choose`); report it on test data with `--split test --levels 0,LEVEL`.

Writes `--out` (default `experiments/results/from_color_lines/results_SPLIT.json`).
"""

import os
import sys
import time

from colorize import errors
from colorize.errors import cli
from colorize.evaluation import metrics
from colorize.inference import colored_input, coloring
from experiments import calibrate_decoding

LEVELS = [0, 48, 64, 96, 128, 160, 192]
"""The ink levels compared by default (0: the extracted line alone)."""

WITHIN_DB = 0.05
"""A level this close to the best validation PSNR is as good (`choose`)."""

OUT = os.path.join(os.path.dirname(__file__), "results", "from_color_lines", "results_{split}.json")


def levels(text):
    """`--levels`: comma-separated gray levels in 0..255."""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"expected gray levels like 0,64,96, got {text!r}") from None
    if not values or not all(0 <= v <= 255 for v in values):
        raise ValueError(f"gray levels are 0..255, got {text!r}")
    return values


def measure(model, examples, ink_levels):
    """{level: metrics dict} of the model's `from_color` output on the
    windows' colored truths, per ink level."""
    accumulators = {level: metrics.MetricAccumulator() for level in ink_levels}
    start = time.perf_counter()
    for i, (sketch, truth) in enumerate(examples, 1):
        for level in ink_levels:
            with calibrate_decoding.swapped(colored_input, INK_LEVEL=level):
                out = coloring.colorize_array(truth, model, from_color=True)
            accumulators[level].update(out["rgb"][None], truth[None], sketch[None, ..., None])
        if i % 20 == 0:
            print(f"{i} windows, {i / (time.perf_counter() - start):.2f} windows/s", flush=True)
    return {level: acc.result() for level, acc in accumulators.items()}


def choose(results):
    """The lowest ink level whose PSNR is within `WITHIN_DB` of the best."""
    best = max(m["psnr"] for m in results.values())
    return min(level for level, m in results.items() if m["psnr"] >= best - WITHIN_DB)


@cli
def main(argv=None):
    p = calibrate_decoding.sweep_parser(__doc__, None)
    p.add_argument("--levels", type=levels, default=LEVELS, help="ink levels to compare (0: none)")
    args = errors.parse_args(p, argv)
    args.out = args.out or OUT.format(split=args.split)
    config, model, examples = calibrate_decoding.open_model(
        args.model, args.split, args.max_examples, data_dir=args.data_dir
    )
    results = measure(model, examples, args.levels)
    for level, m in results.items():
        name = "extracted line alone" if level == 0 else f"ink under {level}"
        print(f"{name:<22} {calibrate_decoding.figures_text(m)}  SSIM {m['ssim']:.3f}", flush=True)
    chosen = choose(results)
    name = "none" if chosen == 0 else f"ink under {chosen}"
    print(f"chosen: {name} (the lowest level within {WITHIN_DB} dB of the best PSNR)")
    calibrate_decoding.write_record(
        args.out,
        args.model,
        config,
        args.split,
        len(examples),
        {str(level): {"from_color": m} for level, m in results.items()},
        ink_spread=colored_input.INK_SPREAD,
        chosen_level=chosen,
        rule=f"the lowest level within {WITHIN_DB} dB of the best PSNR",
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
