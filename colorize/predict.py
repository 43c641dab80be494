"""Colors sketch files of any size from the command line.

    python -m colorize.predict INPUT... -o OUT_DIR [--model RUN_DIR|EXPORT_DIR]
        [--temperature T] [--from-color] [--sketch-normalize auto|off]
        [--upsample regions|bilinear] [--flip-average on|off] [--hints FILE]
        [--hint X,Y,#RRGGBB]... [--layers] [--skip-existing]

Without `--model` the model shipped in the package is used
(`colorize.weights.default_model`); the first line printed names the model.

INPUTs are image files (PNG, JPEG, WebP, BMP, TIFF; anything
`colorize.data.images.load_image` decodes) and folders (searched
recursively). Each input gives one PNG in OUT_DIR named after it (`a/b.jpg`
inside a folder INPUT -> `OUT_DIR/a/b.png`; when two inputs would get the
same name, a PNG keeps it, another gets its extension in it, `b.jpg` ->
`b-jpg.png`, and then `-2`, `-3`...; `-o FILE.png` with one input file
writes that file), written atomically (a
temporary file, then a rename). A bad input (missing: before the model
loads; unreadable, not an image, truncated, too large) is reported on one
line, `error: PATH: REASON` on stderr and `[i/N] PATH: failed`, and the
others are still done. Exit status: 0 when every input was colored, 1 when
some failed, 2 for a usage error (bad flag, no model, a missing `--hints`
file, an output folder that cannot be written).

Color hints (`colorize.inference.hint_layers`): `--hints FILE` (one input),
an RGBA PNG layer painted over the sketch, opaque pixels are hints;
`NAME.hints.png` beside `NAME.png` (or `.jpg`...) is used by itself and
never colored as an input; `--hint X,Y,#RRGGBB` (repeatable, pixel column
and row) adds points over them, for every input. A bad hint layer, or a
point outside an input, fails that input with a one-line error naming the
layer or the point, before the model loads. A model trained without hints
warns once and colors without them. With `--upsample regions` every
line-bounded region holding a hint comes out flat in the hint's color
(`hint_flood`: a fill stops at its figure's outline, hints of different
colors in one region split it, and a `note: PATH: ...` line says when a hint
was inside an outline open to the page or hints shared a region). `--layers`
also writes `NAME.ora` (OpenRaster: the flat color under the lines).

Each input goes through `colorize.inference.coloring.colorize_array`, the
pipeline the web page uses too (the network's output averaged over the
drawing and its mirror image: `coloring.FLIP_AVERAGE`, `--flip-average`).
Inputs up to `colorize.formats.MAX_PIXELS` pixels are colored; larger ones
are refused from their header, before decoding ("too large").
"""

import argparse
import os
import sys

from colorize import errors, fileio, runs, tf_logs, variants, weights
from colorize.data import images
from colorize.errors import EXIT_FAILED, ColorizeError, cli
from colorize.inference import coloring, fullres, hint_layers
from colorize.inference.jobs import (
    HINTS_SUFFIX,
    check_hints,
    collect_inputs,
    color_jobs,
    output_target,
    passed_over,
    skip_existing,
    unused_layers,
)


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m colorize.predict",
        description="Color sketch files (any size) with a trained run or an exported SavedModel.",
        epilog="Exit status: 0 all colored, 1 some inputs failed, 2 usage error.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files and folders (searched recursively)")
    p.add_argument(
        "-o",
        "--out-dir",
        required=True,
        metavar="OUT_DIR|FILE.png",
        help="where the colored PNGs go: a folder, or FILE.png for one input file",
    )
    p.add_argument("--model", default=None, help="run directory or SavedModel (default: the shipped model)")
    p.add_argument("--temperature", type=float, default=None, help="annealed-mean temperature (default: the model's)")
    p.add_argument(
        "--from-color", action="store_true", help="inputs are colored illustrations: extract their sketch first"
    )
    p.add_argument(
        "--sketch-normalize",
        default="auto",
        choices=coloring.NORMALIZE_MODES,
        help="auto: bring paper, ink and line width to the training distribution; off: use the sketch as it is",
    )
    p.add_argument(
        "--upsample",
        default="regions",
        choices=fullres.UPSAMPLE_METHODS,
        help="full-resolution color: line-bounded regions (default) or bilinear (as the SavedModel)",
    )
    p.add_argument(
        "--flip-average",
        default="on",
        choices=("on", "off"),
        help="on: average the network over the drawing and its mirror image (default; twice the network's time); "
        "off: one pass, as the SavedModel",
    )
    p.add_argument(
        "--hints", metavar="FILE", default=None, help="RGBA PNG hint layer (opaque pixels are hints); one input only"
    )
    p.add_argument(
        "--hint",
        action="append",
        default=[],
        metavar="X,Y,#RRGGBB",
        help=(
            "a color hint at pixel column X, row Y of the sketch, a square about 1/64 of its short side (repeatable; "
            "over --hints and NAME.hints.png; given to every input: for several, put NAME.hints.png beside each)"
        ),
    )
    p.add_argument(
        "--skip-existing",
        action="store_true",
        help="leave inputs whose output PNG is there already (go on after an interruption)",
    )
    p.add_argument("--layers", action="store_true", help="also write NAME.ora: flat color under the lines (OpenRaster)")
    p.add_argument(
        "--palette",
        metavar="#RRGGBB,...",
        default=None,
        help="colors to use (not where): one palette for every input, so a folder shares its colors",
    )
    p.add_argument(
        "--reference",
        metavar="IMAGE",
        default=None,
        help="a colored picture whose main colors are the palette (with --palette: both)",
    )
    return p


def parse_args(argv):
    argv = list(sys.argv[1:] if argv is None else argv)
    # "--hint -5,10,#ff0000" would be read as an unknown option: join it as
    # "--hint=-5,10,#ff0000", so that parse_hint says what is wrong with it.
    for i in range(len(argv) - 2, -1, -1):
        if argv[i] == "--hint" and argv[i + 1].startswith("-") and argv[i + 1][1:2].isdigit():
            argv[i : i + 2] = [f"--hint={argv[i + 1]}"]
    return errors.parse_args(_parser(), argv)


@cli
def main(argv=None):
    tf_logs.install()
    args = parse_args(argv)
    if args.temperature is not None:
        variants.check_temperature(args.temperature, "--temperature")  # before the model loads
    if args.hints and (len(args.inputs) != 1 or os.path.isdir(args.inputs[0])):
        raise ColorizeError(
            "--hints FILE is for a single input file; for several inputs put NAME.hints.png beside each NAME.png"
        )
    if args.hints and (unusable := images.header_reason(args.hints)):  # before the model loads, as --reference
        raise ColorizeError(f"hint layer {args.hints}: {unusable}")
    points = [hint_layers.parse_hint(text) for text in args.hint]
    named = None
    if args.palette is not None:
        try:
            named = hint_layers.parse_colors(args.palette)
        except ValueError as e:
            raise ColorizeError(f"--palette: {e}") from None
    try:
        reference = coloring.load_rgb(args.reference) if args.reference else None
    except ColorizeError as e:  # one line naming the file: say it is the reference
        raise ColorizeError(f"--reference: {e}") from None
    if reference is not None:
        from colorize.data import palettes  # noqa: PLC0415 (imports TensorFlow, as the model does)

        if not palettes.has_colors(reference):  # before the model loads (seconds)
            raise ColorizeError(f"--reference: {args.reference}: {coloring.NO_REFERENCE_COLORS}")
    # The model's path, inputs and output folder: checked before the model loads (seconds).
    model_path = runs.check_model(args.model or weights.default_model())
    out_dir, out_name = output_target(args.out_dir, args.inputs)
    fileio.ensure_writable_dir(out_dir, "output", keep=False)  # created with the first output
    layers = []
    jobs, failures = collect_inputs(args.inputs, out_dir, out_name, layers)
    for layer in unused_layers(layers, jobs, failures):
        name = os.path.basename(layer)[: -len(HINTS_SUFFIX)]
        print(f"note: {layer}: no sketch {name}.png (or .jpg...) beside it; this hint layer is not used", flush=True)
    for layer in passed_over(jobs, args.hints):
        print(f"note: {layer}: --hints {args.hints} is used instead; this hint layer is not used", flush=True)
    jobs, failures = check_hints(jobs, failures, args.hints, points)
    out_file = None if out_name is None else args.out_dir
    total = len(jobs) + len(failures)  # every input gets its [i/total] line; these fail first
    for i, (path, reason) in enumerate(failures, 1):
        print(f"error: {path}: {reason}", file=sys.stderr, flush=True)
        print(f"[{i}/{total}] {path}: failed", flush=True)
    if not jobs:
        print(f"colored 0 of {total} inputs; {len(failures)} failed")  # (no output folder was made)
        return EXIT_FAILED
    count = {"done": 0, "skipped": 0}
    if args.skip_existing:  # before the model loads: a finished folder takes no seconds
        jobs = skip_existing(jobs, failures, total, out_dir, out_file, count)
        if not jobs:
            print(f"colored 0 of {total} inputs; {count['skipped']} there already, skipped", flush=True)
            return EXIT_FAILED if failures else 0
    print(f"model: {model_path}" + ("" if args.model else " (the shipped model)"), flush=True)
    model = coloring.Model(model_path, args.temperature, flip_average=args.flip_average == "on")
    try:
        palette = model.palette(named, reference)
    except ColorizeError as e:
        if reference is None or "reference" not in str(e):
            raise
        raise ColorizeError(f"--reference: {args.reference}: {e}") from None
    if palette is not None:
        print(f"{palette.note(args.reference, args.palette)} (for every input)", flush=True)

    try:
        color_jobs(jobs, failures, total, out_dir, out_file, model, palette, points, args, count)
    except KeyboardInterrupt:
        where = f" into {args.out_dir}" if count["done"] else ""
        left = total - len(failures) - count["done"] - count["skipped"]
        print(f"interrupted: colored {count['done']} of {total} inputs{where}; {left} not done", flush=True)
        print("(the same command with --skip-existing goes on where it stopped)", flush=True)
        raise
    done, skipped = count["done"], count["skipped"]
    where = f" {'into' if out_name is None else 'as'} {args.out_dir}" if done else ""  # nothing written: say nowhere
    print(
        f"colored {done} of {total} inputs{where}"
        + (f"; {skipped} there already, skipped" if skipped else "")
        + (f"; {len(failures)} failed" if failures else "")
    )
    return EXIT_FAILED if failures else 0


def _exit_now(status):
    """Ends the process without the interpreter's teardown: unloading TensorFlow
    takes a noticeable part of a short run, with every output written."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def command():
    """`python -m colorize.predict`, `colorize-predict`: `main`, then
    `_exit_now`; SIGTERM interrupts it as Ctrl-C does, from the start."""
    with errors.sigterm_interrupts():
        status = main()
    _exit_now(status)


if __name__ == "__main__":
    command()
