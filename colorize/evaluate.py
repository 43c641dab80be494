"""Evaluates a trained run: `python -m colorize.evaluate [RUN_DIR] [--split test] [--sketch line|binary]`.

Without RUN_DIR the model shipped in the package is evaluated
(`colorize.weights.default_model`) and a line says so; its results go to
the current folder unless `--json` says otherwise. `--hints N` gives the
network N hints per image sampled from the ground truth (a run trained with
hints). The evaluation itself is `colorize.evaluation.evaluator.evaluate_run`.

Prints a table and writes JSON (default `RUN_DIR/eval_SPLIT_SKETCH.json`;
`_hintsN`, `_paletteK` and `_NAME` added with `--hints N`, `--palette K`
and `--source NAME`).
"""

import argparse
import json
import os
import sys

from colorize import errors, fileio, tf_logs, weights
from colorize.errors import cli


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m colorize.evaluate",
        description="Evaluate a trained colorization run with the paper's metrics "
        "(chroma, RGB/L/C/hue MSE), PSNR (and the bare sketch's), SSIM, the white paper kept, "
        "the page color and the color-distribution overlap (with a gray output's and another image's).",
    )
    p.add_argument(
        "run_dir", nargs="?", default=None, help="run directory written by colorize.train (default: the shipped model)"
    )
    p.add_argument("--split", default="test", help="dataset split (default: test)")
    p.add_argument(
        "--sketch",
        default="line",
        help="network input: line (the extracted line drawing) or binary (thresholded; default: line)",
    )
    p.add_argument("--batch-size", type=int, default=None, help="default: the run's batch size")
    p.add_argument("--max-examples", type=int, default=None, help="evaluate only the first N examples")
    p.add_argument("--temperature", type=float, default=None, help="annealed-mean T (default: the run's)")
    p.add_argument("--dataset", default=None, help="TFDS name/config (default: the run's)")
    p.add_argument("--data-dir", default=None, help="TFDS data directory (default: the run's)")
    p.add_argument("--image-size", type=int, default=None, help="resolution (default: the run's training size)")
    p.add_argument(
        "--hints",
        type=int,
        default=0,
        metavar="N",
        help="N color hints per image from the ground truth, fixed seed (a run trained with hints; default 0)",
    )
    p.add_argument(
        "--palette",
        type=int,
        default=0,
        metavar="K",
        help="give the network the palette of the ground truth's K main colors (a run with a palette input)",
    )
    p.add_argument(
        "--source",
        default=None,
        metavar="NAME",
        help="only the windows of one source of the dataset (the first part of their source ids, e.g. openmoji)",
    )
    p.add_argument(
        "--json",
        default=None,
        help="output JSON (default: RUN_DIR/eval_SPLIT_SKETCH.json, or in the current folder for the shipped "
        "model; _hintsN with --hints N, _paletteK with --palette K, _NAME with --source)",
    )
    return p


def parse_args(argv):
    return errors.parse_args(_parser(), argv)


@cli
def main(argv=None):
    tf_logs.install()
    args = parse_args(argv)
    suffix = (f"_hints{args.hints}" if args.hints else "") + (f"_palette{args.palette}" if args.palette else "")
    suffix += f"_{args.source}" if args.source else ""
    folder = args.run_dir
    if args.run_dir is None:  # the shipped model: its folder is the package's, so results go here
        args.run_dir, folder = weights.default_model(), "."
        print(f"model: {args.run_dir} (the shipped model)", flush=True)
    path = args.json or os.path.join(folder, f"eval_{args.split}_{args.sketch}{suffix}.json")
    if os.path.isdir(args.run_dir):  # (a missing run directory is reported as such)
        fileio.ensure_writable_dir(os.path.dirname(path) or ".", "the results")
    from colorize.evaluation import evaluator, metrics  # noqa: PLC0415 (TensorFlow: seconds; --help answers without it)

    result = evaluator.evaluate_run(
        args.run_dir,
        split=args.split,
        sketch=args.sketch,
        batch_size=args.batch_size,
        max_examples=args.max_examples,
        temperature=args.temperature,
        dataset=args.dataset,
        data_dir=args.data_dir,
        image_size=args.image_size,
        hints=args.hints,
        palette=args.palette,
        source=args.source,
    )
    hinted = f", {result['hints']} hints" if result["hints"] else ""
    hinted += f", the truth's {result['palette']}-color palette" if result["palette"] else ""
    of = f" (source {result['source']})" if result["source"] else ""
    title = (
        f"{result['variant']} on {result['dataset']}{of} {result['split']} ({result['examples']} images, "
        f"{result['sketch']} sketches{hinted}, {result['image_size']} px, T={result['temperature']:g})"
    )
    print(metrics.format_table(result["metrics"], title=title))
    fileio.write_atomic(path, json.dumps(result, indent=1) + "\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
