"""What `predict` colors: its inputs (files and folders) as jobs with
output names, and the hint layers found beside them."""

import os

from colorize import formats
from colorize.data import images
from colorize.errors import ColorizeError
from colorize.inference import hint_layers

HINTS_SUFFIX = ".hints.png"
"""`NAME.hints.png` beside `NAME.png` is the hint layer of that input."""


def hints_for(path, height, width, layer=None, points=()):
    """The hints of one input: its hint layer (`layer`, else `NAME.hints.png`
    beside it if any) with `points` (`hint_layers.parse_hint`'s) over it.
    Returns ((hint_rgb, hint_mask) or None, the layer's path or None); a bad
    layer is an ImageError naming it as the hint layer, a point outside a
    ColorizeError."""
    if layer is None and os.path.isfile(sibling := os.path.splitext(path)[0] + HINTS_SUFFIX):
        layer = sibling
    hints = hint_layers.load_hint_layer(layer, height, width, name=f"hint layer {layer}") if layer else None
    if points:
        hints = hint_layers.merge(hints, hint_layers.points_layer(points, height, width))
    return hints, layer


def collect_inputs(inputs, out_dir=None, out_name=None):
    """The files to color, with the output name of each.

    Args:
        inputs: paths of files and folders (folders are searched
            recursively for image files).
        out_dir: files under it are skipped in folders (earlier outputs);
            an input its output would overwrite is a failure, not a job.
        out_name: the output name of every job instead of its own (`predict
            -o FILE.png` names the output of its single input).

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
    out_real = os.path.realpath(out_dir) + os.sep if out_dir else None
    for given in inputs:
        if is_hint_layer(given) and not os.path.isdir(given):
            continue
        if os.path.isdir(given):
            try:
                found = images.find_images(given)
            except ColorizeError as e:
                failures.append((given, str(e)))
                continue
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
