"""Speed of the line-bounded regions at 16 MP, alone and in a whole `predict`.

    python -m experiments.regions_speed [--checkout DIR] [--label before|after]
        [--repeats 5] [--quick] [--json experiments/results/regions_speed.json]

Measures a checkout of the project (default: this one; `--checkout DIR`
with `--label before` for another, e.g. `git archive` of an older commit
unpacked in a folder), each case in a fresh process whose working directory
is the checkout, so that its own `colorize` is imported:

- `line_regions_s`, `line_regions_cpu_s`: `hint_fill.line_regions` of a
  4000 x 4000 (16 MP) stress drawing (`stress_drawing`: 3500 crossing
  circles and lines, about 50,000 regions), the median of `--repeats` runs
  after a warm-up, wall time and CPU time (all threads; on a shared
  machine the CPU time moves less);
- `mp16_hint_image_s`, `mp16_hint_image_cpu_s`: what `predict` does for
  one input (decoding, hints, normalization, network, full-resolution
  regions, the hint's fill, PNG written: everything after start-up, the
  model loaded and run once on a small image) for a 4096 x 4096 drawing
  (`predict_speed.drawing`) with one hint point inside a shape, so that
  the regions and the fill are computed; wall and CPU time, the median of
  `--repeats` runs; `mp16_image_s`, `mp16_image_cpu_s` the same without
  the hint.

`--quick` measures 1000 px drawings once (the tests use it) and writes
`regions_speed_quick.json` unless `--json` names a file. The README's
table (`python -m experiments.docs`) puts "before" next to "after".
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

import cv2
import numpy as np

from colorize import errors
from colorize.errors import ColorizeError, cli
from experiments import predict_speed

RESULTS = os.path.join("experiments", "results", "regions_speed.json")
QUICK_RESULTS = os.path.join("experiments", "results", "regions_speed_quick.json")


def stress_drawing(size, seed=0, count=3500):
    """Crossing circles and straight lines, black on white, 1-3 px wide and
    anti-aliased: a dense page of many small regions.

    Returns:
        `(size, size)` uint8.
    """
    rng = np.random.default_rng(seed)
    image = np.full((size, size), 255, np.uint8)
    for i in range(count):
        center = rng.integers(0, size, 2)
        thickness = int(rng.integers(1, 4))
        if i % 2:
            radius = int(rng.integers(max(2, size // 500), max(3, size // 16)))
            cv2.circle(image, (int(center[0]), int(center[1])), radius, 0, thickness, cv2.LINE_AA)
        else:
            angle, length = rng.uniform(0, np.pi), rng.uniform(size / 200, size / 6)
            dx, dy = np.cos(angle) * length / 2, np.sin(angle) * length / 2
            ends = (int(center[0] - dx), int(center[1] - dy)), (int(center[0] + dx), int(center[1] + dy))
            cv2.line(image, *ends, 0, thickness, cv2.LINE_AA)
    return image


_REGIONS_DRIVER = """
import json, sys, time
import cv2
from colorize.inference import hint_fill
lines = cv2.imread(sys.argv[1], cv2.IMREAD_GRAYSCALE)
labels = hint_fill.line_regions(lines)  # warm-up
wall, cpu = [], []
for _ in range(int(sys.argv[2])):
    w, c = time.perf_counter(), time.process_time()
    labels = hint_fill.line_regions(lines)
    wall.append(time.perf_counter() - w)
    cpu.append(time.process_time() - c)
print("REGIONS " + json.dumps(dict(wall=wall, cpu=cpu, regions=int(labels.max()))))
"""


_PREDICT_DRIVER = """
import json, sys, time
from colorize import fileio, weights
from colorize.inference import hint_layers
from colorize.inference.jobs import hints_for
try:
    from colorize.inference import coloring as predict  # the coloring library
except ImportError:  # a checkout from before it: predict colored
    from colorize import predict
sketch, out, repeats, hint = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
model = predict.Model(weights.default_model())
warm = predict.load_rgb(sketch)[:512, :512].copy()
predict.colorize_array(warm, model)  # start-up: the model loaded, its functions run once
predict.colorize_array(warm, model, *hints_for(sketch, 512, 512, None, [hint_layers.parse_hint("5,5,#28aa3c")])[0])
times = {"hinted": [], "plain": []}
for _ in range(repeats):
    for case, points in (("hinted", [hint_layers.parse_hint(hint)]), ("plain", [])):
        w, c = time.perf_counter(), time.process_time()
        image = predict.load_rgb(sketch)  # what predict does for one input, as its per-image time
        hints, _ = hints_for(sketch, *image.shape[:2], None, points)
        result = predict.colorize_array(image, model, *(hints or (None, None)))
        fileio.save_png(out, result["rgb"])
        times[case].append((time.perf_counter() - w, time.process_time() - c))
print("PREDICT " + json.dumps(times))
"""


def _run(command, cwd):
    """stdout of a command; a failure is a ColorizeError."""
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ColorizeError(f"{' '.join(command[:4])} ... failed (exit {done.returncode}): {tail[0]}")
    return done.stdout


def _tagged(stdout, tag):
    """The JSON a driver printed after `tag`."""
    return json.loads(next(line for line in stdout.splitlines() if line.startswith(tag + " ")).split(" ", 1)[1])


def _inside_a_shape(sketch):
    """(x, y) of the center of the largest closed white region that does not
    touch the border (a hint placed there fills a shape, not the page)."""
    paper = (sketch > 128).astype(np.uint8)
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(paper, connectivity=4)
    h, w = sketch.shape
    best, best_area = None, 0
    for k in range(1, count):
        x, y, bw, bh, area = stats[k]
        if x == 0 or y == 0 or x + bw == w or y + bh == h or area <= best_area:
            continue
        ys, xs = np.nonzero(labels == k)
        i = np.argmin((xs - centroids[k][0]) ** 2 + (ys - centroids[k][1]) ** 2)  # a pixel of the region
        best, best_area = (int(xs[i]), int(ys[i])), area
    if best is None:
        raise ColorizeError("the drawing has no closed shape to put the hint in")
    return best


def measure(checkout, repeats=5, quick=False, progress=True):
    """Runs every case on `checkout`; returns the results dict (module docstring)."""
    python = sys.executable
    stress_side, sketch_side = (1000, 1024) if quick else (4000, 4096)
    with tempfile.TemporaryDirectory(prefix="regions_speed-") as tmp:
        stress = os.path.join(tmp, "stress.png")
        sketch = os.path.join(tmp, "sketch.png")
        cv2.imwrite(stress, stress_drawing(stress_side, 0, 3500 if not quick else 220))
        drawing = predict_speed.drawing(sketch_side, sketch_side, 1)
        cv2.imwrite(sketch, drawing)
        x, y = _inside_a_shape(drawing)

        def say(text):
            if progress:
                print(text, flush=True)

        timing = _tagged(_run([python, "-c", _REGIONS_DRIVER, stress, str(repeats)], checkout), "REGIONS")
        wall, cpu = statistics.median(timing["wall"]), statistics.median(timing["cpu"])
        say(f"line_regions: {wall:.2f} s wall, {cpu:.2f} s CPU")
        command = [python, "-c", _PREDICT_DRIVER, sketch, os.path.join(tmp, "out.png"), str(repeats)]
        times = _tagged(_run([*command, f"{x},{y},#28aa3c"], checkout), "PREDICT")
        for case in ("hinted", "plain"):
            say(f"{sketch_side} px sketch {case}: " + ", ".join(f"{w:.2f} s ({c:.2f} s CPU)" for w, c in times[case]))
    median = statistics.median
    return dict(
        machine=dict(
            cpu=platform.processor() or platform.machine(),
            cores=os.cpu_count(),
            python=platform.python_version(),
            load_average=list(os.getloadavg()),
        ),
        checkout=os.path.abspath(checkout),
        repeats=repeats,
        stress_side=stress_side,
        sketch_side=sketch_side,
        regions=timing["regions"],
        line_regions_s=median(timing["wall"]),
        line_regions_cpu_s=median(timing["cpu"]),
        mp16_hint_image_s=median(w for w, _ in times["hinted"]),
        mp16_hint_image_cpu_s=median(c for _, c in times["hinted"]),
        mp16_image_s=median(w for w, _ in times["plain"]),
        mp16_image_cpu_s=median(c for _, c in times["plain"]),
        runs=dict(line_regions_wall=timing["wall"], line_regions_cpu=timing["cpu"], **times),
    )


def markdown_table(before, after):
    """The README's before/after table of two results dicts."""
    side = after["stress_side"]
    sketch = after["sketch_side"]
    rows = [
        (f"`line_regions`, {side} x {side} stress drawing ({after['regions']:,} regions), wall", "line_regions_s"),
        ("the same, CPU time (both cores)", "line_regions_cpu_s"),
        (f"{sketch} x {sketch} sketch with a hint (regions and fill), after start-up, wall", "mp16_hint_image_s"),
        ("the same, CPU time", "mp16_hint_image_cpu_s"),
        ("the same sketch without hints, after start-up, wall", "mp16_image_s"),
        ("the same, CPU time", "mp16_image_cpu_s"),
    ]
    lines = ["| measured (median of runs) | before | after |", "|---|---|---|"]
    for label, key in rows:
        lines.append(f"| {label} | {before[key]:.2f} s | {after[key]:.2f} s |")
    return "\n".join(lines)


def _parser():
    p = argparse.ArgumentParser(prog="python -m experiments.regions_speed", description=__doc__.splitlines()[0])
    p.add_argument("--checkout", default=".", help="the project checkout to measure (default: this one)")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--label", default="after", help="key of this measurement in the results file (before|after)")
    p.add_argument("--quick", action="store_true", help="1000 px drawings, once (writes the quick results file)")
    p.add_argument("--json", default=None, help=f"results file (default: {RESULTS})")
    return p


@cli
def main(argv=None):
    args = errors.parse_args(_parser(), argv)
    if args.quick:
        args.repeats = 1
    if args.repeats <= 0:
        raise ColorizeError("--repeats must be positive")
    predict_speed.check_checkout(args.checkout)
    path = args.json or (QUICK_RESULTS if args.quick else RESULTS)
    result = measure(args.checkout, args.repeats, args.quick)
    predict_speed.record(path, args.label, result, markdown_table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
