"""Serves the web page that colors sketches with color hints (Gradio).

    python -m colorize.demo [--model RUN_OR_EXPORT] [--models-dir DIR]
        [--host 127.0.0.1] [--port 7860] [--max-upload-mb 50]

(also the `colorize-demo` console script). The page is `colorize.app.page`:
the shipped model (or `--model`), and the runs and exports found under
`--models-dir`, offered in a dropdown; requests are queued one at a time.
Uploads over `--max-upload-mb` are refused as they stream in; an upload the
decoder refuses is deleted at once, and results are deleted on a schedule
(`colorize.app.uploads`). Each server keeps its uploads and results in a
folder of its own (`own_upload_folder`) unless GRADIO_TEMP_DIR names one.
"""

import argparse
import atexit
import os
import shutil
import socket
import sys
import tempfile

from colorize import errors, formats, tf_logs
from colorize.errors import ColorizeError, cli


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m colorize.demo", description="A web page to color sketches, with color hints."
    )
    p.add_argument("--model", default=None, help="run directory or SavedModel (default: the shipped model)")
    p.add_argument("--models-dir", default=None, help="also offer the runs and exports found under this folder")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    p.add_argument("--port", type=int, default=7860, help="port to listen on")
    p.add_argument("--max-upload-mb", type=float, default=formats.MAX_UPLOAD_MB, help="largest upload accepted, in MB")
    return p


def own_upload_folder():
    """Points Gradio's upload folder at a new one of this process's own,
    removed at exit, unless GRADIO_TEMP_DIR is set (then that one is used).

    Why: Gradio names a cached file by its content, and a server deletes
    the files it cached when it stops and on the page's cleaning schedule.
    In the folder every Gradio app shares by default (the system temp
    folder's `gradio`), stopping one page would delete the same files that
    a second page, still serving, shows (its examples, a shared upload).
    Call it before Gradio is imported: some of its modules read the
    variable once, at import.

    Returns:
        The folder made, or None when GRADIO_TEMP_DIR was already set.
    """
    if os.environ.get("GRADIO_TEMP_DIR"):
        return None
    folder = tempfile.mkdtemp(prefix="colorize-demo-gradio-")
    os.environ["GRADIO_TEMP_DIR"] = folder
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def check_port(host, port):
    """A ColorizeError (one line, status 2) when the page could not listen
    on `host`:`port` (taken by another server, or an address this machine
    lacks); Gradio's own error is a traceback."""
    try:
        socket.create_server((host, port)).close()
    except OSError as e:
        reason = os.strerror(e.errno) if e.errno else str(e)
        raise ColorizeError(
            f"--port {port}: cannot listen on {host}:{port} ({reason}); give another --port or --host"
        ) from None


@cli
def main(argv=None):
    tf_logs.install()
    args = errors.parse_args(_parser(), argv)
    if not 0 < args.port < 65536:
        raise ColorizeError(f"--port must be 1..65535, not {args.port}")
    if not args.max_upload_mb > 0:
        raise ColorizeError(f"--max-upload-mb must be positive, not {args.max_upload_mb}")
    check_port(args.host, args.port)  # before seconds of loading: the model is not needed to say so
    own_upload_folder()
    from colorize.app import page  # noqa: PLC0415 (Gradio and TensorFlow: seconds; --help answers without them)

    choices = page.find_models(args.model, args.models_dir)
    # SIGTERM (`kill`, `docker stop`, systemd) stops the page as Ctrl-C does, so that the
    # folders are removed at exit (Python's default for it ends the process at once).
    with errors.sigterm_interrupts():
        page.serve(choices, args.host, args.port, max_upload_mb=args.max_upload_mb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
