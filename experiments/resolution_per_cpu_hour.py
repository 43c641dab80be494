"""Training resolutions compared per CPU-hour, as `predict` colors.

    python -m experiments.resolution_per_cpu_hour RUN[:CPU_SECONDS] RUN[:CPU_SECONDS] ... [--out JSON]

Validation losses of runs at different resolutions are on different
windows and do not compare (`width_per_cpu_hour` needs one resolution).
What does compare is what a user gets: each run (a run directory, or a
snapshot of one of its checkpoints) colors the same validation windows of
its dataset the way `predict` colors them (`calibrate_decoding.measure`,
256 px windows at each run's own trained scale), at one decoding
(`--temperature`, `--threshold`: the shipped model's by default), and each
is put against the CPU time its training took: the process CPU seconds
the trainer records in the history (`cpu_seconds`, of the last epoch), or
the `:CPU_SECONDS` given after the run (measured outside, e.g. from
/proc/PID/stat, for runs trained before the trainer recorded it; for a
branch of a longer run, the seconds since the branch).

Writes `--out` (default `experiments/results/resolution_per_cpu_hour.json`).
"""

import json
import os
import sys

from colorize import errors, fileio, runs, weights
from colorize.errors import ColorizeError, cli
from experiments import calibrate_decoding

OUT = os.path.join(os.path.dirname(__file__), "results", "resolution_per_cpu_hour.json")


def _parser():
    p = calibrate_decoding.sweep_parser(__doc__, OUT, model=False)
    p.add_argument("runs", nargs="+", help="RUN or RUN:CPU_SECONDS")
    decoding = runs.read_decoding(weights.SHIPPED)
    p.add_argument("--temperature", type=float, default=decoding.get("temperature", 0.5))
    p.add_argument("--threshold", type=float, default=decoding.get("paper_threshold", 0.45))
    return p


def parse_run(text):
    """`RUN` or `RUN:CPU_SECONDS` -> (run, seconds or None).

    Raises:
        ColorizeError: seconds that are not a number >= 0.
    """
    run, _, seconds = text.partition(":")
    if not seconds:
        return run, None
    try:
        value = float(seconds)
    except ValueError:
        raise ColorizeError(f"{text}: CPU seconds must be a number") from None
    if value < 0:
        raise ColorizeError(f"{text}: CPU seconds must be >= 0")
    return run, value


def cpu_seconds(run, given):
    """The CPU seconds of a run's training: `given`, else its history's last `cpu_seconds`.

    Raises:
        ColorizeError: neither is there.
    """
    if given is not None:
        return given
    history = runs.load_history(run)
    if history and "cpu_seconds" in history[-1]:
        return float(history[-1]["cpu_seconds"])
    raise ColorizeError(f"{run}: its history records no CPU seconds; give them as {run}:SECONDS")


@cli
def main(argv=None):
    args = errors.parse_args(_parser(), argv)
    arms = [parse_run(text) for text in args.runs]
    rows = []
    for run, given in arms:
        seconds = cpu_seconds(run, given)
        config, model, examples = calibrate_decoding.open_model(
            run, args.split, args.max_examples, data_dir=args.data_dir
        )
        figures = calibrate_decoding.measure(model, examples, [args.temperature], (args.threshold,), progress=False)
        m = figures[args.temperature][args.threshold]
        rows.append(
            dict(
                run=run,
                image_size=config.image_size,
                width=config.width,
                cpu_hours=seconds / 3600.0,
                windows=len(examples),
                predict=m,
            )
        )
        print(f"{run} ({config.image_size} px, {seconds / 3600:.2f} CPU-h): {calibrate_decoding.figures_text(m)}")
    record = dict(
        split=args.split,
        temperature=args.temperature,
        paper_threshold=args.threshold,
        runs=rows,
    )
    fileio.write_atomic(args.out, json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
