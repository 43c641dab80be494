"""What `predict` colors: its inputs (files and folders) as jobs with
output names, the hint layers found beside them, where the outputs go
(`output_target`), and the loop that colors the jobs (`color_jobs`)."""

import os
import sys
import time

import cv2

from colorize import errors, fileio, formats
from colorize.data import images
from colorize.errors import ColorizeError, ImageError
from colorize.inference import coloring, hint_layers, openraster

HINTS_SUFFIX = ".hints.png"
"""`NAME.hints.png` beside `NAME.png` is the hint layer of that input."""


def hints_for(path, height, width, layer=None, points=()):
    """The hints of one input: its hint layer (`layer`, else `NAME.hints.png`
    beside it if any) with `points` (`hint_layers.parse_hint`'s) over it.
    Returns ((hint_rgb, hint_mask) or None, the layer's path or None); a bad
    layer is an ImageError naming it as the hint layer, a point outside a
    ColorizeError."""
    layer = layer_of(path, layer)
    hints = hint_layers.load_hint_layer(layer, height, width, name=f"hint layer {layer}") if layer else None
    if points:
        hints = hint_layers.merge(hints, hint_layers.points_layer(points, height, width))
    return hints, layer


def layer_of(path, layer=None):
    """The hint layer of the input at `path`: `layer` when given, else
    `NAME.hints.png` beside it when there is one, else None."""
    if layer is None and os.path.isfile(sibling := os.path.splitext(path)[0] + HINTS_SUFFIX):
        layer = sibling
    return layer


def passed_over(jobs, layer):
    """The hint layers `NAME.hints.png` beside the jobs' inputs that
    `layer` (`predict --hints FILE`) replaces: a list of their paths, each
    once (none without `layer`, or when it is that file)."""
    if layer is None:
        return []
    given = os.path.realpath(layer)
    found = []
    for path, _ in jobs:
        sibling = os.path.splitext(path)[0] + HINTS_SUFFIX
        if os.path.isfile(sibling) and os.path.realpath(sibling) != given and sibling not in found:
            found.append(sibling)
    return found


def check_hints(jobs, failures, layer=None, points=()):
    """The jobs whose hints are usable (checked before the model loads,
    with each input's size from its header): each input's hint layer
    (`layer`, else `NAME.hints.png` beside it) passes
    `hint_layers.check_hint_layer` (alpha, the input's proportions, neither
    empty nor opaque almost everywhere), and every point reaches into the
    input (`hint_layers.check_points`). An input that fails goes to
    `failures` as (path, reason); the reason names its hint layer."""
    kept = []
    for path, name in jobs:
        found = layer_of(path, layer)
        if found is None and not points:
            kept.append((path, name))
            continue
        try:
            width, height = images.header_size(path)
            if found is not None:
                hint_layers.check_hint_layer(found, height, width, name=f"hint layer {found}")
            hint_layers.check_points(points, height, width)
        except ImageError as e:
            failures.append((path, e.reason if e.path == path else str(e)))
        except ColorizeError as e:
            failures.append((path, str(e)))
        else:
            kept.append((path, name))
    return kept, failures


def collect_inputs(inputs, out_dir=None, out_name=None, layers=None):
    """The files to color, with the output name of each.

    Args:
        inputs: paths of files and folders (folders are searched
            recursively for image files).
        out_dir: files under it are skipped in folders (earlier outputs);
            an input its output would overwrite is a failure, not a job.
        out_name: the output name of every job instead of its own (`predict
            -o FILE.png` names the output of its single input).
        layers: a list it appends the hint layers it meets to (named, or
            found in the folders), for `unused_layers`.

    Returns:
        (jobs, failures): jobs is a list of (path, relative output path
        ending in .png); failures a list of (path, reason) for inputs that
        give nothing to do (a missing file or folder, a named file whose
        header is no image's or too large (`images.header_reason`), a
        folder without images or with images only in the output folder)
        and for inputs whose output would overwrite an input (the sketch
        itself when the output folder is its own). Hint layers
        (`NAME.hints.png`) are never jobs of their own.
    """
    jobs, failures = [], []
    layers = [] if layers is None else layers
    out_real = os.path.realpath(out_dir) + os.sep if out_dir else None
    for given in inputs:
        if is_hint_layer(given) and not os.path.isdir(given):
            layers.append(given)
            continue
        if os.path.isdir(given):
            try:
                found = images.find_images(given)
            except ColorizeError as e:
                failures.append((given, str(e)))
                continue
            layers += [p for p in found if is_hint_layer(p)]
            found = [p for p in found if not is_hint_layer(p)]
            outside = [p for p in found if not (out_real and os.path.realpath(p).startswith(out_real))]
            if found and not outside:
                failures.append((given, f"its images are all in the output folder {out_dir}; give another --out"))
            elif not found:
                extensions = ", ".join(formats.IMAGE_EXTENSIONS)
                failures.append((given, f"folder holds no images ({extensions})"))
            for path in outside:
                jobs.append((path, os.path.splitext(os.path.relpath(path, given))[0] + ".png"))
        elif unusable := images.header_reason(given):  # before the model loads (its header only)
            failures.append((given, unusable))
        else:
            # Data broken after a good header is reported when it is decoded.
            jobs.append((given, os.path.splitext(os.path.basename(given.rstrip(os.sep)))[0] + ".png"))
    jobs = _unique_names(jobs) if out_name is None else [(path, out_name) for path, _ in jobs]
    if not out_dir:
        return jobs, failures
    inputs_real = {os.path.realpath(path) for path, _ in jobs}
    kept = []
    for path, name in jobs:
        out = os.path.join(out_dir, name)
        if os.path.realpath(out) in inputs_real:
            failures.append((path, f"its output {out} would overwrite an input; give another --out"))
        else:
            kept.append((path, name))
    return kept, failures


def unused_layers(layers, jobs, failures=()):
    """The hint layers that belong to no input: no `NAME.png` (or another
    image of that name, exactly) beside `NAME.hints.png`, as a typo or
    another case leaves it.

    Args:
        layers: the hint layers `collect_inputs` met; jobs, failures: its
            results.

    Returns:
        list of the layers' paths, in the inputs' order, each once.
    """
    owners = [path for path, _ in jobs] + [path for path, _ in failures]
    seen = {os.path.realpath(os.path.splitext(path)[0] + HINTS_SUFFIX) for path in owners}  # used
    unused = []
    for layer in layers:
        if (real := os.path.realpath(layer)) not in seen:  # (a layer named and in a folder: once)
            seen.add(real)
            unused.append(layer)
    return unused


def is_hint_layer(path):
    """Whether `path` is named as a hint layer (`NAME.hints.png`, any case)."""
    return os.path.basename(path.rstrip(os.sep)).lower().endswith(HINTS_SUFFIX)


def _unique_names(jobs):
    """Output names that no two inputs share. An input that is itself a
    PNG keeps its name (`b.png` -> `b.png`, even after `b.jpg`); another
    input whose name is taken gets its own extension in it (`b.jpg` ->
    `b-jpg.png`), and then `-2`, `-3`... (two `x.png` from two folders)."""
    names = [None] * len(jobs)
    taken = set()
    png_first = sorted(range(len(jobs)), key=lambda i: not jobs[i][0].lower().endswith(".png"))
    for i in png_first:
        path, name = jobs[i]
        stem, extension = name[:-4], os.path.splitext(path)[1].lower().lstrip(".")
        candidates = [name] if extension == "png" else [name, f"{stem}-{extension}.png"]
        candidate, n = next((c for c in candidates if c not in taken), None), 1
        while candidate is None or candidate in taken:
            n += 1
            candidate = f"{stem}-{n}.png"
        taken.add(candidate)
        names[i] = candidate
    return [(path, name) for (path, _), name in zip(jobs, names, strict=True)]


@errors.sigterm_interrupts()  # `kill` stops it as Ctrl-C does: with the count of what was done
def color_jobs(jobs, failures, total, out_dir, out_file, model, palette, points, args, count):
    """`predict`'s loop: colors the jobs in turn and prints a line for each.

    Args:
        jobs: (path, output name) pairs (`collect_inputs`).
        failures: the (path, reason) list it appends the inputs that fail to.
        total: inputs in all, for the `[i/total]` lines (failures first).
        out_dir: the output folder; out_file: the one output file's path
            (`-o FILE.png`) or None.
        model, palette: a `coloring.Model` and its `Palette` or None.
        points: `hint_layers.parse_hint` points given to every input.
        args: `predict`'s flags (hints, from_color, sketch_normalize,
            upsample, layers).
        count: {"done", "skipped"} counters it adds to (read them after an
            interruption: SIGTERM raises KeyboardInterrupt as Ctrl-C does).
    """
    import tensorflow as tf  # noqa: PLC0415 (loaded by the model by now; at the top it would slow --help)

    start = time.perf_counter()
    for i, (path, name) in enumerate(jobs, len(failures) + count["skipped"] + 1):
        out_path = out_file or os.path.join(out_dir, name)
        t0, reason, message = time.perf_counter(), None, None
        try:
            image = coloring.load_rgb(path)
            hints, layer = hints_for(path, *image.shape[:2], args.hints, points)
            out = coloring.colorize_array(
                image,
                model,
                *(hints or (None, None)),
                args.from_color,
                args.sketch_normalize,
                args.upsample,
                palette=palette,
            )
            del image
            rgb = out["rgb"]
            write_outputs(path, out_path, out, args.layers)
        except ColorizeError as e:  # an ImageError names its own file (the input, or its hint layer)
            reason, message = (e.reason, str(e)) if isinstance(e, ImageError) else (str(e), None)
        except (OSError, MemoryError, cv2.error, tf.errors.OpError) as e:
            reason = errors.one_line(e)
        except Exception as e:  # a bug of ours: this input fails, the others go on
            reason = f"internal error ({type(e).__name__}: {errors.one_line(e)}); please report it with this input"
        if reason is not None:
            failures.append((path, reason))
            print(f"error: {message or f'{path}: {reason}'}", file=sys.stderr, flush=True)
            print(f"[{i}/{total}] {path}: failed", flush=True)
            continue
        count["done"] += 1
        elapsed = time.perf_counter() - start
        counted = f"{len(points)} point{'s' if len(points) != 1 else ''}" if points else ""
        hinted = ", hints: " + " + ".join(filter(None, [layer, counted])) if hints else ""
        print(
            f"[{i}/{total}] {path} -> {out_path}"
            f"{' and ' + os.path.splitext(out_path)[0] + '.ora' if args.layers else ''} "
            f"({rgb.shape[1]}x{rgb.shape[0]}{hinted}, "
            f"{time.perf_counter() - t0:.2f} s; {count['done'] / elapsed:.2f} images/s)",
            flush=True,
        )
        for note in out["notes"]:
            print(f"note: {path}: {note}", flush=True)


def skip_existing(jobs, failures, total, out_dir, out_file, count):
    """The jobs whose output is not there yet (`predict --skip-existing`),
    with a `[i/total] ... there already, skipped` line for each of the
    others, counted in `count["skipped"]` (numbered after the failures;
    `color_jobs` numbers the rest after them)."""
    todo = []
    for path, name in jobs:
        out_path = out_file or os.path.join(out_dir, name)
        if os.path.exists(out_path):
            count["skipped"] += 1
            i = len(failures) + count["skipped"]
            print(f"[{i}/{total}] {path} -> {out_path}: there already, skipped", flush=True)
        else:
            todo.append((path, name))
    return todo


def output_target(given, inputs):
    """`-o`'s folder and, when it names a PNG file (one input file only),
    that file's name: (folder, name or None). An existing folder is a
    folder whatever its name.

    Raises:
        ColorizeError: a file name with several inputs or a folder, or an
            image name other than .png.
    """
    stem, extension = os.path.splitext(given.rstrip(os.sep))
    if os.path.isdir(given) or given.endswith(os.sep) or extension.lower() not in formats.IMAGE_EXTENSIONS:
        return given, None
    if extension.lower() != ".png":
        raise ColorizeError(f"-o {given}: predict writes PNG files; name a .png file or a folder")
    if len(inputs) != 1 or os.path.isdir(inputs[0]):
        raise ColorizeError(f"-o {given}: a file name is for a single input file; for several give a folder")
    return os.path.dirname(given) or ".", os.path.basename(given)


def write_outputs(path, out_path, out, layers):
    """Saves the colored PNG (and, with `layers`, the OpenRaster file beside it)."""
    target = out_path
    try:
        fileio.save_png(out_path, out["rgb"])
        if layers:
            target = os.path.splitext(out_path)[0] + ".ora"
            openraster.write_ora(target, out["color"], out["lines"])
    except OSError as e:  # disk full, a file where a folder should be, ...
        raise ImageError(path, f"cannot write {target} ({e.strerror or e})") from None
