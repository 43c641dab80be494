"""A quiet TensorFlow start-up for the command-line tools.

When TensorFlow's C++ runtime loads, and again when it first looks for
devices, it writes about ten lines to stderr before its logging is even set
up (so `TF_CPP_MIN_LOG_LEVEL` cannot hide them): oneDNN and CPU-instruction
notes, "Could not find cuda drivers on your machine" and, on a machine
without an NVIDIA driver, `E0000 ... failed call to cuInit`, which a new user
reads as the tool failing.

`install()` (every command's `main` calls it first) makes the process's
next `import tensorflow` run with file descriptor 2 captured, and lists the
devices inside the same capture. Lines that match `NOISE` are dropped;
anything else is written back to stderr unchanged, and when the import fails
everything captured is written back before the error propagates. Nothing is
imported until the program itself imports TensorFlow; a program that
imported TensorFlow before calling `install()` sees TensorFlow's own
behaviour, and so does one that never calls it (importing `colorize`
installs nothing).

Set `COLORIZE_TF_LOGS=1` to see TensorFlow's start-up lines.
"""

import importlib.abc
import importlib.util
import logging
import os
import re
import sys
import tempfile

ENV = "COLORIZE_TF_LOGS"
NOISE = re.compile(
    r"^(?:"
    r"[IW]\d{4} .*"  # INFO and WARNING lines of the C++ runtime
    r"|E\d{4} .*(?:cuInit|cuda_platform|cuda_dnn|cuda_blas|cuda_fft|cuDNN|cuFFT|cuBLAS).*"  # CUDA probing
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags\."
    r")$"
)
"""The start-up lines that are dropped (anything else is shown)."""


def _shown(text):
    """The captured start-up text without the `NOISE` lines."""
    return "".join(line for line in text.splitlines(keepends=True) if not NOISE.match(line.rstrip("\n")))


class _CapturedStderr:
    """Redirects file descriptor 2 (what C++ writes to) into a temporary file."""

    def __enter__(self):
        sys.stderr.flush()
        self._file = tempfile.TemporaryFile(mode="w+b")
        self._saved = os.dup(2)
        os.dup2(self._file.fileno(), 2)
        return self

    def __exit__(self, *exc):
        sys.stderr.flush()
        os.dup2(self._saved, 2)
        os.close(self._saved)
        self._file.seek(0)
        self.text = self._file.read().decode("utf-8", "replace")
        self._file.close()
        return False


class _QuietLoader(importlib.abc.Loader):
    """Wraps TensorFlow's loader: its module runs inside `_CapturedStderr`."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        capture = _CapturedStderr()
        try:
            with capture:
                self._loader.exec_module(module)
                module.config.list_physical_devices()  # the CUDA probe happens here, captured
        except BaseException:
            sys.stderr.write(capture.text)  # a failed import keeps every line
            raise
        sys.stderr.write(_shown(capture.text))


class _QuietFinder(importlib.abc.MetaPathFinder):
    """Finds `tensorflow` (once) with the other finders and wraps its loader."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        uninstall()  # one import only; also keeps find_spec below from recursing
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


_FINDER = _QuietFinder()


def install():
    """Makes the next `import tensorflow` quiet (see the module docstring),
    and what TensorFlow, TFDS and Beam log later while the command runs:
    `TF_CPP_MIN_LOG_LEVEL` 2 unless set (C++ errors are still shown), TFDS's
    absl warnings, Beam's "apitools not found".

    Does nothing when TensorFlow is already imported or `COLORIZE_TF_LOGS`
    is set to anything but "" or "0".
    """
    if "tensorflow" in sys.modules or os.environ.get(ENV, "") not in ("", "0"):
        return
    # Later, while it runs: the C++ runtime's INFO and WARNING lines ("Memory patch applied"),
    # unless the user chose a level, TFDS's warnings (absl) and Beam's "apitools not found".
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.getLogger("absl").setLevel(logging.ERROR)
    if _beam_noise not in logging.getLogger().filters:
        logging.getLogger().addFilter(_beam_noise)
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def _beam_noise(record):
    """False for Apache Beam's import-time warning about Google Cloud clients (not used here)."""
    return "apitools not found" not in record.getMessage()


def uninstall():
    """Removes the hook (TensorFlow then imports as usual)."""
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
