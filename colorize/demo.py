"""Serves the web page that colors sketches with color hints (Gradio).

    python -m colorize.demo [--model RUN_OR_EXPORT] [--models-dir DIR]
        [--host 127.0.0.1] [--port 7860]

(also the `colorize-demo` console script). The page is `colorize.app.page`:
the shipped model (or `--model`), and the runs and exports found under
`--models-dir`, offered in a dropdown; requests are queued one at a time.
"""

import argparse
import sys

from colorize import errors, tf_logs
from colorize.errors import ColorizeError, cli


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m colorize.demo", description="A web page to color sketches, with color hints."
    )
    p.add_argument("--model", default=None, help="run directory or SavedModel (default: the shipped model)")
    p.add_argument("--models-dir", default=None, help="also offer the runs and exports found under this folder")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    p.add_argument("--port", type=int, default=7860, help="port to listen on")
    return p


@cli
def main(argv=None):
    tf_logs.install()
    args = errors.parse_args(_parser(), argv)
    if not 0 < args.port < 65536:
        raise ColorizeError(f"--port must be 1..65535, not {args.port}")
    from colorize.app import page  # noqa: PLC0415 (Gradio and TensorFlow: seconds; --help answers without them)

    page.serve(page.find_models(args.model, args.models_dir), args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
