"""Exports a trained run as a SavedModel that colors sketch files of any size.

    python -m colorize.export [RUN_DIR] EXPORT_DIR [--temperature T]

Without RUN_DIR the model shipped in the package is exported
(`colorize.weights.default_model`), and a line says so. The SavedModel, its
signatures and how it is written: `colorize.serving.saved_model`.
"""

import argparse
import sys

from colorize import errors, runs, tf_logs, variants, weights
from colorize.errors import cli


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m colorize.export",
        description="Export a trained run as a SavedModel (encoded image bytes in, colored PNG/RGB out).",
    )
    p.add_argument(
        "run_dir",
        nargs="?",
        default=None,
        help=f"trained run directory (holds {runs.CONFIG}; default: the shipped model)",
    )
    p.add_argument("export_dir", help="where to write the SavedModel (replaced if it exists)")
    p.add_argument(
        "--temperature", type=float, default=None, help="default annealed-mean temperature (default: the run's)"
    )
    return p


@cli
def main(argv=None):
    tf_logs.install()
    args = errors.parse_args(_parser(), argv)
    if args.temperature is not None:
        variants.check_temperature(args.temperature, "--temperature")  # before the model loads
    run_dir = args.run_dir or weights.default_model()
    if not args.run_dir:
        print(f"model: {run_dir} (the shipped model)", flush=True)
    from colorize.serving import saved_model  # noqa: PLC0415 (TensorFlow: seconds; --help answers without it)

    path = saved_model.export(run_dir, args.export_dir, args.temperature)
    print(f"exported {run_dir} -> {path} (signatures: {', '.join(saved_model.SIGNATURES)})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
