"""The command line: `python -m experiments.benchmark [--stage ...] [--quick]`."""

import argparse
import json
import math
import os
import platform
import shlex
import shutil
import sys
import tempfile
import time

import cv2
import keras
import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from colorize import errors, variants
from colorize.errors import ColorizeError, cli
from experiments.benchmark import config
from experiments.benchmark.build_stage import stage_build
from experiments.benchmark.inference_stage import stage_inference
from experiments.benchmark.peak_stage import stage_peak
from experiments.benchmark.report import markdown_table, peak_markdown, table_rows
from experiments.benchmark.targets_stage import stage_targets
from experiments.benchmark.timing import CpuShare, log
from experiments.benchmark.train_stage import stage_train


def machine():
    """The machine a benchmark ran on: CPU, cores, memory, versions, device."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    ram_gib = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    ram_gib = round(int(line.split()[1]) / 2**20, 1)
                    break
    except OSError:
        pass

    gpus = tf.config.list_physical_devices("GPU")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "ram_gib": ram_gib,
        "device": ", ".join(d.name for d in gpus) if gpus else "CPU",
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "tensorflow_datasets": tfds.__version__,
        "numpy": np.__version__,
        "opencv": cv2.__version__,
        "load_average_start": list(os.getloadavg()),
    }


def _finite_check(value, path="result"):
    """Raises if a measured number is not finite (a broken timer, a 0 s
    run): the JSON must hold only real figures."""
    if isinstance(value, dict):
        for k, v in value.items():
            _finite_check(v, f"{path}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _finite_check(v, f"{path}[{i}]")
    elif isinstance(value, float) and not math.isfinite(value):
        raise ColorizeError(f"benchmark produced a non-finite figure at {path}: {value}")


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m experiments.benchmark",
        description="Time each stage (dataset build, targets, training step, the step against the CPU's peak, "
        "inference) next to its floor, reference or peak.",
    )
    p.add_argument("--stage", default="all", help="build, targets, train, peak, inference or all (default)")
    p.add_argument("--quick", action="store_true", help="a tiny budget (seconds): checks that everything runs")
    p.add_argument(
        "--json",
        default=None,
        help=f"where to write the results (default {config.DEFAULT_JSON}; --quick: {config.QUICK_JSON}). A run of one "
        "stage replaces that stage in an existing file and keeps the others",
    )
    p.add_argument(
        "--repeats", type=int, default=None, help="timed runs per figure after one warm-up (default 3; quick 2)"
    )
    p.add_argument("--data-dir", default=None, help="TFDS data directory (default: TFDS's, ~/tensorflow_datasets)")
    p.add_argument(
        "--dataset",
        default=None,
        help="dataset for targets/train (default sketch_colorization/synthetic; quick: synthetic_tiny)",
    )
    p.add_argument(
        "--paper-variants",
        default=None,
        help="comma-separated variants timed at the paper preset (default: all five; quick: none; 'none' skips)",
    )
    p.add_argument(
        "--paper-batch",
        type=int,
        default=None,
        help="batch size of the paper preset's few steps on CPU (default 2; the preset's is 24)",
    )
    p.add_argument(
        "--work-dir", default=None, help="scratch folder for builds, runs and exports (default: a temporary one)"
    )
    return p


def parse_args(argv):
    args = errors.parse_args(_parser(), argv)
    if args.stage != "all" and args.stage not in config.STAGES:
        raise ColorizeError(f"--stage must be one of {', '.join(config.STAGES)} or all, not {args.stage!r}")
    for flag in ("repeats", "paper_batch"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise ColorizeError(f"--{flag.replace('_', '-')} must be at least 1, not {value}")
    if args.paper_variants is not None:
        names = [v.strip() for v in args.paper_variants.split(",") if v.strip()]
        names = [] if args.paper_variants == "none" else names
        unknown = [v for v in names if v not in variants.VARIANTS]
        if unknown:
            raise ColorizeError(
                f"--paper-variants: unknown {', '.join(unknown)}; choose from {', '.join(variants.VARIANTS)} or none"
            )
        args.paper_variants = tuple(names)
    return args


def output_path(args):
    """Where the results go: `--json` when given; else the committed
    `config.DEFAULT_JSON` for a real run, and a file in the temporary folder for a
    `--quick` one (its numbers only show that the code runs; they must never
    replace the committed figures)."""
    if args.json:
        return args.json
    return config.QUICK_JSON if args.quick else config.DEFAULT_JSON


def _merge_stages(result, path, merge):
    """`result` with the stages it did not run taken from the results
    already at `path` (a real run of some stages updates those stages of the
    committed file and keeps the rest). Each stage records the command and
    load that measured it in `stage_runs`."""
    runs = {
        stage: {"command": result["command"], "load_average_start": result["machine"]["load_average_start"]}
        for stage in result["stages"]
    }
    old = None
    if merge and os.path.exists(path):
        try:
            with open(path) as f:
                old = json.load(f)
        except (OSError, ValueError) as e:
            log("report", f"{path}: not merged with the earlier results ({e})")
    if not old or old.get("quick") or old.get("machine", {}).get("cpu") != result["machine"]["cpu"]:
        return dict(result, stage_runs=runs)
    previous = old.get("stage_runs") or {s: {"command": old.get("command")} for s in old.get("stages", {})}
    stages = {s: v for s, v in old.get("stages", {}).items() if s not in result["stages"]}
    kept = {s: previous.get(s, {"command": old.get("command")}) for s in stages}
    stages.update(result["stages"])
    return dict(result, stages={s: stages[s] for s in config.STAGES if s in stages}, stage_runs={**kept, **runs})


def run(argv=None):
    """Runs the benchmark; returns the result dict (also written as JSON)."""
    args = parse_args(argv)
    budget = dict(config.BUDGETS["quick" if args.quick else "full"], quick=args.quick)
    if args.paper_variants is not None:
        budget["paper_variants"] = args.paper_variants
    if args.paper_batch is not None:
        budget["paper_batch"] = args.paper_batch
    repeats = args.repeats or budget["repeats"]
    stages = config.STAGES if args.stage == "all" else (args.stage,)
    json_path = output_path(args)
    started = time.perf_counter()
    result = {
        "command": "python -m experiments.benchmark " + " ".join(shlex.quote(a) for a in (argv or [])),
        "quick": args.quick,
        "repeats": repeats,
        "machine": machine(),
        "stages": {},
    }
    work_dir = args.work_dir or tempfile.mkdtemp(prefix="colorize-benchmark-")
    os.makedirs(work_dir, exist_ok=True)
    try:
        for stage in stages:
            start = time.perf_counter()
            CpuShare.reset()
            log(stage, "start")
            if stage == "build":
                result["stages"][stage] = stage_build(budget, work_dir, repeats)
            elif stage == "targets":
                result["stages"][stage] = stage_targets(budget, args, repeats)
            elif stage == "train":
                result["stages"][stage] = stage_train(budget, args, work_dir, repeats)
            elif stage == "peak":
                result["stages"][stage] = stage_peak(budget, args, work_dir, repeats)
            else:
                result["stages"][stage] = stage_inference(budget, work_dir, repeats)
            result["stages"][stage]["stage_seconds"] = time.perf_counter() - start
            # Under 1.5 on 2 idle cores means other processes took the CPU.
            result["stages"][stage]["cores_used_while_timing"] = CpuShare.cores_used()
            log(
                stage,
                f"done in {time.perf_counter() - start:.0f} s; this process got "
                f"{CpuShare.cores_used():.2f} cores while timing",
            )
    finally:
        if not args.work_dir:
            shutil.rmtree(work_dir, ignore_errors=True)
    result["machine"]["load_average_end"] = list(os.getloadavg())
    result["seconds"] = time.perf_counter() - started
    _finite_check(result)
    measured = dict(result["stages"])
    result = _merge_stages(result, json_path, merge=not args.quick and args.stage != "all")
    columns = ("stage", "measure", "value", "baseline", "ratio")
    result["table"] = [dict(zip(columns, r, strict=True)) for r in table_rows(result["stages"])]
    folder = os.path.dirname(os.path.abspath(json_path))
    try:
        os.makedirs(folder, exist_ok=True)
        tmp = f"{json_path}.tmp{os.getpid()}"
        with open(tmp, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
        os.replace(tmp, json_path)
    except OSError as e:
        raise ColorizeError(f"{json_path}: cannot write results ({e.strerror or e})") from None
    m = result["machine"]
    print(
        f"\n{m['cpu']}, {m['usable_cores']} cores, {m['ram_gib']} GiB, {m['device']}; TF {m['tensorflow']}, "
        f"Keras {m['keras']}; load average {m['load_average_start'][0]:.1f} -> {m['load_average_end'][0]:.1f}"
    )
    print(markdown_table(table_rows(measured)))
    if "peak" in measured:
        print("\n" + peak_markdown(result["stages"]))
    kept = sorted(set(result["stages"]) - set(measured))
    note = f"; kept its earlier {', '.join(kept)} results" if kept else ""
    print(f"\nwrote {json_path} ({result['seconds']:.0f} s){note}", flush=True)
    return result


@cli
def main(argv=None):
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
