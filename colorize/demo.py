"""A web page to color sketches with color hints (Gradio).

    python -m colorize.demo [--model RUN_OR_EXPORT] [--models-dir DIR]
        [--host 127.0.0.1] [--port 7860] [--max-upload-mb 50]

(also the `colorize-demo` console script). The page:

1. takes a sketch file (PNG, JPEG, WebP, anything `images.load_image`
   decodes, up to `MAX_PIXELS`), or a colored image with "extract the
   sketch first"; the server decodes it, so a bad upload (not an image,
   empty, truncated, too large) gets the decoder's one-line reason on the
   page, and the server goes on serving;
2. shows it in an image editor (a copy at most `PREVIEW_SIDE` pixels on its
   long side) whose one layer is the hint layer: a brush with a color
   picker, an eraser, undo and "Clear hints". Its opaque pixels (alpha >=
   128), brought to the sketch's full size (`hints_from_layer`), are the
   hint mask and their colors the hint colors;
3. colors the sketch at its full resolution (`predict.colorize_array`:
   line-bounded regions, lines multiplied back), beside the sketch, when
   the sketch, the hints or a control change, and on "Color it";
4. offers the result as a PNG and as an OpenRaster file (`openraster`: the
   lines over the flat color, as layers Krita opens right), and lists
   the run's one-line notes under it (`predict.colorize_array`'s: a fill
   that reached the page border through a gap, hints of different colors
   that shared a region and split it).

Controls: the model (the shipped one, `weights.default_model()`, when the
package has it, `--model`, and the trained runs and exports found under
`--models-dir`), the annealed-mean temperature and sketch normalization
(auto/off). Uploads over `--max-upload-mb` are refused as they stream in;
an upload the decoder refuses is deleted at once, and results are deleted
half an hour after they were made (`colorize.app.uploads`). Each model is
loaded once. Requests are queued one at a time
(`queue(default_concurrency_limit=1)`; coloring holds the CPU anyway), so
concurrent users wait their turn.

API: `gradio_client.Client(url).predict(handle_file(sketch), handle_file(hint_png)
or None, from_color, temperature, normalize, model, api_name="/colorize")`
returns (result image, PNG file, ORA file) paths: the same pipeline as the
page, with a hint layer of any size (RGBA; resized to the sketch's).
"""

import argparse
import functools
import html
import os
import shutil
import sys
import tempfile
import threading
import uuid

import cv2
import gradio as gr
import numpy as np

from colorize import errors, fileio, predict, runs, weights
from colorize.app import uploads
from colorize.data import images
from colorize.errors import ColorizeError, cli
from colorize.inference import hint_layers, openraster

MAX_PIXELS = images.DEFAULT_MAX_PIXELS
PREVIEW_SIDE = 1024
"""Long side, in pixels, of the sketch shown in the editor (the hints are
painted on it and brought to the sketch's full size)."""
DEFAULT_TEMPERATURE = 0.38
UPLOAD_TYPES = [".png", ".jpg", ".jpeg", ".webp", ".bmp"]
_KEEP_RESULTS = 32  # result folders kept on disk (Gradio copies them to its cache first)


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
        found["shipped (openclipart)"] = weights.default_model()
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
    (`DEFAULT_TEMPERATURE` if it cannot be read)."""
    try:
        if runs.is_export(path):
            return float(runs.read_export_metadata(path).get("temperature", DEFAULT_TEMPERATURE))
        return float(runs.load_config(path).temperature)
    except (ColorizeError, TypeError, ValueError):
        return DEFAULT_TEMPERATURE


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
        """The `predict.Model` of a label, at a temperature.

        Raises:
            ColorizeError: an unknown label, a model that does not load, or a
                temperature that is not positive.
        """
        if label not in self.choices:
            raise ColorizeError(f"unknown model {label!r}; choose one of {', '.join(self.choices)}")
        if temperature is not None and not float(temperature) > 0:
            raise ColorizeError(f"temperature must be positive, not {temperature}")
        with self._lock:
            if label not in self._loaded:
                self._loaded[label] = predict.Model(self.choices[label])
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
        raise ColorizeError("no sketch: upload a sketch first (PNG, JPEG or WebP)")
    path = str(path)
    try:
        return _decoded(path, os.path.getmtime(path) if os.path.exists(path) else None)
    except ColorizeError:
        uploads.discard(path)  # a refused upload is deleted at once (`uploads`)
        raise


@functools.lru_cache(maxsize=2)
def _decoded(path, mtime):
    rgb = cv2.cvtColor(images.load_image(path, name=os.path.basename(path), max_pixels=MAX_PIXELS), cv2.COLOR_BGR2RGB)
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
    file given to `predict` does: pixels with alpha >= `hint_layers.ALPHA_OPAQUE`
    are hints; a layer smaller than the sketch (the editor's copy) is
    enlarged by nearest neighbour, a larger one reduced without blending
    colors; its aspect ratio must be the sketch's.

    Args:
        layer: `(h, w, 4)` uint8 RGBA (`(h, w, 3)` counts as opaque), or None.
        size: (H, W) of the sketch.

    Returns:
        (hint_rgb `(H, W, 3)` uint8, 0 off the mask; hint_mask `(H, W)`
        bool), or (None, None) when nothing is painted.

    Raises:
        ColorizeError: not an image array, or another aspect ratio.
    """
    if layer is None:
        return None, None
    layer = np.asarray(layer)
    if layer.dtype != np.uint8 or layer.ndim != 3 or layer.shape[2] not in (3, 4):
        raise ColorizeError(f"hint layer must be an RGB or RGBA uint8 image, got {layer.shape} {layer.dtype}")
    if layer.shape[2] == 3:
        layer = np.dstack([layer, np.full(layer.shape[:2], 255, np.uint8)])
    if not (layer[..., 3] >= hint_layers.ALPHA_OPAQUE).any():
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
        out = np.where(layer[..., 3:] >= hint_layers.ALPHA_OPAQUE, layer, out)
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
        self.out_dir = out_dir or tempfile.mkdtemp(prefix="colorize-demo-")
        self._results = []
        self.cleaner = uploads.ResultsCleaner(self.out_dir, result_age_s, clean_every_s)  # started by `serve`

    def colorize(self, sketch_path, hint_layer, from_color, temperature, normalize, model_label, progress=None):
        """Colors an uploaded sketch with a hint layer.

        Args:
            sketch_path: the uploaded file.
            hint_layer: `(h, w, 4)` uint8 RGBA, any size, or None.
            from_color: the file is a colored image; extract its sketch first.
            temperature: annealed-mean temperature (> 0).
            normalize: "auto" or "off".
            model_label: a key of `choices`.
            progress: a `gr.Progress`, or None.

        Returns:
            (png_path, ora_path, notes): the result at the sketch's size, its
            layers (`openraster.write_ora`) and one-line notes for the user
            (`predict.colorize_array`'s).

        Raises:
            ColorizeError: a bad upload, model, temperature or hint layer.
        """
        progress = progress or (lambda *args, **kwargs: None)
        if normalize not in predict.NORMALIZE_MODES:
            raise ColorizeError(f"sketch normalization must be one of {', '.join(predict.NORMALIZE_MODES)}")
        progress(0.05, desc="decoding the sketch")
        image = load_sketch(sketch_path)
        hint_rgb, hint_mask = hints_from_layer(hint_layer, image.shape[:2])
        progress(0.15, desc="loading the model")
        model = self.models.get(model_label, temperature)
        progress(0.3, desc="coloring")
        out = predict.colorize_array(
            image, model, hint_rgb, hint_mask, from_color=bool(from_color), normalize=normalize
        )
        progress(0.85, desc="writing the PNG and the layers")
        folder = self._new_folder()
        stem = os.path.splitext(os.path.basename(str(sketch_path)))[0] + "-colored"
        png_path = os.path.join(folder, stem + ".png")
        ora_path = os.path.join(folder, stem + ".ora")
        fileio.save_png(png_path, out["rgb"])
        openraster.write_ora(ora_path, out["color"], out["lines"])
        return png_path, ora_path, out["notes"]

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
        predict.colorize_array(image, model)
        predict.colorize_array(image, model, hint_rgb, hint_mask)

    def _new_folder(self):
        folder = os.path.join(self.out_dir, uuid.uuid4().hex[:12])
        os.makedirs(folder)
        self._results.append(folder)
        while len(self._results) > _KEEP_RESULTS:
            shutil.rmtree(self._results.pop(0), ignore_errors=True)
        return folder


def notes_markdown(notes):
    """The page's notes under the result: one line each (HTML-escaped)."""
    return "\n".join(f"- {html.escape(note)}" for note in notes)


def _user_error(error):
    """A one-line `gr.Error` for the page."""
    text = str(error) if isinstance(error, ColorizeError) else errors.one_line(error)
    return gr.Error(html.escape(text), print_exception=False)


# -------------------------------------------------------------------- page --


def build(choices, default=None):
    """The Gradio Blocks page.

    Args:
        choices: label -> model path (`find_models`).
        default: the label selected at first (the first one if None).

    Returns:
        (blocks, demo): the `gr.Blocks` (call `.queue().launch()`) and its `Demo`.
    """
    import tensorflow as tf  # noqa: PLC0415 (only for its error class; loaded by predict anyway)

    demo = Demo(choices)
    default = default or next(iter(choices))
    failures = (ColorizeError, OSError, MemoryError, cv2.error, tf.errors.OpError)

    def colorize(sketch_path, hint_layer, from_color, temperature, normalize, model_label, progress):
        try:
            return demo.colorize(sketch_path, hint_layer, from_color, temperature, normalize, model_label, progress)
        except failures as e:
            raise _user_error(e) from None

    def run(sketch_path, hint_layer, from_color, temperature, normalize, model_label, progress=gr.Progress()):  # noqa: B008 (Gradio injects the tracker)
        png_path, ora_path, _ = colorize(
            sketch_path, hint_layer, from_color, temperature, normalize, model_label, progress
        )
        return png_path, png_path, ora_path

    def run_page(sketch_path, editor, from_color, temperature, normalize, model_label, progress=gr.Progress()):  # noqa: B008 (Gradio injects the tracker)
        if not sketch_path:
            return None, None, None, ""
        layer = editor_layer(editor) if isinstance(editor, dict) else None
        png_path, ora_path, notes = colorize(
            sketch_path, layer, from_color, temperature, normalize, model_label, progress
        )
        return png_path, png_path, ora_path, notes_markdown(notes)

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
            "Upload a line drawing (PNG, JPEG or WebP, any size), dab colors on it with the brush "
            "(pick any color), and get it colored at its full resolution, as a PNG and as layers "
            "(`.ora`: the lines over the flat color, for Krita)."
        )
        with gr.Row():
            with gr.Column():
                upload = gr.File(label="Sketch", file_types=UPLOAD_TYPES, type="filepath", elem_id="sketch-file")
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
                normalize = gr.Radio(list(predict.NORMALIZE_MODES), value="auto", label="Sketch normalization")

        outputs = [result, png_file, ora_file]
        page_outputs = [*outputs, notes]
        page_inputs = [upload, editor, from_color, temperature, normalize, model]
        private = {"api_visibility": "private"}
        coloring = {"api_visibility": "private", "concurrency_id": "colorize"}  # one queue for all coloring
        # Color at once on upload (setting the editor's value is not a `change` of it).
        upload.upload(on_upload, upload, editor, **private).success(run_page, page_inputs, page_outputs, **coloring)
        upload.clear(lambda: (None, None, None, None, ""), None, [editor, *page_outputs], **private)
        clear.click(clear_hints, editor, editor, **private).then(run_page, page_inputs, page_outputs, **coloring)
        run_button.click(run_page, page_inputs, page_outputs, **coloring)
        # Recolor when the hints or a control change; a burst of changes gives one run after the current one.
        for event in (editor.change, from_color.change, normalize.change, model.change, temperature.release):
            event(run_page, page_inputs, page_outputs, trigger_mode="always_last", **coloring)

        # The named API (gradio_client): a sketch file and a hint image.
        with gr.Row(visible=False):
            api_sketch = gr.File(label="sketch", type="filepath")
            api_hints = gr.Image(label="hint layer", type="numpy", image_mode="RGBA")
            api_button = gr.Button("api")
        api_button.click(
            run,
            [api_sketch, api_hints, from_color, temperature, normalize, model],
            outputs,
            api_name="colorize",
            concurrency_id="colorize",
        )
    return blocks, demo


# --------------------------------------------------------------------- CLI --


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m colorize.demo", description="A web page to color sketches, with color hints."
    )
    p.add_argument("--model", default=None, help="run directory or SavedModel (default: the shipped model)")
    p.add_argument("--models-dir", default=None, help="also offer the runs and exports found under this folder")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    p.add_argument("--port", type=int, default=7860, help="port to listen on")
    p.add_argument("--max-upload-mb", type=float, default=uploads.MAX_UPLOAD_MB, help="largest upload accepted, in MB")
    return p


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


@cli
def main(argv=None):
    args = errors.parse_args(_parser(), argv)
    if not 0 < args.port < 65536:
        raise ColorizeError(f"--port must be 1..65535, not {args.port}")
    if not args.max_upload_mb > 0:
        raise ColorizeError(f"--max-upload-mb must be positive, not {args.max_upload_mb}")
    serve(find_models(args.model, args.models_dir), args.host, args.port, max_upload_mb=args.max_upload_mb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
