"""The host-side coloring pipeline that `predict` and the web page share.

`Model` is the colorizer core of a run directory or of an exported
SavedModel (`colorize.serving.colorizer.Colorizer`: built in-process for a
run, loaded for an export) and calls its graph functions; `colorize_array`
colors one decoded image with it at the image's own size:

1. the sketch: `--from-color` extracts the dataset's sketch of a colored
   image (`colorize.data.sketch`); otherwise the core's `prepare`
   (`colorize.serving.sketch_normalization`: paper, ink color, polarity,
   line width and line profile brought to the training distribution), or,
   with normalization off, the gray image as it is, for the network and for
   the lines (a colored picture given as a sketch gets a note,
   `colored_input`);
2. the core's `color` (`color_guided` with hints): the color at the trained
   scale (long strips in overlapping tiles);
3. full size: "regions" floods line-bounded regions (`fullres.upsample_regions`,
   OpenCV, outside the graph), gives a palette's own colors
   (`palette_snap`), then fills the hinted regions (`hint_flood`;
   for a classification net with a paper threshold, its paper decision per
   pixel without the hints, its holes in figures taken out, `paper_wall`,
   is the wall of a fill whose figure is open);
   "bilinear" calls the core's `compose`, the graph's own step, so that the
   output is what the exported model's `serving_default` (`guided` with a
   hint layer) returns for the same decoded pixels (within one level for
   the first `EAGER_IMAGES` images of an in-process core, which run
   eagerly). `fullres` describes the difference.
"""

import copy
import itertools
import re
import sys

import cv2
import numpy as np

from colorize import formats, runs, variants
from colorize.data import images
from colorize.data import sketch as sketch_lib
from colorize.errors import ColorizeError
from colorize.inference import (
    blank_page,
    colored_input,
    comic_panels,
    fullres,
    hint_flood,
    page_border,
    palette_snap,
    shading,
)

MEMORY_BOUND_GB = 4.0
NORMALIZE_MODES = ("auto", "off")
_CORE_FUNCTIONS = ("prepare", "color", "compose")
NO_REFERENCE_COLORS = "the reference picture has no colors (only paper, lines and grays)"
EAGER_IMAGES = 16
"""Images an in-process core colors eagerly before it switches to its graph
functions: tracing them costs seconds (mostly Python building the ops) and
pays off only over a folder of images, where the graph is faster per image.
A SavedModel's functions are already traced and always run as graphs."""


FLIP_AVERAGE = True
"""`Model.color` averages the network's output on the drawing and on its
mirror image (test-time augmentation: a drawing and its mirror image have
the same colors, and the network's doubt differs between them). Measured
on validation windows as `predict` colors them (`experiments.flip_average`):
a higher PSNR and a lower hue error, for a second network pass."""


class Model:
    """The colorizer core of a run directory or of an exported SavedModel.

    Either way `core` is a `colorizer.Colorizer` (built from the run, or the
    same module loaded from the SavedModel), and the methods below call its
    graph functions.

    Args:
        path: a run directory or a SavedModel written by `colorize.export`.
        temperature: annealed-mean temperature (default: the run's or the
            export's).
        class_colors: for a run, the class means to decode to (default: its
            recorded ones, `colorizer.from_run`); an export keeps its own.
        flip_average: `color` runs the network on the drawing and on its
            mirror image and averages the two (`FLIP_AVERAGE`).

    Raises:
        ColorizeError: missing, neither a trained run nor a colorize
            SavedModel, a bad temperature, or malformed class means.
    """

    def __init__(self, path, temperature=None, class_colors=None, flip_average=FLIP_AVERAGE):
        import tensorflow as tf  # noqa: PLC0415 (slow import, only when coloring)

        from colorize.serving import colorizer  # noqa: PLC0415 (imports TensorFlow and Keras)

        if temperature is not None:
            temperature = variants.check_temperature(temperature)
        self.path = path
        self.flip_average = bool(flip_average)
        self._tf = tf
        exported = runs.kind(path) == "export"
        if exported:
            try:
                core = tf.saved_model.load(path)
            except (ValueError, OSError, tf.errors.OpError) as e:
                raise ColorizeError(f"{path}: not a colorize SavedModel ({str(e).splitlines()[0]})") from None
            missing = [name for name in _CORE_FUNCTIONS if not hasattr(core, name)]
            if missing:
                raise ColorizeError(
                    f"{path}: not a colorize SavedModel of this version (no {', '.join(missing)}; export it again)"
                )
            recorded = runs.read_export_metadata(path).get("config", {})
            self.sketch_kind = recorded.get("sketch", "line")
            self.space = recorded.get("space", "rgb")
            self._temperature = [] if temperature is None else [float(temperature)]
        else:
            config, core = colorizer.from_run(path, temperature, class_colors=class_colors)
            self.sketch_kind = config.sketch
            self.space = config.space
            self._temperature = []
        self.core = core
        decoding = runs.read_decoding(path)
        if temperature is None and decoding.get("temperature"):
            self._temperature = [float(decoding["temperature"])]  # chosen on validation data
        # (mutable and shared by `with_temperature` copies: they share the graph)
        self._colored = [EAGER_IMAGES if exported else 0]
        self.image_size = int(core.trained_image_size.numpy())
        self.uses_hints = hasattr(core, "color_guided") and bool(core.uses_hints.numpy())
        self._why_not = "was trained without hints" if hasattr(core, "color_guided") else "was exported before hints"
        self._warned = False
        self.uses_palette = hasattr(core, "color_palette") and bool(core.uses_palette.numpy())
        self.evidence = None
        # Region decisions: the pooled paper mass above which a region is paper (None: off).
        self.paper_threshold = decoding.get("paper_threshold")

    def _function(self, name):
        """The core's function `name`: its graph function, or for the first
        `EAGER_IMAGES` images of an in-process core the same Python function
        run eagerly (no tracing; AutoGraph off, as in the graph)."""
        function = getattr(self.core, name)
        if self._colored[0] >= EAGER_IMAGES:
            return function
        return self._tf.autograph.experimental.do_not_convert(function.python_function)

    def image_done(self):
        """Counts one colored image (`colorize_array` calls it): after
        `EAGER_IMAGES` of them the graph functions are used."""
        self._colored[0] += 1

    def with_temperature(self, temperature):
        """This model at another annealed-mean temperature (> 0); shares the loaded graph."""
        model = copy.copy(self)
        model._temperature = [variants.check_temperature(temperature)]
        return model

    def prepare(self, rgb):
        """The core's sketch normalization.

        Args:
            rgb: `(H, W, 3)` uint8 RGB sketch (alpha on white).

        Returns:
            (net_input, lines): `(h, w)` uint8 network input and `(H, W)`
            uint8 full-size lines.
        """
        out = self._function("prepare")(self._tf.constant(rgb[np.newaxis]))
        return out["net_input"].numpy()[0, ..., 0], out["lines"].numpy()[0, ..., 0]

    def palette(self, colors=None, reference=None):
        """The palette of this model (`data.palettes`): named colors, a
        reference picture's main colors, or both (their classes joined).

        Args:
            colors: `(n, 3)` uint8 RGB, or None.
            reference: `(H, W, 3)` uint8 RGB picture, or None.

        Returns:
            A `palette_snap.Palette`: the network's input, `(num_classes,)`
            float32 summing to 1, and the colors themselves (the named ones,
            then the reference's, `palettes.main_colors`, each once), which the
            output's chromatic pixels take exactly; or None when neither is
            given.

        Raises:
            ColorizeError: this model has no palette input, or the reference
                has no color.
        """
        if colors is None and reference is None:
            return None
        from colorize.data import palettes  # noqa: PLC0415 (imports TensorFlow, as the model does)
        from colorize.nets.color import chroma_bins  # noqa: PLC0415 (imports Keras)

        if not self.uses_palette:
            raise ColorizeError(f"{self.path} has no palette input (train with --palette on to use one)")
        parts, rgb = [], []
        if colors is not None:
            parts.append(palettes.palette_from_colors(colors, self.space))
            rgb.append(np.asarray(colors, np.uint8).reshape(-1, 3))
        if reference is not None:
            found, main = palettes.main_colors(reference, self.space)
            if not (found > 0)[chroma_bins(self.space) > 0].any():  # grays are lines shrunk, not colors
                raise ColorizeError(NO_REFERENCE_COLORS)
            parts.append(found)
            rgb.append(main)
        chosen = np.sum(parts, axis=0) > 0
        rgb = np.concatenate(rgb)
        _, first = np.unique(rgb, axis=0, return_index=True)  # a color named twice (or also the reference's) once
        return palette_snap.Palette((chosen / chosen.sum()).astype(np.float32), rgb[np.sort(first)])

    def color(self, sketch, hint_rgb=None, hint_mask=None, palette=None):
        """The core's color at the trained scale (`color_guided` with hints).

        Args:
            sketch: `(h, w)` uint8 network input.
            hint_rgb, hint_mask: optional `(H, W, 3)` uint8 RGB and `(H, W)`
                bool hints at the full size of the sketch (any size with its
                aspect ratio). A model trained without hints prints a
                warning (once) and colors without them.
            palette: optional `(num_classes,)` float32 (`palette`), for a
                model with a palette input.

        Returns:
            `(th, tw, 3)` float32 RGB 0..255, not masked by the lines. What
            region decisions pool (a classification net's paper mass and
            chromatic color, `(th, tw)` and `(th, tw, 3)`) is kept in
            `self.evidence` (None for other cores). With `flip_average`,
            each is the mean of the network's on the drawing and, mirrored
            back, on its mirror image (hints mirrored with it).
        """
        out = self._outputs(sketch, hint_rgb, hint_mask, palette)
        if self.flip_average:
            mirrored = self._outputs(
                np.ascontiguousarray(sketch[:, ::-1]),
                None if hint_rgb is None else np.ascontiguousarray(hint_rgb[:, ::-1]),
                None if hint_mask is None else np.ascontiguousarray(hint_mask[:, ::-1]),
                palette,
            )
            out = {k: (v + mirrored[k][:, :, ::-1]) / 2.0 for k, v in out.items()}
        self.evidence = None
        if "paper" in out:
            self.evidence = (out["paper"][0, ..., 0], out["chromatic"][0])
        return out["color"][0]

    def _outputs(self, sketch, hint_rgb, hint_mask, palette):
        """One network pass (`color`'s arguments): the core's outputs as
        `(1, th, tw, c)` float32 arrays by name."""
        tf = self._tf
        sketch = tf.constant(sketch[np.newaxis, :, :, np.newaxis])  # (1, h, w, 1)
        temperature = tf.constant(self._temperature, tf.float32)
        if hint_rgb is not None and not self.uses_hints and not self._warned:
            print(f"warning: {self.path} {self._why_not}; the network colors without them", file=sys.stderr)
            self._warned = True
        if palette is not None and self.uses_palette:
            height, width = sketch.shape[1:3]
            if hint_rgb is None:
                hint_rgb, hint_mask = np.zeros((height, width, 3), np.uint8), np.zeros((height, width), bool)
            mask = np.asarray(hint_mask, np.uint8).reshape(hint_mask.shape[:2])[np.newaxis, :, :, np.newaxis]
            weights = tf.constant(palette[np.newaxis], tf.float32)  # (1, num_classes)
            out = self._function("color_palette")(
                sketch, temperature, tf.constant(hint_rgb[np.newaxis]), tf.constant(mask), weights
            )
        elif hint_rgb is None or not self.uses_hints:
            out = self._function("color")(sketch, temperature)
        else:
            mask = np.asarray(hint_mask, np.uint8).reshape(hint_mask.shape[:2])[np.newaxis, :, :, np.newaxis]
            hints = (tf.constant(hint_rgb[np.newaxis]), tf.constant(mask))
            out = self._function("color_guided")(sketch, temperature, *hints)
        return {k: np.asarray(out[k].numpy(), np.float32) for k in ("color", "paper", "chromatic") if k in out}

    def compose(self, color, lines):
        """The core's full-resolution step, bilinear `(th, tw, 3)` float32
        color times `(H, W)` uint8 lines / 255: `(H, W, 3)` uint8 RGB."""
        tf = self._tf
        lines = tf.constant(lines[np.newaxis, ..., np.newaxis])  # (1, H, W, 1)
        out = self._function("compose")(tf.constant(color[np.newaxis], tf.float32), lines)
        return out["rgb"].numpy()[0]


def full_resolution(color, lines, model, upsample="regions", palette=None, hinted=None):
    """The full-size output from the trained-scale color.

    Args:
        color: `(th, tw, 3)` float32 from `Model.color`.
        lines: `(H, W)` uint8 full-size lines.
        model: a `Model`.
        upsample: "regions" (`fullres.upsample_regions`, outside the graph)
            or "bilinear" (the core's `compose`, the SavedModel's own step).
        palette: optional `palette_snap.Palette`: with "regions", the
            chromatic pixels take its colors, one per shape
            (`palette_snap.snap_colors`).
        hinted: optional `(H, W)` bool, the hints' pixels (the shapes that
            hold them are filled afterwards: `snap_colors`' `hinted`).

    Returns:
        (rgb, flat): `(H, W, 3)` uint8 RGB with the lines multiplied in, and
        the flat color before they are (bilinear: OpenCV's, within a level
        of the graph's).

    Raises:
        ColorizeError: an unknown method.
    """
    height, width = lines.shape
    if fullres.check_method(upsample) == "bilinear":
        small = np.clip(np.rint(color), 0, 255).astype(np.uint8)
        return model.compose(color, lines), cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    regions = fullres.line_regions(lines) if palette is not None else None  # shared by both steps
    up = fullres.upsample_regions(
        np.asarray(color, np.float32),
        lines,
        evidence=model.evidence,
        paper_threshold=model.paper_threshold,
        regions=regions,
    )  # (H, W, 3) float32
    if palette is not None:
        palette_snap.snap_colors(
            up, palette.colors, palette.snap, lines, palette.unify_share, regions, palette.every_color, hinted
        )
    del regions
    flat = cv2.convertScaleAbs(up)  # rounded and saturated to uint8, without a float copy
    return fullres.multiply_lines(up, lines, overwrite=True), flat  # `up` is ours


def paper_wall(model, trained, size, paper=None):
    """Where the network sees paper at full size, for the hint fill (`hint_flood.plan_fill`'s `paper_wall`).

    Args:
        model: a `Model` that has just colored the image (`Model.color`).
        trained: (h, w), the trained scale of its color.
        size: (H, W), the full size.
        paper: `(h, w)` paper mass to decide from instead of the model's
            (`colorize_array`'s, without the hints, holes taken out).

    Returns:
        (paper, cell): `(H, W)` bool (`fullres.paper_decision` of the
        model's paper mass at its paper threshold) and the network's cell
        in full-size pixels; (None, None) for a model without region
        decisions (no paper mass, or no threshold).
    """
    if model.evidence is None or model.paper_threshold is None:
        return None, None
    mass = model.evidence[0] if paper is None else paper
    paper = fullres.paper_decision(mass, size, float(model.paper_threshold))
    return paper, fullres.cell_size(trained, size)


def _checked_hints(hint_rgb, hint_mask, height, width):
    """(hint_rgb uint8, hint_mask bool) of the image's size, or None for no hints."""
    if hint_rgb is None and hint_mask is None:
        return None
    if hint_rgb is None or hint_mask is None:
        raise ColorizeError("give both hint_rgb and hint_mask, or neither")
    hint_rgb, hint_mask = np.asarray(hint_rgb), np.asarray(hint_mask)
    size = (height, width)
    if hint_rgb.shape != (*size, 3) or hint_rgb.dtype != np.uint8 or hint_mask.shape not in (size, (*size, 1)):
        got = f"{hint_rgb.shape} {hint_rgb.dtype} and {hint_mask.shape}"
        raise ColorizeError(f"hints must be ({height}, {width}, 3) uint8 RGB and a ({height}, {width}) mask, got {got}")
    hint_mask = hint_mask.reshape(height, width) > 0
    return (hint_rgb, hint_mask) if hint_mask.any() else None


def colorize_array(
    image,
    model,
    hint_rgb=None,
    hint_mask=None,
    from_color=False,
    normalize="auto",
    upsample="regions",
    palette=None,
    panels=True,
):
    """Colors one image at its own size: the one path of `predict` and the web demo.

    Args:
        image: `(H, W, 3)` uint8 RGB (alpha on white) or `(H, W)` uint8 gray.
        model: a `Model`.
        hint_rgb, hint_mask: optional hints, `(H, W, 3)` uint8 RGB and
            `(H, W)` (or `(H, W, 1)`) bool or 0/1.
        from_color: `image` is a colored illustration: the network gets the
            dataset's own sketch of it (made at 256 px; binary for a model
            trained on binary sketches), the output the lines extracted at
            full size, solid where the picture has black ink
            (`colored_input.ink_lines`; neither normalized).
        normalize: "auto" (the core's `prepare`) or "off" (the gray sketch
            as it is, for the network and the lines).
        upsample: "regions" (then every line-bounded region holding a hint
            is filled flat with its color, `hint_flood.fill_layers`, the
            network's paper, `paper_wall`, the wall of an open figure)
            or "bilinear" (the SavedModel's output: hints via the network).
        palette: optional `palette_snap.Palette` (`Model.palette`): the
            colors to use, for a model with a palette input; with
            "regions", the output's chromatic pixels take them exactly
            (`palette_snap`; before the hinted regions are filled), and
            paper is where the network sees paper with the palette or
            without it (one more network pass: given a palette, it paints
            white shapes it has a color for).
        panels: with "regions", a comic page (`comic_panels.find`: two
            or more rectangular frames with drawings on the page's paper,
            covering half the page) is colored panel by panel, the inside of each frame as a
            page of its own, the gutters and frames as the page (one more
            network pass per panel).

    Returns:
        {"rgb": `(H, W, 3)` uint8 colored image, "color": `(H, W, 3)` uint8
        the flat color before the lines are multiplied in, "lines": `(H, W)`
        uint8 the full-size lines multiplied in, "notes": one-line notes
        for the user (`colored_input`: a colored picture given as a sketch;
        `hint_flood`: a hint inside an outline open to the page,
        hints that shared a region; `blank_page`: a page with no lines,
        returned as it was; `page_border`: a dark border around the page,
        kept as it was while the page inside is colored alone; panels
        colored one by one)}.

    Raises:
        ColorizeError: a bad array, hints, `normalize` or `upsample`.
    """
    image = np.asarray(image)
    if image.dtype != np.uint8 or not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise ColorizeError(
            f"image must be a (H, W, 3) RGB or (H, W) gray uint8 array, got {image.shape} {image.dtype}"
        )
    hints = _checked_hints(hint_rgb, hint_mask, *image.shape[:2])
    fullres.check_method(upsample)  # before the network runs
    blank = blank_page.unchanged(image, hinted=hints is not None)  # no lines: the page as it was, and a note
    if blank is not None:
        return blank
    if panels and upsample == "regions" and not from_color:
        boxes = comic_panels.find(image)
        if boxes:
            args = dict(normalize=normalize, upsample=upsample, palette=palette, panels=False)
            return _by_panels(image, boxes, model, hints, args)
    # A dark border (a scanner's lid): the page inside it is colored alone, the border kept.
    whole, border = image, page_border.find(image)
    if border is not None:
        image = border.crop(image)
    level_note = None
    if from_color:
        bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR if image.ndim == 3 else cv2.COLOR_GRAY2BGR)
        line, binary = sketch_lib.extract_sketch(sketch_lib.resize_short_side(bgr, sketch_lib.SIZE))
        net_input = binary if model.sketch_kind == "binary" else line
        lines = colored_input.ink_lines(image, sketch_lib.extract_sketch(bgr)[0])  # solid where it has ink
        del bgr
    elif normalize == "auto":
        three = image if image.ndim == 3 else np.dstack([image] * 3)
        net_input, lines = model.prepare(three)
        if np.median(lines[::8, ::8]) < FAINT_PAPER:  # paper left gray: the lines may have been too faint to level
            level_note = _faint_note(three)
            if level_note is not None:  # perhaps shaded paper (a photo): evened out, where that lets it level
                even = shading.evened(three)
                if even is not None and _faint_note(even) is None:
                    net_input, lines = model.prepare(even)
                    level_note = EVENED_NOTE
    elif normalize == "off":
        net_input = lines = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    else:
        raise ColorizeError(f"unknown sketch normalization {normalize!r}; choose one of {', '.join(NORMALIZE_MODES)}")
    net_hints = hints if border is None else border.crop_hints(hints)
    weights = None if palette is None else palette.weights
    color = model.color(net_input, *(net_hints or (None, None)), weights)
    # In a region open to the page, paper is where the network sees paper with the guidance it was
    # given or without any part of it: given a palette, it can put the palette's colors on patches of
    # empty page; given a dab, it paints around it, across a figure's outline onto the page (the fill
    # below colors the regions that hold dabs). Given hints, closed regions keep the hinted pass's
    # decision (deciding them so too scored the same on validation and changes more).
    unhinted = None  # the paper mass without the hints, for the fill's wall
    hinted = net_hints is not None and model.uses_hints
    if upsample == "regions" and model.evidence is not None and (hinted or palette is not None):
        given, masses = model.evidence, [model.evidence[0]]
        passes = itertools.product(
            (net_hints, None) if hinted else (net_hints,), (weights, None) if palette is not None else (None,)
        )
        for hints_given, weights_given in list(passes)[1:]:  # the first is the guided pass, done
            model.color(net_input, *(hints_given or (None, None)), weights_given)
            masses.append(model.evidence[0])
            if hints_given is None and weights_given is weights:
                unhinted = model.evidence[0]
        mass = np.maximum.reduce(masses)
        # Given a palette alone, closed regions are paper where either pass sees paper too: the
        # palette's pass alone paints white shapes it has a color for.
        model.evidence = (mass if not hinted else given[0], *given[1:], mass)
    rgb, flat = full_resolution(color, lines, model, upsample, palette, net_hints[1] if net_hints else None)
    notes = [] if from_color or (note := colored_input.note(whole)) is None else [note]
    if level_note is not None:
        notes.append(level_note)
    page_size = lines.shape
    if border is not None:
        rgb, flat, lines = border.paste(whole, rgb, flat, lines)
        notes.append(border.note)
    if hints is not None and upsample == "regions":
        wall, cell = None, None
        if model.evidence is not None and model.paper_threshold is not None:

            def wall():  # asked for when a dab's region reaches the page border: the page's, around a border
                # Where the network sees paper without the hints (given a dab on the page, it paints
                # around the dab, which is not a figure), its holes in figures taken out.
                mass = model.evidence[0] if unhinted is None else unhinted
                mass = fullres.paper_without_holes(mass, float(model.paper_threshold))
                paper, _ = paper_wall(model, color.shape[:2], page_size, mass)
                return paper if border is None else border.paste_paper(paper)

            cell = fullres.cell_size(color.shape[:2], page_size)
        rgb, flat, fill_notes = hint_flood.fill_layers(
            rgb, flat, lines, *hints, paper_wall=wall, wall_cell=cell, in_place=True
        )
        notes += fill_notes
    model.image_done()
    return {"rgb": rgb, "color": flat, "lines": lines, "notes": notes}


def _by_panels(image, boxes, model, hints, args):
    """`colorize_array` of a comic page: the page (gutters and frames: white
    paper under its lines, or as colored with the hints outside the panels
    when there are some), then each panel's inside as a page of its own
    (with its hints), pasted over it. Notes about a place name it in the
    page's pixels."""
    gutters = np.ones(image.shape[:2], bool)  # the page outside the panels: gutters, frames, margin
    for top, bottom, left, right in boxes:
        gutters[top:bottom, left:right] = False
    outside = None if hints is None or not (hints[1] & gutters).any() else (hints[0], hints[1] & gutters)
    page = colorize_array(image, model, *(outside or (None, None)), **args)
    if outside is None:  # white paper under the lines (the network colors the gutters as a figure's)
        page["color"][gutters] = 255
        page["rgb"][gutters] = page["lines"][gutters][:, np.newaxis]
    notes = list(page["notes"])
    for top, bottom, left, right in boxes:
        inside = None if hints is None else (hints[0][top:bottom, left:right], hints[1][top:bottom, left:right])
        if inside is not None and not inside[1].any():
            inside = None
        part = colorize_array(image[top:bottom, left:right], model, *(inside or (None, None)), **args)
        for key in ("rgb", "color", "lines"):
            page[key][top:bottom, left:right] = part[key]
        notes += [
            _PLACE.sub(lambda m, x=left, y=top: f"{m[1]} {int(m[2]) + x},{int(m[3]) + y}", n) for n in part["notes"]
        ]
    notes.append(f"comic panels: {len(boxes)}, each colored as a page of its own")
    page["notes"] = list(dict.fromkeys(notes))  # a note said of several panels once
    return page


_PLACE = re.compile(r"\b(at|near) (\d+),(\d+)")
"""A place named in a note (`hint_flood`'s "hint at X,Y", "near X,Y")."""


EVENED_NOTE = (
    "the paper is shaded (uneven light): evened out before coloring, as its lines were too faint "
    "against the shading to level as they were"
)
"""The note for a sketch whose shaded paper `shading.evened` evened out."""

FAINT_PAPER = 250
"""Normalized lines whose paper (their median) is darker than this were
left as they were, perhaps too faint to level (`_faint_note`); leveled
paper is 255."""


def _faint_note(rgb):
    """`serving.sketch_normalization.faint_note` of an `(H, W, 3)` uint8 sketch."""
    from colorize.serving import sketch_normalization  # noqa: PLC0415 (imports TensorFlow, as the model does)

    return sketch_normalization.faint_note(rgb)


def load_rgb(path):
    """`(H, W, 3)` uint8 RGB of an image file (`images.load_image`), or an ImageError."""
    return cv2.cvtColor(images.load_image(path, max_pixels=formats.MAX_PIXELS), cv2.COLOR_BGR2RGB)
