"""The web page that colors sketches with color hints (Gradio); `python -m
colorize.demo` serves it.

The page:

1. takes a sketch file (`formats.IMAGE_EXTENSIONS`, anything
   `images.load_image` decodes, up to `formats.MAX_PIXELS`), or a colored
   image with "extract the sketch first"; the server decodes it, so a bad
   upload (not an image, empty, truncated, too large) gets the decoder's
   one-line reason on the page and leaves the sketch box empty, and the
   server goes on serving;
2. shows it in an image editor (a copy at most `PREVIEW_SIDE` pixels on its
   long side) whose one layer is the hint layer: a brush with a color
   picker, an eraser, undo and "Clear hints". Its opaque pixels (alpha >=
   128), brought to the sketch's full size (`hints_from_layer`), are the
   hint mask and their colors the hint colors;
3. colors the sketch at its full resolution (`coloring.colorize_array`:
   line-bounded regions, lines multiplied back), beside the sketch, when
   the sketch, the hints or a control change, and on "Color it";
4. offers the result as a PNG and as an OpenRaster file (`openraster`: the
   lines over the flat color, as layers Krita opens, and GIMP with an
   OpenRaster plug-in).

Controls: the model (the shipped one, `weights.default_model()`, when the
package has it, `--model`, and the trained runs and exports found under
`--models-dir`), the annealed-mean temperature and sketch normalization
(auto/off), and the palette (global hints: colors typed, added from a
color picker with "Add it to the palette", or a colored picture's main
colors), which stays for every upload until changed. Each model is loaded
once. Requests are queued one at a time (`queue(default_concurrency_limit=1)`;
coloring holds the CPU anyway), so concurrent users wait their turn.

API: `gradio_client.Client(url).predict(handle_file(sketch), handle_file(hint_png)
or None, from_color, temperature, normalize, model, api_name="/colorize")`
returns (result image, PNG file, ORA file) paths: the same pipeline as the
page, with a hint layer of any size (RGBA; resized to the sketch's).
"""

import functools
import html
import os
import shutil
import tempfile
import threading
import uuid
import weakref

import cv2
import gradio as gr
import numpy as np
import tensorflow as tf

from colorize import errors, fileio, formats, runs, variants, weights
from colorize.app import uploads
from colorize.data import images
from colorize.errors import ColorizeError
from colorize.inference import coloring, hint_layers, openraster

PREVIEW_SIDE = 1024
"""Long side, in pixels, of the sketch shown in the editor (the hints are
painted on it and brought to the sketch's full size)."""
_KEEP_RESULTS = 32  # result folders kept on disk (Gradio copies them to its cache first)
_KINDS = ", ".join(ext.lstrip(".").upper() for ext in formats.IMAGE_EXTENSIONS if ext not in (".jpeg", ".tiff"))
_NO_SKETCH = f"no sketch: upload a sketch first ({_KINDS})"
PICKER_START = "#e03020"
"""The palette picker's first color (a swatch to click; "Add it" appends it)."""


# ------------------------------------------------------------------ models --


def find_models(model=None, models_dir=None):
    """The models the page offers.

    Args:
        model: a run or export path given on the command line, or None.
        models_dir: a folder searched (two levels deep) for trained runs
            (`runs.is_run` with a model file) and exports (`runs.is_export`).

    Returns:
        dict, label -> path, the default first (`model`, else the shipped
        one, else the first found).

    Raises:
        ColorizeError: `model` is not a run or export, `models_dir` is not a
            folder, or no model at all was found.
    """
    found = {}
    if model:
        runs.kind(model)  # a one-line error for a missing or wrong path
        found[model] = model
    try:
        shipped = weights.default_model()
        found[f"shipped ({os.path.basename(os.path.normpath(shipped))})"] = shipped
    except ColorizeError:
        pass
    if models_dir:
        if not os.path.isdir(models_dir):
            raise ColorizeError(f"{models_dir}: no such folder (--models-dir)")
        for path in _model_dirs(models_dir, depth=2):
            label = os.path.relpath(path, models_dir)
            if os.path.realpath(path) not in {os.path.realpath(p) for p in found.values()}:
                found[label] = path
    if not found:
        raise ColorizeError(
            "no model: the shipped model is missing and none was given; pass --model RUN_OR_EXPORT "
            "or --models-dir DIR holding runs or exports"
        )
    return found


def _usable(path):
    if runs.is_export(path):
        return True
    return runs.is_run(path) and (
        os.path.isfile(runs.model_path(path)) or os.path.isfile(os.path.join(path, runs.PACKED_WEIGHTS))
    )


def _model_dirs(folder, depth):
    paths = [folder] if _usable(folder) else []
    if depth > 0 and not paths:
        try:
            entries = sorted(e.path for e in os.scandir(folder) if e.is_dir())
        except OSError:
            entries = []
        for entry in entries:
            paths += _model_dirs(entry, depth - 1)
    return paths


def default_temperature(path):
    """A model's own temperature, read from its config without loading it
    (the paper's, `variants.PAPER_TEMPERATURE`, if it cannot be read)."""
    try:
        if runs.is_export(path):
            return float(runs.read_export_metadata(path).get("temperature", variants.PAPER_TEMPERATURE))
        return float(runs.load_config(path).temperature)
    except (ColorizeError, TypeError, ValueError):
        return variants.PAPER_TEMPERATURE


class Models:
    """Loads each model once and colors with it, one call at a time.

    Args:
        choices: label -> path, as from `find_models`.
    """

    def __init__(self, choices):
        self.choices = dict(choices)
        self._loaded = {}
        self._lock = threading.Lock()

    def get(self, label, temperature=None):
        """The `coloring.Model` of a label, at a temperature.

        Raises:
            ColorizeError: an unknown label, a model that does not load, or a
                temperature that is not positive.
        """
        if label not in self.choices:
            raise ColorizeError(f"unknown model {label!r}; choose one of {', '.join(self.choices)}")
        if temperature is not None:
            temperature = variants.check_temperature(temperature)
        with self._lock:
            if label not in self._loaded:
                self._loaded[label] = coloring.Model(self.choices[label])
        model = self._loaded[label]
        if temperature is None:
            return model
        return model.with_temperature(temperature)


# ------------------------------------------------------------------ images --


def load_sketch(path):
    """`(H, W, 3)` uint8 RGB (read-only) of an uploaded file; the last two
    are kept, so that repainting hints does not decode the file again.

    Raises:
        ColorizeError: no file, or the decoder's one-line reason (not an
            image, empty, truncated, too large), naming the file.
    """
    if not path:
        raise ColorizeError(_NO_SKETCH)
    path = str(path)
    try:
        return _decoded(path, os.path.getmtime(path) if os.path.exists(path) else None)
    except ColorizeError:
        uploads.discard(path)  # a refused upload is deleted at once (`uploads`)
        raise


@functools.lru_cache(maxsize=2)
def _decoded(path, mtime):
    rgb = cv2.cvtColor(
        images.load_image(path, name=os.path.basename(path), max_pixels=formats.MAX_PIXELS), cv2.COLOR_BGR2RGB
    )
    rgb.setflags(write=False)
    return rgb


def preview(rgb, side=PREVIEW_SIDE):
    """The sketch for the editor: at most `side` pixels on its long side."""
    h, w = rgb.shape[:2]
    scale = side / max(h, w)
    if scale >= 1:
        return rgb
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def hints_from_layer(layer, size):
    """Hint colors and mask from a painted RGBA layer.

    The layer goes through `hint_layers.load_hint_layer`, as a hint layer
    file given to `predict` does: pixels with alpha >= `formats.HINT_ALPHA`
    are hints; a layer smaller than the sketch (the editor's copy) is
    enlarged by nearest neighbour, a larger one reduced without blending
    colors; its aspect ratio must be the sketch's.

    Args:
        layer: `(h, w, 4)` uint8 RGBA (`(h, w, 3)` counts as opaque, so it
            is refused as a background), or None.
        size: (H, W) of the sketch.

    Returns:
        (hint_rgb `(H, W, 3)` uint8, 0 off the mask; hint_mask `(H, W)`
        bool), or (None, None) when nothing is painted.

    Raises:
        ColorizeError: not an image array, another aspect ratio, or opaque
            almost everywhere (`load_hint_layer`).
    """
    if layer is None:
        return None, None
    layer = np.asarray(layer)
    if layer.dtype != np.uint8 or layer.ndim != 3 or layer.shape[2] not in (3, 4):
        raise ColorizeError(f"hint layer must be an RGB or RGBA uint8 image, got {layer.shape} {layer.dtype}")
    if layer.shape[2] == 3:
        layer = np.dstack([layer, np.full(layer.shape[:2], 255, np.uint8)])
    if not (layer[..., 3] >= formats.HINT_ALPHA).any():
        return None, None
    ok, png = cv2.imencode(".png", cv2.cvtColor(layer, cv2.COLOR_RGBA2BGRA))
    if not ok:
        raise ColorizeError("hint layer: could not encode it")
    return hint_layers.load_hint_layer(png.tobytes(), *size, name="hint layer")


def editor_layer(editor):
    """The hint layer of an editor value (`type="numpy"`, RGBA): its one
    layer, or the later layers' opaque pixels over the earlier ones; None if
    there is none."""
    layers = [np.asarray(x) for x in (editor or {}).get("layers") or [] if x is not None]
    if not layers:
        return None
    out = layers[0]
    for layer in layers[1:]:
        out = np.where(layer[..., 3:] >= formats.HINT_ALPHA, layer, out)
    return out


# ---------------------------------------------------------------- coloring --


class Demo:
    """The page's work, apart from its layout (callable without a browser).

    Args:
        choices: label -> model path (`find_models`).
        out_dir: where result files are written (a temporary folder if None).
    """

    def __init__(self, choices, out_dir=None, result_age_s=uploads.RESULT_AGE_S, clean_every_s=uploads.CLEAN_EVERY_S):
        self.models = Models(choices)
        self.out_dir = out_dir
        if out_dir is None:
            # The page's own folder goes with it (when the Demo is collected, or at exit at the latest).
            self.out_dir = tempfile.mkdtemp(prefix="colorize-demo-")
            weakref.finalize(self, shutil.rmtree, self.out_dir, ignore_errors=True)
        self._results = []
        self.cleaner = uploads.ResultsCleaner(self.out_dir, result_age_s, clean_every_s)  # started by `serve`

    def colorize(
        self,
        sketch_path,
        hint_layer,
        from_color,
        temperature,
        normalize,
        model_label,
        progress=None,
        palette="",
        reference_path=None,
    ):
        """Colors an uploaded sketch with a hint layer (and a palette).

        Args:
            sketch_path: the uploaded file.
            hint_layer: `(h, w, 4)` uint8 RGBA, any size, or None.
            from_color: the file is a colored image; extract its sketch first.
            temperature: annealed-mean temperature (> 0).
            normalize: "auto" or "off".
            model_label: a key of `choices`.
            progress: a `gr.Progress`, or None.
            palette: colors to use, `"#RRGGBB, ..."` ("" for none), for a
                model with a palette input (`coloring.Model.palette`).
            reference_path: a colored picture whose main colors join the
                palette, or None.

        Returns:
            (png_path, ora_path, notes): the result at the sketch's size, its
            layers (`openraster.write_ora`) and one-line notes for the user
            (the palette's colors when there is one, then
            `coloring.colorize_array`'s).

        Raises:
            ColorizeError: a bad upload, model, temperature, hint layer or
                palette, or a palette for a model without a palette input.
        """
        progress = progress or (lambda *args, **kwargs: None)
        if normalize not in coloring.NORMALIZE_MODES:
            raise ColorizeError(f"sketch normalization must be one of {', '.join(coloring.NORMALIZE_MODES)}")
        progress(0.05, desc="decoding the sketch")
        image = load_sketch(sketch_path)
        hint_rgb, hint_mask = hints_from_layer(hint_layer, image.shape[:2])
        progress(0.15, desc="loading the model")
        model = self.models.get(model_label, temperature)
        named = None
        if palette and palette.strip():
            try:
                named = hint_layers.parse_colors(palette)
            except ValueError as e:
                raise ColorizeError(f"palette: {e}") from None
        reference = load_sketch(reference_path) if reference_path else None
        colors = model.palette(named, reference)
        progress(0.3, desc="coloring")
        out = coloring.colorize_array(
            image, model, hint_rgb, hint_mask, from_color=bool(from_color), normalize=normalize, palette=colors
        )
        notes = list(out["notes"])
        if colors is not None:  # the colors the output uses: a reference's are seen nowhere else
            names = ("the picture", "the named ones" if named is not None else None) if reference is not None else ()
            notes.insert(0, colors.note(*names))
        progress(0.85, desc="writing the PNG and the layers")
        folder = self._new_folder()
        stem = os.path.splitext(os.path.basename(str(sketch_path)))[0] + "-colored"
        png_path = os.path.join(folder, stem + ".png")
        ora_path = os.path.join(folder, stem + ".ora")
        fileio.save_png(png_path, out["rgb"])
        openraster.write_ora(ora_path, out["color"], out["lines"])
        return png_path, ora_path, notes

    def warm_up(self, label):
        """Loads a model and traces its graph functions (with hints and
        without) on a small sketch, so that the first visitor does not wait
        for them."""
        image = np.full((64, 64, 3), 255, np.uint8)
        hint_mask = np.zeros((64, 64), bool)
        hint_mask[28:36, 28:36] = True
        hint_rgb = np.zeros((64, 64, 3), np.uint8)
        hint_rgb[hint_mask] = (200, 80, 40)
        model = self.models.get(label)
        coloring.colorize_array(image, model)
        coloring.colorize_array(image, model, hint_rgb, hint_mask)

    def _new_folder(self):
        folder = os.path.join(self.out_dir, uuid.uuid4().hex[:12])
        os.makedirs(folder)
        self._results.append(folder)
        while len(self._results) > _KEEP_RESULTS:
            shutil.rmtree(self._results.pop(0), ignore_errors=True)
        return folder


def add_color(palette, picked):
    """The palette text with the picked color appended (once)."""
    picked = (picked or "").strip().lower()
    colors = [c.strip() for c in (palette or "").split(",") if c.strip()]
    if picked and picked.startswith("#") and picked not in (c.lower() for c in colors):
        colors.append(picked)
    return ", ".join(colors)


def notes_markdown(notes):
    """The page's notes under the result: one line each (HTML-escaped)."""
    return "\n".join(f"- {html.escape(note)}" for note in notes)


def _user_error(error):
    """A one-line `gr.Error` for the page."""
    text = str(error) if isinstance(error, ColorizeError) else errors.one_line(error)
    return gr.Error(html.escape(text), print_exception=False)


def _internal_error(error):
    """A one-line `gr.Error` for an exception no check foresaw (the page keeps serving)."""
    text = f"internal error ({type(error).__name__}: {errors.one_line(error)}); please report it with this sketch"
    return gr.Error(html.escape(text), print_exception=True)


# -------------------------------------------------------------------- page --


def build(choices, default=None):
    """The Gradio Blocks page.

    Args:
        choices: label -> model path (`find_models`).
        default: the label selected at first (the first one if None).

    Returns:
        (blocks, demo): the `gr.Blocks` (call `.queue().launch()`) and its `Demo`.
    """
    demo = Demo(choices)
    default = default or next(iter(choices))
    failures = (ColorizeError, OSError, MemoryError, cv2.error, tf.errors.OpError)

    def run(
        sketch_path,
        hint_layer,
        from_color,
        temperature,
        normalize,
        model_label,
        palette="",
        reference_path=None,
        progress=gr.Progress(),  # noqa: B008 (Gradio injects the tracker)
    ):
        controls = (from_color, temperature, normalize, model_label, palette, reference_path)
        png_path, ora_path, _ = colorize(sketch_path, hint_layer, *controls, progress=progress)
        return png_path, png_path, ora_path

    def colorize(sketch_path, hint_layer, *controls, progress=None):
        from_color, temperature, normalize, model_label, palette, reference = controls
        try:
            return demo.colorize(
                sketch_path,
                hint_layer,
                from_color,
                temperature,
                normalize,
                model_label,
                progress,
                palette=palette,
                reference_path=reference,
            )
        except failures as e:
            raise _user_error(e) from None
        except Exception as e:  # a bug of ours: a one-line message, not a bare "Error"
            raise _internal_error(e) from None

    def run_page(
        sketch_path,
        editor,
        from_color,
        temperature,
        normalize,
        model_label,
        palette,
        reference_path,
        progress=gr.Progress(),  # noqa: B008 (Gradio injects the tracker)
    ):
        if not sketch_path:
            return None, None, None, ""
        layer = editor_layer(editor) if isinstance(editor, dict) else None
        controls = (from_color, temperature, normalize, model_label, palette, reference_path)
        png_path, ora_path, notes = colorize(sketch_path, layer, *controls, progress=progress)
        return png_path, png_path, ora_path, notes_markdown(notes)

    def need_sketch(sketch_path):
        if not sketch_path:  # "Color it" says why nothing happens (a control's change stays quiet)
            raise _user_error(ColorizeError(_NO_SKETCH))

    def on_upload(sketch_path):
        if not sketch_path:
            return None
        try:
            rgb = load_sketch(sketch_path)
        except failures as e:
            raise _user_error(e) from None
        return {"background": preview(rgb), "layers": [], "composite": None}

    def clear_hints(editor):
        if not isinstance(editor, dict) or editor.get("background") is None:
            return None
        return {"background": editor["background"], "layers": [], "composite": None}

    schedule = uploads.gradio_cache_schedule()  # Gradio's copies of uploads and results, as ours
    with gr.Blocks(title="colorize: color a sketch", analytics_enabled=False, delete_cache=schedule) as blocks:
        gr.Markdown(
            "# Color a sketch\n"
            f"Upload a line drawing ({_KINDS}, any size), dab colors on it with the brush "
            "(pick any color), and get it colored at its full resolution, as a PNG and as layers "
            "(`.ora`: the lines over the flat color, for Krita; GIMP needs an OpenRaster plug-in)."
        )
        with gr.Row():
            with gr.Column():
                upload = gr.File(
                    label="Sketch", file_types=list(formats.IMAGE_EXTENSIONS), type="filepath", elem_id="sketch-file"
                )
                from_color = gr.Checkbox(label="Colored image: extract the sketch first", value=False)
                editor = gr.ImageEditor(
                    label="Hints: paint colors on the sketch",
                    type="numpy",
                    image_mode="RGBA",
                    sources=[],
                    transforms=[],
                    layers=False,
                    brush=gr.Brush(default_size=8, color_mode="defaults"),
                    eraser=gr.Eraser(default_size=12),
                    format="png",
                    elem_id="hint-editor",
                )
                with gr.Row():
                    clear = gr.Button("Clear hints", elem_id="clear-hints")
                    run_button = gr.Button("Color it", variant="primary", elem_id="run")
            with gr.Column():
                result = gr.Image(
                    label="Result (full resolution)", type="filepath", interactive=False, elem_id="result"
                )
                png_file = gr.File(label="PNG", interactive=False, elem_id="png-file")
                ora_file = gr.File(label="Layers (.ora)", interactive=False, elem_id="ora-file")
                notes = gr.Markdown("", elem_id="notes")
                model = gr.Dropdown(list(choices), value=default, label="Model", elem_id="model")
                temperature = gr.Slider(
                    0.05, 1.0, value=default_temperature(choices[default]), step=0.01, label="Temperature"
                )
                normalize = gr.Radio(list(coloring.NORMALIZE_MODES), value="auto", label="Sketch normalization")
                with gr.Group():
                    palette = gr.Textbox(
                        value="",
                        label="Palette: the colors to use, not where (models with a palette input)",
                        placeholder="#e03020, #2050c0",
                        elem_id="palette",
                    )
                    # Side by side, top-aligned: the press that closes the open picker lands on the
                    # button (below the picker, the button moved up under the pointer as it closed).
                    with gr.Row(equal_height=False):
                        pick = gr.ColorPicker(
                            value=PICKER_START,
                            label="A color for the palette (click the swatch)",
                            elem_id="palette-pick",
                            scale=3,
                        )
                        add = gr.Button("Add it to the palette", size="sm", elem_id="palette-add", scale=1)
                    reference = gr.File(
                        label="Or a colored picture: its main colors",
                        file_types=list(formats.IMAGE_EXTENSIONS),
                        type="filepath",
                        elem_id="palette-reference",
                    )

        outputs = [result, png_file, ora_file]
        page_outputs = [*outputs, notes]
        page_inputs = [upload, editor, from_color, temperature, normalize, model, palette, reference]
        private = {"api_visibility": "private"}
        queued = {"api_visibility": "private", "concurrency_id": "colorize"}  # one queue for all coloring
        # Color at once on upload (setting the editor's value is not a `change` of it).
        uploaded = upload.upload(on_upload, upload, editor, **private)
        uploaded.success(run_page, page_inputs, page_outputs, **queued)
        # A refused file leaves the box (its copy is gone): nothing stale to color.
        uploaded.failure(lambda: (None, None, None, None, None, ""), None, [upload, editor, *page_outputs], **private)
        upload.clear(lambda: (None, None, None, None, ""), None, [editor, *page_outputs], **private)
        clear.click(clear_hints, editor, editor, **private).then(run_page, page_inputs, page_outputs, **queued)
        run_button.click(need_sketch, upload, None, **private).success(run_page, page_inputs, page_outputs, **queued)
        # Recolor when the hints or a control change; a burst of changes gives one run after the current one.
        for event in (editor.change, from_color.change, normalize.change, model.change, temperature.release):
            event(run_page, page_inputs, page_outputs, trigger_mode="always_last", **queued)
        add.click(add_color, [palette, pick], palette, **private).then(run_page, page_inputs, page_outputs, **queued)
        # One palette for the pages of one comic: it stays until changed, for every upload.
        for event in (palette.submit, palette.blur, reference.upload, reference.clear):
            event(run_page, page_inputs, page_outputs, trigger_mode="always_last", **queued)

        # The named API (gradio_client): a sketch file and a hint image.
        with gr.Row(visible=False):
            api_sketch = gr.File(label="sketch", type="filepath")
            api_hints = gr.Image(label="hint layer", type="numpy", image_mode="RGBA")
            api_button = gr.Button("api")
        api_button.click(
            run,
            [api_sketch, api_hints, from_color, temperature, normalize, model, palette, reference],
            outputs,
            api_name="colorize",
            concurrency_id="colorize",
        )
    return blocks, demo


# ------------------------------------------------------------------- serve --


def serve(choices, host="127.0.0.1", port=7860, block=True, max_upload_mb=uploads.MAX_UPLOAD_MB):
    """Builds the page, loads and warms up the default model, and serves.

    Args:
        choices: label -> model path (`find_models`); the first is selected.
        host, port: where to listen.
        block: serve until interrupted (the command line), or return at once
            with the server running in a thread (tests; `blocks.close()` stops it).
        max_upload_mb: uploads over this are refused while they stream in (HTTP 413).

    Returns:
        (blocks, demo); `blocks.local_url` is the page's address.
    """
    blocks, demo = build(choices)
    default = next(iter(choices))
    shipped = os.path.abspath(choices[default]) == os.path.abspath(weights.SHIPPED)
    print(f"model: {choices[default]}" + (" (the shipped model)" if shipped else ""), flush=True)
    demo.warm_up(default)
    blocks.queue(default_concurrency_limit=1)
    demo.cleaner.start()
    blocks.launch(
        server_name=host,
        server_port=port,
        show_error=True,
        prevent_thread_lock=not block,
        quiet=not block,
        max_file_size=int(max_upload_mb * 1024 * 1024),
    )
    return blocks, demo
