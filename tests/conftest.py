"""Shared fixtures: the tiny synthetic dataset and tiny trained runs, built
once per test session."""

import os
import shutil
import signal
import tempfile
import threading

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_configure(config):
    """Each test process gets its own Gradio cache folder (GRADIO_TEMP_DIR).

    Gradio names a cached file by its content and, when a server closes,
    deletes every file that server cached; in the shared default folder, one
    xdist worker's demo closing can delete same-content files that another
    worker's page is using. A worker inherits the controller's environment,
    so each process makes its own folder here (and removes it at the end)."""
    config._gradio_temp_dir = (os.environ.get("GRADIO_TEMP_DIR"), tempfile.mkdtemp(prefix="colorize-tests-gradio-"))
    os.environ["GRADIO_TEMP_DIR"] = config._gradio_temp_dir[1]


def pytest_unconfigure(config):
    saved, folder = getattr(config, "_gradio_temp_dir", (None, None))
    if folder is None:
        return
    if saved is None:
        os.environ.pop("GRADIO_TEMP_DIR", None)
    else:
        os.environ["GRADIO_TEMP_DIR"] = saved
    shutil.rmtree(folder, ignore_errors=True)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
    """In a pytest-xdist worker whose tests are done, ignore SIGINT.

    execnet sends a worker SIGINT when it takes more than 5 s to wind down
    after its last test (a TensorFlow and JAX heap to free, temporary folders
    to remove, on a loaded machine); the KeyboardInterrupt then lands in
    whatever runs, often JAX's garbage-collection callback, and prints a
    traceback under a suite that passed. The results are already reported
    by then; the worker just finishes winding down."""
    if hasattr(session.config, "workerinput") and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory):
    """A TFDS data dir holding `sketch_colorization/synthetic_tiny`."""
    from colorize.data import build  # noqa: PLC0415 (TensorFlow: the math tests also run without it)

    data_dir = tmp_path_factory.mktemp("tfds")
    build.build(config="synthetic_tiny", data_dir=str(data_dir))
    return str(data_dir)


@pytest.fixture(scope="session")
def tiny_run(tiny_data_dir, tmp_path_factory):
    """`tiny_run(variant)` -> the run dir of a `tiny`-preset run of that
    variant (trained once per session and shared)."""
    from colorize import train  # noqa: PLC0415 (as above)

    runs = {}

    def make(variant="rebalance"):
        if variant not in runs:
            run_dir = str(tmp_path_factory.mktemp(f"run-{variant}"))
            train.run(["--variant", variant, "--preset", "tiny", "--run-dir", run_dir, "--data-dir", tiny_data_dir])
            runs[variant] = run_dir
        return runs[variant]

    return make


@pytest.fixture(scope="session")
def run_dir(tiny_run):
    """The tiny `rebalance` run (a test module may define its own)."""
    return tiny_run("rebalance")


@pytest.fixture(scope="session")
def export_dir(tiny_run, tmp_path_factory):
    """A SavedModel exported (by the CLI) from the tiny `rebalance` run."""
    from colorize import export  # noqa: PLC0415 (as above)

    out = tmp_path_factory.mktemp("export") / "model"
    assert export.main([tiny_run("rebalance"), str(out)]) == 0
    return str(out)
