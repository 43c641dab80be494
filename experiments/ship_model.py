"""Packs a trained run as the package's shipped model and writes its model card.

`python -m experiments.ship_model RUN [--out colorize/weights/openclipart]
[--temperatures 0.38,0.2,0.1] [--train-command "..."]`

1. Chooses the annealed-mean temperature on the *validation* split: each
   candidate is evaluated without hints and scored by how many of the
   shipped model's targets it meets (white kept >= 0.8, chroma ratio in
   [0.8, 1.25], PSNR >= the bare sketch's + 2 dB), ties broken by PSNR.
2. Writes the run's network with that temperature as float16 weights
   (`colorize.nets.trained.pack_net`): `config.json` and `weights.npz`.
3. Evaluates what ships (the packed float16 weights) on the *test* split:
   the network alone and with the region fill `predict` applies, for 0 to
   100 hints (`experiments.hints_curve`, next to the flood-fill baseline),
   and draws a sample grid (sketch | result | ground truth).
4. Writes `model_card.json` (variant, parameters, the weights' SHA-256 and
   size, training steps and wall time, hardware, every figure) and
   `MODEL_CARD.md`, which `tests/test_shipped_model.py` checks the weights
   against.
"""

import argparse
import hashlib
import json
import os
import platform
import time

import numpy as np
import tensorflow as tf
from PIL import Image

from colorize import errors, fileio, runs
from colorize.errors import ColorizeError, cli
from colorize.evaluation import evaluator
from colorize.nets import trained
from experiments import hints_curve

OUT = os.path.join("colorize", "weights", "openclipart")
CARD_JSON = "model_card.json"
CARD_MD = "MODEL_CARD.md"
SAMPLES = "samples.png"
TARGETS = dict(white_kept=0.8, chroma_ratio=(0.8, 1.25), psnr_gain=2.0, hints10_gain=3.0)


def _parser():
    p = argparse.ArgumentParser(prog="python -m experiments.ship_model", description=__doc__.splitlines()[0])
    p.add_argument("run", help="the trained run directory")
    p.add_argument("--out", default=OUT, help=f"the shipped model's folder (default: {OUT})")
    p.add_argument("--temperatures", default="0.38,0.2,0.1", help="candidates, chosen on validation")
    p.add_argument("--max-examples", type=int, default=None, help="evaluate on the first N examples only")
    p.add_argument("--curve-out", default=os.path.join("experiments", "results", "shipped_hints_curve"))
    p.add_argument("--train-command", default="", help="the command that trained the run, for the card")
    p.add_argument("--samples", type=int, default=6, help="test images in the sample grid")
    return p


def sha256(path):
    """The hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def score(m):
    """(targets met, PSNR) of a no-hint evaluation: what the temperature is chosen by."""
    lo, hi = TARGETS["chroma_ratio"]
    met = (
        (m["white_kept"] >= TARGETS["white_kept"])
        + (lo <= m["chroma_ratio"] <= hi)
        + (m["psnr"] >= m["psnr_sketch"] + TARGETS["psnr_gain"])
    )
    return int(met), m["psnr"]


def choose_temperature(run_dir, temperatures, max_examples=None):
    """Evaluates each temperature on validation; returns (best T, table)."""

    table = []
    for t in temperatures:
        m = evaluator.evaluate_run(run_dir, split="validation", temperature=t, max_examples=max_examples)["metrics"]
        table.append(dict(temperature=t, **{k: m[k] for k in ("chroma_ratio", "psnr", "psnr_sketch", "white_kept")}))
        print(f"  T={t}: {table[-1]}", flush=True)
    best = max(table, key=score)
    return best["temperature"], table


def sample_grid(model_dir, count, path):
    """Rows of sketch | result | ground truth for the first test images."""
    s = evaluator.sample_predictions(model_dir, count, "test")
    rows = [np.hstack([np.repeat(sk, 3, axis=2), p, t]) for sk, p, t in zip(s["sketch"], s["prediction"], s["truth"])]
    Image.fromarray(np.vstack(rows)).save(path, optimize=True)


def training_facts(run_dir):
    """Steps, epochs, wall time and hardware of the run."""
    history = runs.load_history(run_dir)
    # TensorBoard names its event files events.out.tfevents.<unix time>.*:
    # the first one is when training started (the config is rewritten on resume).
    stamps = []
    for _dir, _, files in os.walk(runs.logs_dir(run_dir)):
        stamps += [float(f.split(".")[3]) for f in files if f.startswith("events.out.tfevents.")]
    start = min(stamps) if stamps else os.path.getmtime(runs.config_path(run_dir))
    end = os.path.getmtime(runs.model_path(run_dir))
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    latest = tf.train.latest_checkpoint(runs.checkpoint_dir(run_dir))
    steps = max(history[-1]["step"] if history else 0, int(latest.rsplit("-", 1)[1]) if latest else 0)
    return dict(
        steps=steps,
        epochs=history[-1]["epoch"] if history else 0,
        wall_hours=round((end - start) / 3600, 2),
        hardware=f"{os.cpu_count()} CPU cores ({cpu}), no GPU",
        history=history,
    )


def ship(args):
    temperatures = [float(t) for t in args.temperatures.split(",") if t.strip()]
    if not temperatures or any(t <= 0 for t in temperatures):
        raise ColorizeError(f"--temperatures must be positive numbers, not {args.temperatures!r}")
    config, net = trained.load_net(args.run)
    print(f"== choosing the temperature on validation ({args.run})", flush=True)
    t, t_table = choose_temperature(args.run, temperatures, args.max_examples)
    print(f"== packing {args.run} at T={t} into {args.out}", flush=True)
    weights = trained.pack_net(net, config.replace(temperature=t), args.out)
    print("== evaluating the packed weights on test", flush=True)
    counts = ",".join(map(str, hints_curve.COUNTS))  # 0 and 10 hints are the card's figures
    curve_argv = [args.out, "--out", args.curve_out, "--fill", "--split", "test", "--counts", counts]
    if args.max_examples:
        curve_argv += ["--max-examples", str(args.max_examples)]
    hints_curve.main(curve_argv)
    with open(os.path.join(args.curve_out, hints_curve.RESULTS)) as f:
        curve = json.load(f)
    (shipped,) = curve["runs"].values()
    at = {count: i for i, count in enumerate(curve["counts"])}
    sample_grid(args.out, args.samples, os.path.join(args.out, SAMPLES))
    card = dict(
        variant=config.variant,
        model=config.model,
        space=config.space,
        width=config.width,
        image_size=config.image_size,
        temperature=t,
        rebalance=config.rebalance,
        rebalance_lambda=config.rebalance_lambda,
        hints=config.hints,
        sketch=config.sketch,
        dataset=config.dataset,
        parameters=int(net.count_params()),
        values=int(sum(w.size for w in net.get_weights())),
        weights=os.path.basename(weights),
        sha256=sha256(weights),
        bytes=os.path.getsize(weights),
        train_command=args.train_command,
        training=training_facts(args.run),
        temperature_choice=t_table,
        test=shipped["metrics"][at[0]],
        test_examples=shipped["examples"],
        test_hints10=shipped["metrics"][at[10]],
        test_hints10_fill=shipped["fill_metrics"][at[10]],
        hints_curve={name: curve["runs"][name] for name in curve["runs"]},
        flood_fill=next(iter(curve["baselines"].values()))["psnr"],
        counts=curve["counts"],
        written=time.strftime("%Y-%m-%d"),
    )
    fileio.write_atomic(os.path.join(args.out, CARD_JSON), json.dumps(card, indent=1) + "\n")
    fileio.write_atomic(os.path.join(args.out, CARD_MD), model_card(card))
    print(f"wrote {args.out}: {card['bytes'] / 1e6:.2f} MB weights, sha256 {card['sha256'][:12]}...", flush=True)
    return card


def _fmt(v, digits=2):
    return "n/a" if v is None else f"{v:.{digits}f}"


def model_card(card):
    """MODEL_CARD.md from `model_card.json`'s dict."""
    m, h10, f10 = card["test"], card["test_hints10"], card["test_hints10_fill"]
    lo, hi = TARGETS["chroma_ratio"]
    tr = card["training"]
    (name, curve), *_ = card["hints_curve"].items()
    counts = card["counts"]

    def ok(flag):
        return "met" if flag else "**not met**"

    lines = [
        "# Model card: the shipped `openclipart` colorizer",
        "",
        "The model `predict`, `export`, `evaluate` and the demo use when no `--model` is given.",
        "",
        "## What it is",
        "",
        f"- Variant `{card['variant']}` ({card['model']} network, classes in {card['space'].upper()}, "
        + (f"class rebalancing with lambda = {card['rebalance_lambda']}" if card["rebalance"] else "no rebalancing")
        + f"), width {card['width']}, trained at "
        f"{card['image_size']} px, annealed-mean temperature {card['temperature']} (chosen on validation, below).",
        f"- Takes color hints (hint color and hint mask inputs, trained with simulated hints: {card['hints']}); "
        f"trained on `--sketch {card['sketch']}` inputs.",
        f"- {card['parameters']:,} trainable parameters ({card['values']:,} values with the batch-norm "
        f"statistics), stored as float16 in `{card['weights']}`: {card['bytes'] / 1e6:.2f} MB, "
        f"SHA-256 `{card['sha256']}`.",
        "",
        "## Data and licenses",
        "",
        f"`{card['dataset']}`: the clip art of the Debian packages `openclipart-svg` and `openclipart-png` "
        "(Open Clip Art Library 0.18), public domain (CC0). Each drawing's SVG is rendered with librsvg at a "
        "512 px short side; the paper's pipeline cuts 256 px windows and extracts the sketches. Splits are by "
        "drawing (80/10/10). The weights are released under the project's license (Apache-2.0).",
        "",
        "## How it was trained",
        "",
        "```sh",
        "apt-get install openclipart-svg openclipart-png",
        "python -c \"from colorize.data import build; build.build('openclipart')\"",
        card["train_command"] or "(see config.json)",
        "python -m experiments.ship_model RUN_DIR",
        "```",
        "",
        f"{tr['steps']} steps of batch 16 ({tr['epochs']} epochs), {tr['wall_hours']} hours of wall time "
        f"(from start to the final model, with other work sharing the machine) on {tr['hardware']}.",
        "",
        "Temperature, chosen on the validation split (no hints):",
        "",
        "| T | chroma ratio | PSNR (dB) | bare sketch (dB) | white kept |",
        "|---|---|---|---|---|",
        *[
            f"| {r['temperature']} | {_fmt(r['chroma_ratio'])} | {_fmt(r['psnr'])} | {_fmt(r['psnr_sketch'])} "
            f"| {_fmt(r['white_kept'])} |"
            for r in card["temperature_choice"]
        ],
        "",
        f"## Test split ({card['test_examples']} windows, {card['image_size']} px)",
        "",
        "| figure | value | target |",
        "|---|---|---|",
        f"| chroma ratio (output / ground truth) | {_fmt(m['chroma_ratio'])} | {lo}-{hi}: "
        f"{ok(lo <= m['chroma_ratio'] <= hi)} |",
        f"| white kept | {_fmt(m['white_kept'])} | >= {TARGETS['white_kept']}: "
        f"{ok(m['white_kept'] >= TARGETS['white_kept'])} |",
        f"| PSNR, no hints | {_fmt(m['psnr'])} dB | bare sketch {_fmt(m['psnr_sketch'])} dB + "
        f"{TARGETS['psnr_gain']}: {ok(m['psnr'] >= m['psnr_sketch'] + TARGETS['psnr_gain'])} |",
        f"| RGB MSE | {_fmt(m['mse_rgb'], 0)} | |",
        f"| SSIM | {_fmt(m['ssim'], 3)} | |",
        f"| PSNR, 10 hints, network alone | {_fmt(h10['psnr'])} dB | |",
        f"| PSNR, 10 hints, as `predict` outputs (hinted regions filled) | {_fmt(f10['psnr'])} dB | "
        f"+{TARGETS['hints10_gain']} dB over no hints: {ok(f10['psnr'] >= m['psnr'] + TARGETS['hints10_gain'])} |",
        "",
        "PSNR (dB) against the number of hints (`experiments/results/shipped_hints_curve`):",
        "",
        "| | " + " | ".join(str(c) for c in counts) + " |",
        "|---|" + "---|" * len(counts),
        "| network | " + " | ".join(_fmt(v) for v in curve["psnr"]) + " |",
        "| network + region fill (predict) | " + " | ".join(_fmt(v) for v in curve.get("fill_psnr", [])) + " |",
        "| flood-fill baseline | " + " | ".join(_fmt(v) for v in card["flood_fill"]) + " |",
        "",
        f"![samples: sketch | result | ground truth]({SAMPLES})",
        "",
        "## Known failures",
        "",
        "- Coloring without hints is underdetermined: the model guesses a plausible hue for each shape and is "
        "often wrong (flags, signs and logos have arbitrary colors); give it hints.",
        "- Clip art only: photographs, shaded paintings and dense manga screentones are outside its training data.",
        "- The network sees the sketch at a 128 px scale (tiles along the long side); small regions take their "
        "neighbours' colors unless a hint is put on them.",
        "",
    ]
    return "\n".join(lines)


@cli
def main(argv=None):
    args = errors.parse_args(_parser(), argv)
    ship(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
