"""Start-up, folder and large-sketch speed of `python -m colorize.predict`.

    python -m experiments.predict_speed [--checkout DIR] [--model PATH]
        [--repeats 3] [--folder-size 100] [--json experiments/results/predict_speed.json]

Runs the command exactly as a user does (a fresh process each time, the
shipped model unless `--model` is given) on drawings it generates (black
outlines on white, `drawing`), and reports the median of `--repeats` runs:

- `import_tensorflow_s`: `import tensorflow` in a fresh process, the floor
  of any command that colors;
- `first_png_s`: one 512 x 512 sketch, from starting the process until the
  PNG is written (predict's `main` returns), and
  `first_png_after_import_s` the part after TensorFlow's import (both timed
  inside the process, which imports TensorFlow, then runs predict's `main`);
  `first_png_wall_s` is the whole command as a user runs it, interpreter
  start and exit included;
- `folder_images_per_s`: a folder of `--folder-size` 512 px sketches, images
  per second over the whole command, and `folder_steady_s`, the median
  per-image time predict prints once it is running;
- `mp16_image_s`: a 4096 x 4096 (16.8 MP) sketch, the per-image time predict
  prints (decode, normalization, network, full-resolution regions, PNG
  written: everything after start-up), and `mp16_wall_s` the whole command.

`--checkout DIR` measures another checkout of the project (for before/after
figures, e.g. a `git worktree` of an older commit): the commands run with
DIR as the working directory, so its `colorize` package is imported.
Results go to `--json` (default `experiments/results/predict_speed.json`,
or `predict_speed_quick.json` with `--quick`, which never overwrites it).
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np

from colorize import errors, fileio
from colorize.errors import ColorizeError, cli

RESULTS = os.path.join("experiments", "results", "predict_speed.json")
QUICK_RESULTS = os.path.join("experiments", "results", "predict_speed_quick.json")
_IMAGE_LINE = re.compile(r"^\[\d+/\d+\] .* \((\d+)x(\d+)[^;]*, ([0-9.]+) s;")


def drawing(height, width, seed):
    """A line drawing: closed outlines (ellipses, rectangles, a polygon) in
    black on white, line width about 1/200 of the short side.

    Returns:
        `(height, width)` uint8.
    """
    rng = np.random.default_rng(seed)
    image = np.full((height, width), 255, np.uint8)
    short = min(height, width)
    thickness = max(1, short // 200)
    for _ in range(10):
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        axes = (int(rng.integers(short // 20, short // 5)), int(rng.integers(short // 20, short // 5)))
        cv2.ellipse(image, centre, axes, float(rng.uniform(0, 180)), 0, 360, 0, thickness, cv2.LINE_AA)
    for _ in range(6):
        a = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        b = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.rectangle(image, a, b, 0, thickness, cv2.LINE_AA)
    points = rng.integers(0, [width, height], size=(7, 2)).astype(np.int32)
    cv2.polylines(image, [points], True, 0, thickness, cv2.LINE_AA)
    return image


_DRIVER = """
import json, sys, time
start = time.perf_counter()
import tensorflow
imported = time.perf_counter()
from colorize import predict
status = predict.main(sys.argv[1:])
print("PREDICT_SPEED " + json.dumps(dict(status=status, imported=imported - start, done=time.perf_counter() - start)))
"""


def _timed_main(python, args, cwd):
    """predict's `main(args)` in a fresh process: (import s, PNG written s)."""
    _, out = _run([python, "-c", _DRIVER, *args], cwd)
    line = [x for x in out.splitlines() if x.startswith("PREDICT_SPEED ")]
    if not line:
        raise ColorizeError("predict printed no timing line")
    timing = json.loads(line[-1].split(" ", 1)[1])
    if timing["status"] != 0:
        raise ColorizeError(f"predict exited with {timing['status']}")
    return timing["imported"], timing["done"]


def _run(command, cwd):
    """(seconds, stdout) of a command; a failure is a ColorizeError."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ColorizeError(f"{' '.join(command)} failed (exit {done.returncode}): {tail[0]}")
    return seconds, done.stdout


def image_times(stdout):
    """Per-image seconds that predict printed, in order."""
    return [float(m.group(3)) for m in map(_IMAGE_LINE.match, stdout.splitlines()) if m]


def measure(checkout, model=None, repeats=3, folder_size=100, progress=True):
    """Runs every case; returns the results dict (see the module docstring)."""
    python = sys.executable
    model_flags = ["--model", os.path.abspath(model)] if model else []
    predict = [python, "-m", "colorize.predict", *model_flags]
    with tempfile.TemporaryDirectory(prefix="predict_speed-") as tmp:
        small = os.path.join(tmp, "sketch512.png")
        large = os.path.join(tmp, "sketch16mp.png")
        folder = os.path.join(tmp, "folder")
        os.makedirs(folder)
        cv2.imwrite(small, drawing(512, 512, 0))
        cv2.imwrite(large, drawing(4096, 4096, 1))
        for i in range(folder_size):
            cv2.imwrite(os.path.join(folder, f"{i:03d}.png"), drawing(512, 512, 100 + i))

        def say(text):
            if progress:
                print(text, flush=True)

        runs = {"import": [], "first": [], "first_after_import": [], "first_wall": [], "mp16_wall": [], "mp16": []}
        for r in range(repeats):
            imported, done = _timed_main(python, model_flags + [small, "-o", os.path.join(tmp, f"in{r}")], checkout)
            runs["import"].append(imported)
            runs["first"].append(done)
            runs["first_after_import"].append(done - imported)
            runs["first_wall"].append(_run(predict + [small, "-o", os.path.join(tmp, f"out{r}")], checkout)[0])
            wall, out = _run(predict + [large, "-o", os.path.join(tmp, f"out{r}")], checkout)
            runs["mp16_wall"].append(wall)
            runs["mp16"].extend(image_times(out))
            say(
                f"run {r + 1}/{repeats}: import {imported:.2f} s, first PNG {done:.2f} s "
                f"({runs['first_wall'][-1]:.2f} s wall), "
                f"16 MP {runs['mp16'][-1]:.2f} s ({wall:.2f} s wall)"
            )
        wall, out = _run(predict + [folder, "-o", os.path.join(tmp, "folder_out")], checkout)
        per_image = image_times(out)
        say(f"folder of {folder_size}: {wall:.1f} s wall")
    median = statistics.median
    return dict(
        machine=dict(
            cpu=platform.processor() or platform.machine(),
            cores=os.cpu_count(),
            python=platform.python_version(),
            load_average=list(os.getloadavg()),
        ),
        checkout=os.path.abspath(checkout),
        model=model or "shipped",
        repeats=repeats,
        import_tensorflow_s=median(runs["import"]),
        first_png_s=median(runs["first"]),
        first_png_after_import_s=median(runs["first_after_import"]),
        first_png_wall_s=median(runs["first_wall"]),
        mp16_image_s=median(runs["mp16"]),
        mp16_wall_s=median(runs["mp16_wall"]),
        folder_size=folder_size,
        folder_wall_s=wall,
        folder_images_per_s=folder_size / wall,
        folder_steady_s=median(per_image[len(per_image) // 2 :]),
        runs=runs,
    )


def markdown_table(before, after):
    """The README's before/after table of two results dicts."""
    rows = [
        ("`import tensorflow` alone", "import_tensorflow_s", "{:.2f} s"),
        ("one 512 px sketch, process start to PNG written", "first_png_s", "{:.2f} s"),
        ("the same, after TensorFlow's import", "first_png_after_import_s", "{:.2f} s"),
        ("the same, whole command (interpreter start and exit)", "first_png_wall_s", "{:.2f} s"),
        ("16 MP sketch (4096 x 4096), after start-up", "mp16_image_s", "{:.2f} s"),
        ("16 MP sketch, whole command", "mp16_wall_s", "{:.2f} s"),
        (f"folder of {after['folder_size']} sketches (512 px)", "folder_images_per_s", "{:.2f} images/s"),
        ("folder, steady per-image time", "folder_steady_s", "{:.2f} s"),
    ]
    lines = ["| measured (median of runs) | before | after |", "|---|---|---|"]
    for label, key, fmt in rows:
        lines.append(f"| {label} | {fmt.format(before[key])} | {fmt.format(after[key])} |")
    return "\n".join(lines)


def _parser():
    p = argparse.ArgumentParser(prog="python -m experiments.predict_speed", description=__doc__.splitlines()[0])
    p.add_argument("--checkout", default=".", help="the project checkout to measure (default: this one)")
    p.add_argument("--model", default=None, help="a run or export (default: the shipped model)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--folder-size", type=int, default=100)
    p.add_argument("--label", default="after", help="key of this measurement in the results file (before|after)")
    p.add_argument("--quick", action="store_true", help="1 repeat, a folder of 10 (writes the quick results file)")
    p.add_argument("--json", default=None, help=f"results file (default: {RESULTS})")
    return p


@cli
def main(argv=None):
    args = errors.parse_args(_parser(), argv)
    if args.quick:
        args.repeats, args.folder_size = 1, 10
    if args.repeats <= 0 or args.folder_size <= 0:
        raise ColorizeError("--repeats and --folder-size must be positive")
    check_checkout(args.checkout)
    path = args.json or (QUICK_RESULTS if args.quick else RESULTS)
    result = measure(args.checkout, args.model, args.repeats, args.folder_size)
    record(path, args.label, result, markdown_table)
    return 0


def check_checkout(checkout):
    """A ColorizeError unless `checkout` holds this project's `colorize/`."""
    if not os.path.isdir(os.path.join(checkout, "colorize")):
        raise ColorizeError(f"{checkout}: not a checkout of this project (no colorize/ folder)")


def record(path, label, result, table):
    """Writes `result` under `label` ("before" or "after") into the results
    file `path`, keeping its other label, and prints `table(before, after)`
    once both are there."""
    results = {}
    if os.path.isfile(path):
        with open(path) as f:
            results = json.load(f)
    results[label] = result
    fileio.write_atomic(path, json.dumps(results, indent=1) + "\n")
    if "before" in results and "after" in results:
        print(table(results["before"], results["after"]))
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
