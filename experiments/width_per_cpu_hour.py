"""Validation loss per CPU-hour of training runs of different widths.

    python -m experiments.width_per_cpu_hour RUN [RUN ...] [--json experiments/results/width_per_cpu_hour.json]

Each run's validation loss after every epoch (its `history.json`) is put
against the CPU time that epoch costs on this machine: the examples of an
epoch divided by the bare train step's images per second at the run's width
and precision in the benchmark's peak stage (`experiments/results/benchmark.json`,
measured quietly, both cores), times the cores. Wall time of the runs
themselves would not do: they shared the machine with other work. The runs
must share the dataset, resolution and batch size (their validation losses
are then on the same windows and comparable); the table shows, for each
run, the loss after each epoch and the CPU-hours spent to reach it.
"""

import argparse
import json
import os
import sys

from colorize import errors, fileio, runs
from colorize.errors import ColorizeError, cli

RESULTS = os.path.join("experiments", "results", "width_per_cpu_hour.json")
BENCHMARK = os.path.join("experiments", "results", "benchmark.json")


def _parser():
    p = argparse.ArgumentParser(prog="python -m experiments.width_per_cpu_hour", description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="run directories (same dataset, resolution and batch size)")
    p.add_argument("--benchmark", default=BENCHMARK, help=f"the benchmark's results (default {BENCHMARK})")
    p.add_argument("--json", default=RESULTS, help=f"where to write the table (default {RESULTS})")
    return p


def step_rates(benchmark):
    """{(width, precision): bare train-step images/s} of the peak stage, and the cores it ran on."""
    try:
        with open(benchmark) as f:
            result = json.load(f)
        peak = result["stages"]["peak"]
    except (OSError, ValueError, KeyError):
        raise ColorizeError(f"{benchmark}: no peak stage (run python -m experiments.benchmark --stage peak)") from None
    rates = {}
    for entry in peak["widths"]:
        for precision in ("float32", "mixed_bfloat16"):
            rates[(float(entry["width"]), precision)] = entry[precision]["images_per_s"]
    return rates, int(peak["peak"]["cores"]), peak["image_size"], peak["batch_size"]


def table(run_dirs, benchmark):
    """The rows: one per run, each epoch's validation loss and cumulative CPU-hours."""
    rates, cores, image_size, batch = step_rates(benchmark)
    rows, shared = [], None
    for run_dir in run_dirs:
        config = runs.load_config(run_dir)
        key = (config.dataset, config.image_size, config.batch_size)
        if shared is not None and key != shared:
            raise ColorizeError(f"{run_dir}: dataset, resolution or batch {key} differ from the first run's {shared}")
        shared = key
        rate = rates.get((float(config.width), config.precision))
        if rate is None or config.image_size != image_size or config.batch_size != batch:
            raise ColorizeError(
                f"{run_dir}: the benchmark has no step at width {config.width:g}, {config.precision}, "
                f"{config.image_size} px, batch {config.batch_size}"
            )
        history = runs.load_history(run_dir)
        if not history:
            raise ColorizeError(f"{run_dir}: no finished epoch in its history")
        examples = history[0]["step"] * config.batch_size  # one epoch
        hours = cores * examples / rate / 3600.0
        rows.append(
            dict(
                run=os.path.basename(os.path.normpath(run_dir)),
                width=config.width,
                precision=config.precision,
                step_images_per_s=rate,
                cpu_hours_per_epoch=hours,
                epochs=[h["epoch"] for h in history],
                cpu_hours=[hours * h["epoch"] for h in history],
                val_loss=[h["val_loss"] for h in history],
                learning_rate=[h["learning_rate"] for h in history],
            )
        )
    return dict(dataset=shared[0], image_size=shared[1], batch_size=shared[2], cores=cores, runs=rows)


def markdown(result):
    """A table: CPU-hours and validation loss after each epoch, per run."""
    longest = max(len(r["epochs"]) for r in result["runs"])
    head = "| run | width | CPU-h per epoch | " + " | ".join(f"epoch {i + 1}" for i in range(longest)) + " |"
    out = [head, "|---|---|---|" + "---|" * longest]
    for r in result["runs"]:
        cells = [f"{v:.2f} ({h:.2f} h)" for v, h in zip(r["val_loss"], r["cpu_hours"], strict=True)]
        cells += [""] * (longest - len(cells))
        out.append(f"| {r['run']} | {r['width']:g} | {r['cpu_hours_per_epoch']:.3f} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def equal_cost(result, chosen=None):
    """One sentence comparing the runs at the CPU-hours every one of them
    reached: the lowest validation loss there, and the runs trained longer
    (None for fewer than two runs).

    Args:
        result: `table`'s dict.
        chosen: the width that was shipped (its line says whether the
            comparison shows it ahead), or None.
    """
    runs_ = result["runs"]
    if len(runs_) < 2:
        return None
    budget = min(r["cpu_hours"][-1] for r in runs_)

    def within(r):  # the last epoch within the budget (a float's width over it counts as within)
        done = [i for i, h in enumerate(r["cpu_hours"]) if h <= budget * (1 + 1e-9)]
        return (r["val_loss"][done[-1]], r["cpu_hours"][done[-1]]) if done else None

    reached = [(r, within(r)) for r in runs_ if within(r) is not None]
    best, (loss, hours) = min(reached, key=lambda item: item[1][0])
    others = ", ".join(f"{v[0]:.2f} at width {r['width']:g}" for r, v in reached if r is not best)
    text = (
        f"Within the {budget:.2f} CPU-hours every run reached, width {best['width']:g} had the lowest validation "
        f"loss ({loss:.2f} after {hours:.2f} h; {others})."
    )
    longer = [r for r in runs_ if r["cpu_hours"][-1] > budget * (1 + 1e-9)]
    for r in longer:
        text += f" Width {r['width']:g} went on to {r['val_loss'][-1]:.2f} after {r['cpu_hours'][-1]:.2f} h."
    if chosen is not None and float(chosen) != float(best["width"]):
        text += (
            f" So this comparison does not support the shipped width, {float(chosen):g}: at equal cost it was behind."
        )
    return text


@cli
def main(argv=None):
    args = errors.parse_args(_parser(), argv)
    result = table(args.runs, args.benchmark)
    print(markdown(result))
    fileio.write_atomic(args.json, json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
