"""Writing a trained run as a SavedModel that colors sketch files of any
size (`python -m colorize.export` is its command line).

The SavedModel is `colorizer.Colorizer`, saved as it is: the same graph
functions that `colorize.predict` calls in-process. It runs with TensorFlow
alone (this project need not be installed): decoding, resizing to the
trained scale (tiles along the long side of a strip), the network, the
annealed-mean decoding, the upsampling back to full size and the
multiplication by the sketch are all in the graph.

Signatures (`saved_model_cli show --all --dir EXPORT_DIR` lists them):

- `serving_default`: `images` (batch,) tf.string, encoded PNG or JPEG of any
  size, bit depth (1 to 16) and color type (alpha is composited on white,
  colors are turned to gray as `predict` does, `colorize.serving.decode`), colored at
  the export's temperature. Returns `png` (batch,) tf.string, the colored
  images as PNG at each input's size; `rgb` (batch, H, W, 3) uint8, the same
  pixels padded with zeros to the largest image of the batch; `size`
  (batch, 2) int32, each image's (height, width).
- `serving_temperature`: `images` as above and `temperature` (n,) float32:
  n = 0 uses the export's temperature, n = 1 applies one value to the whole
  batch, n = batch gives one per image. Returns what `serving_default` does.
- `sketch`: `sketch` (batch, H, W, 1) uint8 and `temperature` as above ->
  `rgb` (batch, H, W, 3) uint8.
- `color`: the same inputs -> `color` (batch, th, tw, 3) float32 RGB 0..255,
  the predicted color at the trained scale before it is brought back to
  full size and masked (what `colorize.predict` upsamples with its
  line-aware method).
- `guided`: `images` as above and `hints` (batch,) tf.string, one hint
  layer per image: an RGBA PNG painted over the sketch, whose pixels with
  alpha >= 128 are color hints (any size with the image's aspect ratio,
  scaled to it), or an empty string for no hints. Returns what
  `serving_default` does. The hints reach the network only (a model
  trained without hints ignores them): the line-bounded regions that hold
  a hint are not flood-filled in the hint's color as `colorize.predict`
  does by default (`hint_fill`, OpenCV), since the graph has no connected
  components; `predict --upsample bilinear` gives the served pixels.
- `palette`: `images` and `hints` as for `guided`, and `palette_colors`
  (batch, n, 3) uint8 RGB, n >= 0 named colors per image (n = 0: none;
  repeat a color to give an image fewer): the network's palette input
  (ideepcolor's global hints), as `predict --palette` gives it. Returns
  what `serving_default` does. A model without a palette input ignores
  them (`uses_palette` on the loaded object says which).

The module's other graph functions (`prepare`, `compose`, `decode_images`,
`color_guided`, `colorize_images_guided`, see `colorizer`) are saved too
and can be called on the loaded object.

A bad input raises `InvalidArgumentError` naming what is wrong (not a PNG or
JPEG, corrupt or truncated data, larger than `formats.MAX_PIXELS`, empty, bad
temperature, a bad hint layer: "hints I: ..."); the model keeps working for
the next call.

The one difference from `python -m colorize.predict` with its defaults: the
graph upsamples the color bilinearly (`fullres` explains the regions method
of predict). With `--upsample bilinear` predict calls the same graph
functions on the same decoded pixels (`colorize.serving.decode` decodes
as `colorize.data.images.load_image` does, EXIF orientation included), so its output is the
served output.

The export is written to `EXPORT_DIR.tmp-XXXX` and renamed into place, so a
half-written export never sits under the final name; its folders and files
get the usual permissions (0777 and 0666 less the umask), so that a model
server running as another user can read them.
"""

import json
import os
import shutil
import tempfile

import tensorflow as tf

from colorize import formats, runs
from colorize.errors import ColorizeError
from colorize.serving import colorizer

SIGNATURES = ("serving_default", "serving_temperature", "sketch", "color", "guided", "palette")


def export(run_dir, export_dir, temperature=None):
    """Writes the SavedModel of a trained run, atomically.

    Args:
        run_dir: a trained run directory.
        export_dir: where the SavedModel goes (replaced if it exists).
        temperature: default annealed-mean temperature (the run's if None).

    Returns:
        The export directory.

    Raises:
        ColorizeError: not a trained run, bad temperature, or the export
            folder cannot be written.
    """
    config, module = colorizer.from_run(run_dir, temperature)
    export_dir = os.path.abspath(export_dir)
    parent = os.path.dirname(export_dir)
    if os.path.exists(export_dir) and not os.path.isdir(export_dir):
        raise ColorizeError(f"{export_dir}: exists and is not a directory")
    try:
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=os.path.basename(export_dir) + ".tmp-", dir=parent)
    except OSError as e:
        raise ColorizeError(f"{parent}: cannot write the export here ({e.strerror or e})") from None
    try:
        tf.saved_model.save(module, tmp, signatures=module.signatures())
        metadata = {
            "run_dir": os.path.abspath(run_dir),
            "temperature": float(module.default_temperature.numpy()),
            "max_pixels": formats.MAX_PIXELS,
            "signatures": list(SIGNATURES),
            "hints": module.guided_head is not None,
            "palette": bool(module.palette_size),
            "config": json.loads(config.to_json()),
        }
        runs.write_export_metadata(tmp, metadata)
        _follow_umask(tmp)
        _replace_dir(tmp, export_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return export_dir


def _follow_umask(folder):
    """Gives `folder` and everything in it the permissions a plain `mkdir`
    and `open` would have (0777 / 0666 less the umask); `tempfile.mkdtemp`
    made it 0700, unreadable to a model server running as another user."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(folder, 0o777 & ~umask)
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o777 & ~umask)
        for name in files:
            os.chmod(os.path.join(root, name), 0o666 & ~umask)


def _replace_dir(src, dst):
    """Renames folder `src` to `dst`, replacing an existing `dst`; `dst` is
    at every moment either absent, the old export or the new one."""
    if not os.path.exists(dst):
        os.rename(src, dst)
        return
    old = tempfile.mkdtemp(prefix=os.path.basename(dst) + ".old-", dir=os.path.dirname(dst))
    os.rmdir(old)
    os.rename(dst, old)
    os.rename(src, dst)
    shutil.rmtree(old, ignore_errors=True)
