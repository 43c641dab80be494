"""Writing outputs safely: atomic files and writable folders.

Every output the project writes (configs, histories, priors, PNGs, results)
goes through `write_atomic`, so a killed process never leaves half a file
under the final name.
"""

import contextlib
import errno
import os
import tempfile

import numpy as np

from colorize.errors import ColorizeError


def write_atomic(path, data):
    """Writes `data` (str or bytes) to a temporary file beside `path`, then
    renames it: `path` holds either its old content or the new one, never
    half of it (also when the process is killed), and a failed write leaves
    no temporary file behind. Creates the parent folder if needed.

    Raises:
        OSError: the write failed (callers that face users turn it into a
            one-line error; `ensure_writable_dir` checks a folder up front).
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def ensure_writable_dir(folder, what="output", keep=True):
    """Creates `folder` if needed and checks that a file can be written in it.

    Args:
        folder: the folder.
        what: what goes there, for the message ("the run directory", ...).
        keep: False: the folders created for the check are removed again
            (`write_atomic` creates them with the first file), so that a
            command that ends up writing nothing leaves nothing behind.

    Raises:
        ColorizeError: one line naming the folder and the reason (a path
            under a regular file, no permission, a read-only disk, ...).
    """
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise ColorizeError(f"{folder}: cannot write {what} here (it is a file, not a folder)")
    created = []  # the folders made for the check, deepest first (with keep=False)
    parent = os.path.abspath(folder)
    while not keep and not os.path.exists(parent):
        created.append(parent)
        parent = os.path.dirname(parent)
    try:
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        reason = e.strerror or str(e)
        if e.errno == errno.ENOENT and os.path.isdir(folder):
            # The folder is there but refuses new files with "No such file or directory":
            # a system folder such as /proc/self, whose entries the kernel makes.
            reason = "the folder exists but takes no new files: a system folder?"
        raise ColorizeError(f"{folder}: cannot write {what} here ({reason})") from None
    finally:
        for path in created:
            with contextlib.suppress(OSError):  # not created after all, or no longer empty
                os.rmdir(path)


def save_png(path, rgb):
    """Writes an RGB uint8 image `(H, W, 3)` as PNG, atomically."""
    import cv2  # noqa: PLC0415 (OpenCV loads only to write a PNG: the commands import this module for --help)

    ok, encoded = cv2.imencode(".png", np.ascontiguousarray(rgb[..., ::-1]))
    if not ok:
        raise ColorizeError(f"{path}: could not encode PNG")
    write_atomic(path, encoded.tobytes())
