"""What the web page keeps on disk: uploads bounded, refused ones deleted at
once, results deleted on a schedule.

Repeated large uploads could fill the disk: Gradio keeps every upload in
its upload folder, and refused ones stayed there for one to two hours.
The page (`colorize.demo`) therefore

- refuses an upload over `MAX_UPLOAD_MB` while it streams in (Gradio's
  `max_file_size`: the partial file is removed, the client gets HTTP 413);
- deletes an upload the decoder refuses (not an image, truncated, too
  large from its header) as soon as it says so (`discard`), if the file is
  in Gradio's upload folder (a path given otherwise is never touched);
- deletes its result folders older than `RESULT_AGE_S` every
  `CLEAN_EVERY_S` seconds (`ResultsCleaner`), and has Gradio clean its own
  cache on the same schedule (`gradio_cache_schedule`).
"""

import os
import shutil
import threading
import time

import gradio as gr

from colorize.formats import MAX_UPLOAD_MB  # noqa: F401 (the page's default, with the other limits)

RESULT_AGE_S = 1800
"""A result folder (PNG and .ora) is deleted this many seconds after it was written ..."""

CLEAN_EVERY_S = 300
"""... by a cleaner that runs this often."""


def upload_folder():
    """Gradio's upload folder (GRADIO_TEMP_DIR, or the system's temp folder's `gradio`)."""
    return os.path.realpath(gr.utils.get_upload_folder())


def discard(path, folder=None):
    """Deletes a refused upload, if it lies in the upload folder.

    Args:
        path: the uploaded file's path.
        folder: the upload folder (default `upload_folder()`).

    Returns:
        True when the file was deleted.
    """
    if not path:
        return False
    real = os.path.realpath(str(path))
    folder = os.path.realpath(folder or upload_folder())
    if os.path.commonpath([real, folder]) != folder or real == folder or not os.path.isfile(real):
        return False
    try:
        os.remove(real)
    except OSError:
        return False
    # Gradio puts each upload in a folder of its own: remove it too when empty.
    parent = os.path.dirname(real)
    if parent != folder:
        try:
            os.rmdir(parent)
        except OSError:
            pass
    return True


def gradio_cache_schedule(age_s=RESULT_AGE_S, every_s=CLEAN_EVERY_S):
    """`gr.Blocks(delete_cache=...)`: (how often, how old) in seconds."""
    return (int(every_s), int(age_s))


class ResultsCleaner:
    """Deletes the result folders under a folder once they are `age_s` old,
    every `every_s` seconds, in a daemon thread (`start`, `stop`).

    Args:
        folder: where the result folders are.
        age_s: their lifetime in seconds.
        every_s: how often to look.
    """

    def __init__(self, folder, age_s=RESULT_AGE_S, every_s=CLEAN_EVERY_S):
        self.folder, self.age_s, self.every_s = folder, float(age_s), float(every_s)
        self._stop = threading.Event()
        self._thread = None

    def clean(self, now=None):
        """Deletes the folders older than `age_s` (by their modification time).

        Returns:
            the number deleted.
        """
        now = time.time() if now is None else now
        deleted = 0
        try:
            entries = list(os.scandir(self.folder))
        except OSError:
            return 0
        for entry in entries:
            try:
                old = now - entry.stat(follow_symlinks=False).st_mtime > self.age_s
            except OSError:
                continue
            if old and entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
                deleted += 1
        return deleted

    def start(self):
        """Cleans every `every_s` seconds until `stop`."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="results-cleaner", daemon=True)
            self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self):
        while not self._stop.wait(self.every_s):
            self.clean()
