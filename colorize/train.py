"""Trains one of the paper's variants: `python -m colorize.train --variant rebalance`.

The command line: parses the flags, resolves the config (or the recorded
one of the run being resumed), picks the distribution strategy from
`TF_CONFIG` (`colorize.training.distribution`: one machine or several),
records the config in the run directory and hands off to
`colorize.training.trainer.Trainer` running a
`colorize.training.task.ColorizationTask`. Rerunning the same command
resumes from the last checkpoint (weights, optimizer state, step, epoch,
learning-rate schedule state).
"""

import argparse
import os
import sys

from colorize import errors, fileio, runs, tf_logs, variants
from colorize.errors import ColorizeError, cli


def _parser():
    variant_lines = "\n".join(f"  {name:<15} {text}" for name, text in variants.VARIANT_HELP.items())
    p = argparse.ArgumentParser(
        prog="python -m colorize.train",
        description="Train a line-drawing colorization model (one of the paper's five variants).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"variants:\n{variant_lines}\n\npresets: {', '.join(variants.PRESETS)} "
        "(small: minutes on a 2-core CPU; paper: 256 px, full width, batch 24)\n\n"
        "Rerunning the same command resumes from the last checkpoint.",
    )
    p.add_argument(
        "--variant", default="rebalance", help=f"one of: {', '.join(variants.VARIANTS)} (default: rebalance)"
    )
    p.add_argument("--preset", default="small", help="one of: " + ", ".join(variants.PRESETS) + " (default: small)")
    p.add_argument("--run-dir", default=None, help="run directory (default: runs/VARIANT-PRESET)")
    p.add_argument(
        "--dataset", default=None, help="TFDS name/config; a+b: both (default: sketch_colorization/synthetic)"
    )
    p.add_argument("--data-dir", default=None, help="TFDS data directory (default: ~/tensorflow_datasets)")
    p.add_argument("--epochs", type=int, default=None, help="in all, a resumed run's included (default: the preset's)")
    p.add_argument("--steps-per-epoch", type=int, default=None, help="0: one pass over the training split")
    p.add_argument("--batch-size", type=int, default=None, help="global batch size (all replicas)")
    p.add_argument("--learning-rate", type=float, default=None, help="Adam's, /10 on a plateau (default: the preset's)")
    p.add_argument(
        "--rebalance-lambda",
        type=float,
        default=None,
        help="class rebalancing: weights from (1 - lambda) * prior + lambda / Q "
        f"(default {variants.PAPER_REBALANCE_LAMBDA}, the paper's; 1: no rebalancing)",
    )
    p.add_argument(
        "--spare-white",
        type=_on_off,
        default=None,
        metavar="on|off",
        help="white paper keeps weight 1 while the colors are rebalanced (default: off, the paper's weights)",
    )
    p.add_argument(
        "--init-from",
        default=None,
        metavar="RUN",
        help="start from the network weights of a trained run or packed model (fine-tuning; same width and hints)",
    )
    temperature = f"annealed-mean temperature the run decodes with (default {variants.PAPER_TEMPERATURE}, the paper's)"
    p.add_argument("--temperature", type=float, default=None, help=temperature)
    p.add_argument("--width", type=float, default=None, help="channel multiplier (1.0: the paper's network)")
    p.add_argument("--image-size", type=int, default=None, help="training resolution (multiple of 8, <= 256)")
    p.add_argument("--crop-scale", type=float, default=None, help="train on random crops, S..1 of a side (0.25-1)")
    p.add_argument("--sketch", default=None, help="network input: line, binary, or mix (robust to real sketches)")
    p.add_argument(
        "--hints",
        type=_on_off,
        default=None,
        metavar="on|off",
        help="train with simulated color hints as extra network inputs (default: on)",
    )
    p.add_argument("--hint-none-share", type=float, default=None, help="share of examples given no hint (default 1/8)")
    p.add_argument(
        "--palette",
        type=_on_off,
        default=None,
        metavar="on|off",
        help="a palette input (global hints: the colors to use, not where), needs --hints on (default: on)",
    )
    p.add_argument(
        "--precision",
        default=None,
        help="float32, mixed_float16, mixed_bfloat16 or auto (the default for a new run: "
        "mixed_bfloat16 on a CPU with AMX-BF16 or AVX512-BF16, else float32)",
    )
    p.add_argument("--xla", action="store_true", default=None, help="jit_compile the train step (one replica only)")
    p.add_argument("--seed", type=int, default=None, help="of the shuffling, crops and simulated hints (default 0)")
    p.add_argument("--log-every", type=int, default=None, help="steps between progress lines")
    p.add_argument("--checkpoint-every", type=int, default=None, help="steps between mid-epoch checkpoints")
    p.add_argument(
        "--average-from",
        type=int,
        metavar="N",
        default=None,
        help="from epoch N on, also keep in RUN/average the mean of the networks at the ends of the epochs "
        "(stochastic weight averaging, batch-norm statistics averaged too; 0: off, the default)",
    )
    return p


def _on_off(value):
    """`on`/`off` (also true/false, yes/no, 1/0) -> bool."""
    key = value.strip().lower()
    if key in ("on", "true", "yes", "1"):
        return True
    if key in ("off", "false", "no", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected on or off, not {value!r}")


def parse_args(argv):
    return errors.parse_args(_parser(), argv)


# Flags that may differ when a run is resumed (to extend it); any other
# explicit flag must match the run directory's recorded config.
RESUMABLE_CHANGES = {"epochs", "steps_per_epoch", "log_every", "checkpoint_every", "average_from"}


def resolve_config(args):
    """The run's config: from the flags, or from the run directory when it
    resumes one (explicit flags must then agree with it).

    Args:
        args: the parsed flags (`parse_args`).

    Returns:
        (config, run_dir): a `variants.Config` and the run directory.

    Raises:
        ColorizeError: a bad flag value, a run directory holding another
            variant, a flag that disagrees with the run being resumed, or a
            run directory path that is a file.
    """
    # Every flag that sets a config field of its own name (--xla sets jit_compile).
    flags = {k: v for k, v in vars(args).items() if k not in ("variant", "preset", "run_dir", "xla")}
    overrides = dict(flags, jit_compile=args.xla)
    run_dir = args.run_dir or os.path.join("runs", f"{config_name(args)}")
    resuming = runs.is_run(run_dir)
    if args.precision is None and not resuming:
        overrides["precision"] = "auto"
    config = variants.resolve(args.variant, args.preset, **overrides)
    if resuming:
        saved = runs.load_config(run_dir)
        if saved.variant != config.variant:
            raise ColorizeError(
                f"{run_dir}: this run directory holds a {saved.variant!r} run, not {config.variant!r}; "
                "pick another --run-dir"
            )
        given = {k: v for k, v in overrides.items() if v is not None and not (k == "precision" and v == "auto")}
        if args.preset != saved.preset:
            given["preset"] = args.preset
        for key, value in given.items():
            if key not in RESUMABLE_CHANGES and getattr(saved, key) != value:
                raise ColorizeError(
                    f"{run_dir}: resuming a run made with {key}={getattr(saved, key)!r}, "
                    f"but {key}={value!r} was given; use another --run-dir for a new run"
                )
        config = saved.replace(**{k: v for k, v in given.items() if k in RESUMABLE_CHANGES})
    elif os.path.exists(run_dir) and not os.path.isdir(run_dir):
        raise ColorizeError(f"{run_dir}: exists and is not a directory")
    return config, run_dir


def config_name(args):
    """The default run directory's name: VARIANT-PRESET."""
    return f"{args.variant}-{args.preset}"


def run(argv=None):
    """Parses flags and trains.

    Args:
        argv: the command line arguments (default: `sys.argv[1:]`).

    Returns:
        The `trainer.Trainer` (for tests and tools); its `history` holds the
        per-epoch metrics.

    Raises:
        ColorizeError: bad flags, an unusable run directory or dataset, or a
            loss that became NaN.
    """
    args = parse_args(argv)
    config, run_dir = resolve_config(args)
    units = variants.cpu_bfloat16_flags()
    why = f"this CPU has {', '.join(units)}" if units else "this CPU has no bfloat16 units"
    if args.precision is None and config.precision == variants.detect_precision():
        print(f"precision: {config.precision} (chosen: {why}; --precision overrides)", flush=True)
    else:
        print(f"precision: {config.precision} ({why})", flush=True)
    # TensorFlow and Keras load here, not at the top: --help and flag errors answer without them (seconds).
    import keras  # noqa: PLC0415

    from colorize.training import distribution, task, trainer  # noqa: PLC0415

    strategy, _, task_index, is_chief = distribution.make_strategy()
    fileio.ensure_writable_dir(run_dir, "the run directory")

    # The config is recorded once the data is found: a run that could not
    # start (say, a wrong --data-dir) does not pin its run directory to the
    # flags it was given.
    policy = keras.mixed_precision.global_policy()  # the task sets the run's; put back after it
    try:
        loop = trainer.Trainer(
            task.ColorizationTask(config), run_dir, strategy, is_chief=is_chief, task_index=task_index
        )
        if is_chief:
            runs.save_config(config, run_dir)
        with errors.sigterm_interrupts():  # a `kill` saves the steps done, as Ctrl-C does
            history = loop.fit()
    finally:
        keras.mixed_precision.set_global_policy(policy)
    if history and is_chief:
        last = history[-1]
        print(
            f"done: {run_dir} (epoch {last['epoch']}: val loss {last['val_loss']:.4f}, "
            f"val chroma {last['val_chroma']:.2f} vs ground truth {last['val_true_chroma']:.2f})",
            flush=True,
        )
    return loop


@cli
def main(argv=None):
    tf_logs.install()
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
