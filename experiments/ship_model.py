"""Packs a trained run as the package's shipped model and writes its model card.

`python -m experiments.ship_model RUN [--out colorize/weights/line_art]
[--train-command "..."]`

1. Measures the class means the network decodes to on the *training* split
   (`calibrate_decoding.class_colors`), then chooses the decoding on the
   *validation* split as `predict` colors
   (`experiments.calibrate_decoding`: the temperature by the best PSNR
   among those with a chroma ratio of at least 0.8, the paper threshold of
   region decisions by the best PSNR among those keeping 0.93 of the white
   paper white).
2. Writes the run's network with that temperature as float16 weights
   (`colorize.nets.trained.pack_net`): `config.json`, `weights.npz` and
   `decoding.json`.
3. Evaluates what ships on the *test* split: as `predict` colors (region
   decisions), the network alone at its training size (`evaluate`), with
   the palette of the truth's 6 main colors, and for 0 to 100 hints
   (`experiments.hints_curve`, next to the flood-fill baseline); draws a
   sample grid (sketch | result | ground truth).
4. Writes `model_card.json` (variant, parameters, the weights' SHA-256 and
   size, training steps and wall time, hardware, precision, every figure)
   and `MODEL_CARD.md`, which `tests/test_shipped_model.py` checks the
   weights against.
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
from colorize.data import pipeline
from colorize.errors import cli
from colorize.evaluation import evaluator
from colorize.inference import coloring, fullres, palette_snap
from colorize.nets import trained
from experiments import calibrate_decoding, hints_curve, width_per_cpu_hour

OUT = os.path.join("colorize", "weights", "line_art")
CARD_JSON = "model_card.json"
CARD_MD = "MODEL_CARD.md"
SAMPLES = "samples.png"
CURVE_OUT = os.path.join("experiments", "results", "shipped_hints_curve")
"""Where the shipped model's hints curve is written (its results, plot and samples)."""
# The bars of a model that colors, on the test split.
TARGETS = dict(
    white_kept=0.93,
    page=250.0,
    psnr_gain=3.0,
    chroma_ratio=(0.8, 1.3),
    color_overlap=0.35,
    hints10_over_fill=1.0,
    palette_gain=1.5,
)
PALETTE_COLORS = 6


def _parser():
    p = argparse.ArgumentParser(prog="python -m experiments.ship_model", description=__doc__.splitlines()[0])
    p.add_argument("run", help="the trained run directory")
    p.add_argument("--out", default=OUT, help=f"the shipped model's folder (default: {OUT})")
    p.add_argument("--max-examples", type=int, default=None, help="evaluate on the first N examples only")
    p.add_argument(
        "--max-examples-per-source", type=int, default=60, help="test windows per source in the per-source table"
    )
    p.add_argument("--calibration-examples", type=int, default=200, help="validation windows for the decoding")
    p.add_argument(
        "--class-mean-windows",
        type=int,
        default=calibrate_decoding.CLASS_MEAN_WINDOWS,
        help="training windows the class means are measured on",
    )
    p.add_argument("--temperatures", type=calibrate_decoding.floats, default=calibrate_decoding.TEMPERATURES)
    p.add_argument("--thresholds", type=calibrate_decoding.floats, default=calibrate_decoding.THRESHOLDS)
    p.add_argument("--curve-out", default=CURVE_OUT)
    p.add_argument("--train-command", default="", help="the command that trained the run, for the card")
    p.add_argument(
        "--data-dir",
        default=None,
        help="the TFDS folder of the run's dataset (default: the run's); the packed config names none, "
        "so that the shipped model reads the user's default (~/tensorflow_datasets)",
    )
    p.add_argument("--samples", type=int, default=6, help="test images in the sample grid")
    p.add_argument(
        "--width-comparison",
        default=width_per_cpu_hour.RESULTS,
        help="validation loss per CPU-hour of runs of other widths, for the card (if the file exists)",
    )
    return p


def sha256(path):
    """The hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def choose_decoding(run_dir, config, examples, temperatures, thresholds, class_colors=None):
    """`calibrate_decoding`'s choice on `examples` validation windows,
    decoding to `class_colors` (default: the run's recorded ones): (choice, figures)."""
    model = coloring.Model(run_dir, class_colors=class_colors)
    windows = list(calibrate_decoding.windows(config, "validation", examples))
    results = calibrate_decoding.measure(model, windows, temperatures, thresholds, progress=False)
    return calibrate_decoding.choose(results), results


def as_predict_colors(model, config, split, examples, source=None, palette_colors=0):
    """The metrics of `split` (only `source`'s windows when given) colored
    as `predict` colors it by `model` (a `coloring.Model`), with its
    recorded decoding; with `palette_colors`, given the palette of each
    window's ground truth's that many main colors."""
    windows = calibrate_decoding.windows(config, split, examples or 10**9, source=source)
    return calibrate_decoding.measure_one(
        model, windows, config.temperature, model.paper_threshold, palette_colors=palette_colors
    )


def sample_grid(model, config, count, path):
    """Rows of sketch | result | ground truth for the first test windows,
    the result as `predict` colors it by `model` (256 px, region decisions)."""
    rows = []
    for sketch, truth in calibrate_decoding.windows(config, "test", count):
        rgb = np.dstack([sketch] * 3)
        rows.append(np.hstack([rgb, coloring.colorize_array(rgb, model, normalize="off")["rgb"], truth]))
        model.image_done()
    Image.fromarray(np.vstack(rows)).save(path, optimize=True)


PAUSE_S = 600
"""A gap between two logged steps longer than this is a pause (the run
stopped and resumed later), left out of the training time."""


def training_seconds(run_dir, max_step=None):
    """Seconds the run trained: the sum of the gaps between consecutive
    TensorBoard events (every logged step, all event files of the run, in
    time order, up to `max_step` when given), gaps over `PAUSE_S` left out;
    0 without event files."""
    stamps = []
    for folder, _, files in os.walk(runs.logs_dir(run_dir)):
        for name in files:
            if name.startswith("events.out.tfevents."):
                path = os.path.join(folder, name)
                stamps += [
                    e.wall_time
                    for e in tf.compat.v1.train.summary_iterator(path)
                    if e.wall_time and (max_step is None or e.step <= max_step)
                ]
    stamps.sort()
    gaps = np.diff(np.asarray(stamps, np.float64))
    return float(gaps[gaps <= PAUSE_S].sum()) if gaps.size else 0.0


def training_facts(run_dir):
    """Steps, epochs, training time and hardware of the run, and which of
    its networks it is (`kept`: "best", "last", or "mean of epochs A-B").
    Of a run's `best/`: up to its best epoch; of its `average/`: up to the
    last epoch in the mean (both from the run beside them)."""
    best, average = os.path.join(run_dir, runs.BEST_EPOCH), os.path.join(run_dir, runs.AVERAGE_EPOCHS)
    chosen, averaged, kept = None, None, "last"
    if os.path.isfile(best):
        with open(best) as f:
            chosen = json.load(f)
        run_dir, kept = os.path.dirname(os.path.normpath(run_dir)), "best"
    elif os.path.isfile(average):
        with open(average) as f:
            averaged = json.load(f)["epochs"]
        run_dir, kept = os.path.dirname(os.path.normpath(run_dir)), f"mean of epochs {min(averaged)}-{max(averaged)}"
    history = runs.load_history(run_dir)
    if averaged:
        chosen = next(h for h in history if h["epoch"] == max(averaged))
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    if chosen:
        history = [h for h in history if h["epoch"] <= chosen["epoch"]]
        steps, epochs = chosen["step"], chosen["epoch"]
    else:
        latest = tf.train.latest_checkpoint(runs.checkpoint_dir(run_dir))
        steps = max(history[-1]["step"] if history else 0, int(latest.rsplit("-", 1)[1]) if latest else 0)
        epochs = history[-1]["epoch"] if history else 0
    return dict(
        steps=steps,
        epochs=epochs,
        wall_hours=round(training_seconds(run_dir, steps) / 3600, 2),
        hardware=f"{os.cpu_count()} CPU cores ({cpu}), no GPU",
        history=history,
        kept=kept,
    )


def cycle_facts(path):
    """One training cycle's facts: its data, learning rate, epochs, steps
    and wall hours, and the weights it started from (`init_from`, "" for
    none), and which of its networks went on (`kept`). `path` is a run, a
    snapshot of one, a run's `best/` (then the best epoch's figures, from
    the run beside it) or its `average/` (the last averaged epoch's)."""
    config = runs.load_config(path)
    facts = training_facts(path)
    epochs, steps, hours = facts["epochs"], facts["steps"], facts["wall_hours"]
    return dict(
        run=os.path.normpath(path),
        dataset=config.dataset,
        learning_rate=config.learning_rate,
        epochs=epochs,
        steps=steps,
        wall_hours=hours,
        init_from=config.init_from,
        kept=facts["kept"],
    )


def portable(path):
    """A run's path as the card records it, without this machine's folders:
    its folder's name, a run's `best/` or `average/` with its run's
    ("r20/average"); "" stays ""."""
    if not path:
        return ""
    parts = os.path.normpath(path).split(os.sep)
    return "/".join(parts[-2:]) if parts[-1] in (runs.BEST, runs.AVERAGE) and len(parts) > 1 else parts[-1]


def lineage(run_dir, limit=20):
    """The cycles that trained a run's weights, oldest first: each started
    from the previous one's weights (`--init-from`). A starting point that
    is a packed model ends the chain with the cycles its card records (a
    run resumed from the shipped weights continues their lineage); one
    that is gone ends it (it is named in the oldest cycle's `init_from`)."""
    cycles, path = [], run_dir
    while path and len(cycles) < limit and runs.is_run(path):
        if os.path.isfile(os.path.join(path, runs.PACKED_WEIGHTS)):
            card = os.path.join(path, CARD_JSON)
            if os.path.isfile(card):
                with open(card) as f:
                    cycles += (json.load(f).get("cycles") or [])[::-1]
            break
        cycles.append(cycle_facts(path))
        path = cycles[-1]["init_from"]
    return cycles[::-1]


def measure_curve(model_dir, out, max_examples, data_dir):
    """`experiments.hints_curve` of a packed model on the test split, as
    `predict` outputs it too (`--fill`), into `out`: its results dict."""
    argv = [model_dir, "--out", out, "--fill", "--split", "test", "--counts", ",".join(map(str, hints_curve.COUNTS))]
    if max_examples:
        argv += ["--max-examples", str(max_examples)]
    if data_dir:
        argv += ["--data-dir", data_dir]
    hints_curve.main(argv)
    with open(os.path.join(out, hints_curve.RESULTS)) as f:
        return json.load(f)


def curve_facts(curve):
    """The card's hint figures from a `measure_curve` result: the network
    and `predict`'s output at 10 hints, every curve, the flood-fill
    baseline and the counts."""
    (shipped,) = curve["runs"].values()
    at = {count: i for i, count in enumerate(curve["counts"])}
    return dict(
        test_hints10=shipped["metrics"][at[10]],
        test_hints10_fill=shipped["fill_metrics"][at[10]],
        hints_curve=dict(curve["runs"]),
        flood_fill=next(iter(curve["baselines"].values()))["psnr"],
        counts=curve["counts"],
    )


def write_card(model_dir, card):
    """Writes `model_card.json` and, from it, `MODEL_CARD.md` into `model_dir`."""
    fileio.write_atomic(os.path.join(model_dir, CARD_JSON), json.dumps(card, indent=1) + "\n")
    fileio.write_atomic(os.path.join(model_dir, CARD_MD), model_card(card))


def ship(args):
    config, net = trained.load_net(args.run)
    if args.data_dir:
        config = config.replace(data_dir=args.data_dir)
    data_dir = config.data_dir or None
    print(f"== the class means of {args.class_mean_windows} training windows", flush=True)
    colors, means = calibrate_decoding.class_colors(config, args.class_mean_windows)
    print(f"== choosing the decoding on validation ({args.run})", flush=True)
    choice, calibration = choose_decoding(
        args.run, config, args.calibration_examples, args.temperatures, args.thresholds, colors
    )
    t = choice["temperature"]
    print(f"   {choice}", flush=True)
    print(f"== packing {args.run} at T={t} into {args.out}", flush=True)
    config = config.replace(temperature=t)
    # This machine's paths stay out of what ships: the data folder is the
    # user's default, and where training started is in the card's cycles.
    weights = trained.pack_net(net, config.replace(data_dir="", init_from=""), args.out)
    runs.write_decoding(args.out, {**choice, "chosen_on": f"{config.dataset} validation", **means})
    print("== evaluating the packed weights on test", flush=True)
    model = coloring.Model(args.out)  # the packed weights with their decoding, as predict loads them
    predicted = as_predict_colors(model, config, "test", args.max_examples)
    by_source = {}
    builder = pipeline.ensure_dataset(config)
    for source, count in pipeline.source_counts(builder, "test").items():
        examples = min(count, args.max_examples_per_source)
        print(f"== {source}: {examples} of its {count} test windows as predict colors", flush=True)
        by_source[source] = dict(
            examples=examples,
            windows=count,
            metrics=as_predict_colors(model, config, "test", examples, source=source),
        )
    network = evaluator.evaluate_run(
        args.out, split="test", max_examples=args.max_examples, data_dir=data_dir, progress=False
    )
    palette = evaluator.evaluate_run(
        args.out,
        split="test",
        max_examples=args.max_examples,
        palette=PALETTE_COLORS,
        data_dir=data_dir,
        progress=False,
    )
    print(f"== the palette of the truth's {PALETTE_COLORS} main colors, as predict colors", flush=True)
    palette_predict = as_predict_colors(model, config, "test", args.max_examples, palette_colors=PALETTE_COLORS)
    curve = measure_curve(args.out, args.curve_out, args.max_examples, data_dir)
    sample_grid(model, config, args.samples, os.path.join(args.out, SAMPLES))
    card = dict(
        variant=config.variant,
        model=config.model,
        space=config.space,
        width=config.width,
        image_size=config.image_size,
        temperature=t,
        paper_threshold=choice["paper_threshold"],
        decoding_rule=choice["rule"],
        class_colors_from=means[calibrate_decoding.CLASS_COLORS_FROM],
        mixed_paper_spread=fullres.MIXED_PAPER_SPREAD,
        mixed_only_open=fullres.MIXED_ONLY_OPEN,
        palette_unify_share=palette_snap.UNIFY_SHARE,
        flip_average=coloring.FLIP_AVERAGE,
        rebalance=config.rebalance,
        rebalance_lambda=config.rebalance_lambda,
        spare_white=config.spare_white,
        hints=config.hints,
        palette=config.palette,
        sketch=config.sketch,
        precision=config.precision,
        dataset=config.dataset,
        parameters=int(sum(w.numpy().size for w in net.trainable_weights)),
        values=int(sum(w.size for w in net.get_weights())),
        weights=os.path.basename(weights),
        sha256=sha256(weights),
        bytes=os.path.getsize(weights),
        train_command=args.train_command,
        training=training_facts(args.run),
        cycles=[{**c, "run": portable(c["run"]), "init_from": portable(c["init_from"])} for c in lineage(args.run)],
        calibration={str(k): {str(th): m for th, m in row.items()} for k, row in calibration.items()},
        test_predict=predicted,
        test_predict_by_source=by_source,
        test=network["metrics"],
        test_palette=palette["metrics"],
        test_predict_palette=palette_predict,
        test_examples=network["examples"],
        **curve_facts(curve),
        written=time.strftime("%Y-%m-%d"),
    )
    if args.width_comparison and os.path.exists(args.width_comparison):
        with open(args.width_comparison) as f:
            card["width_comparison"] = json.load(f)
    write_card(args.out, card)
    print(f"wrote {args.out}: {card['bytes'] / 1e6:.2f} MB weights, sha256 {card['sha256'][:12]}...", flush=True)
    return card


def _fmt(v, digits=2):
    return "n/a" if v is None else f"{v:.{digits}f}"


def _page(m):
    """The page figure, with the bare sketch's where measured: its lines' edges darken the page too."""
    if m.get("page_sketch") is None:
        return _fmt(m["page_min"], 1)
    return f"{_fmt(m['page_min'], 1)} (bare sketch {_fmt(m['page_sketch'], 1)})"


def overlap_references(m):
    """(gray, other): what a gray output and another image's true colors score on the pixels of
    figures `m` (`metrics`' `overlap_gray`, `overlap_other`), or None for figures measured before them."""
    if m.get("overlap_gray") is None or m.get("overlap_other") is None:
        return None
    return m["overlap_gray"], m["overlap_other"]


def _overlap_references(m, short=False):
    """The references in brackets after the overlap (`short` for the per-source table); "" without them."""
    references = overlap_references(m)
    if references is None:
        return ""
    gray, other = (_fmt(v, 3) for v in references)
    return f" (gray {gray}, other {other})" if short else f" (a gray output {gray}, another image's colors {other})"


def _overlap_scale(m):
    """A paragraph on what the overlap figure is worth on this data (none without the references)."""
    if not _overlap_references(m):
        return []
    return [
        "The overlap's references (in brackets) are measured on the same pixels: a gray output, and one "
        "image's true colors against another's (every ordered pair of test windows: the right kind of colors, "
        "chosen knowing nothing of the drawing; per source, pairs of that source's windows). The bar of 0.35 "
        "was set on painted character art, where a gray output scores about 0.11 and another image's colors "
        "about 0.44.",
        "",
    ]


def _bars(m):
    """(figure, value, target, met) rows of the no-hint bars of a model that colors."""
    lo, hi = TARGETS["chroma_ratio"]
    gain = m["psnr"] - m["psnr_sketch"]
    return [
        ("white kept", _fmt(m["white_kept"]), f">= {TARGETS['white_kept']}", m["white_kept"] >= TARGETS["white_kept"]),
        (
            "page (smallest channel's mean)",
            _page(m),
            f">= {TARGETS['page']:g}",
            m["page_min"] >= TARGETS["page"],
        ),
        (
            "PSNR over the bare sketch",
            f"{_fmt(m['psnr'])} dB ({_fmt(m['psnr_sketch'])} + {gain:.2f})",
            f"+{TARGETS['psnr_gain']:g} dB",
            gain >= TARGETS["psnr_gain"],
        ),
        ("chroma ratio", _fmt(m["chroma_ratio"]), f"{lo}-{hi}", lo <= (m["chroma_ratio"] or 0) <= hi),
        (
            "color-distribution overlap",
            _fmt(m["color_overlap"], 3) + _overlap_references(m),
            f">= {TARGETS['color_overlap']}",
            (m["color_overlap"] or 0) >= TARGETS["color_overlap"],
        ),
    ]


def _guidance_bars(card):
    """(figure, value, target, met) rows of the hint and palette bars."""
    counts = card["counts"]
    (_, curve), *_ = card["hints_curve"].items()
    flood10 = card["flood_fill"][counts.index(10)]
    f10 = card["test_hints10_fill"]
    upto = [v for c, v in zip(counts, curve["psnr"], strict=True) if c <= 50]
    drops = [b - a for a, b in zip(upto, upto[1:])]
    worst = min(drops) if drops else 0.0
    base, pal = card["test"]["psnr"], card["test_palette"]["psnr"]
    rows = [
        (
            "network alone, 0 to 50 hints: the smallest PSNR change from one count to the next",
            f"{worst:+.2f} dB",
            "never below 0",
            worst >= 0,
        ),
        (
            "10 hints, as predict outputs, over the flood fill",
            f"{_fmt(f10['psnr'])} vs {_fmt(flood10)} dB",
            f"+{TARGETS['hints10_over_fill']:g} dB",
            f10["psnr"] - flood10 >= TARGETS["hints10_over_fill"],
        ),
        (
            f"palette of the truth's {PALETTE_COLORS} main colors (network)",
            f"{_fmt(pal)} dB ({_fmt(base)} + {pal - base:.2f})",
            f"+{TARGETS['palette_gain']:g} dB over none",
            pal - base >= TARGETS["palette_gain"],
        ),
    ]
    predicted = card.get("test_predict_palette")  # cards written before it have none
    if predicted:
        pp, pb = predicted["psnr"], card["test_predict"]["psnr"]
        rows.insert(
            2,
            (
                f"palette of the truth's {PALETTE_COLORS} main colors, as predict colors",
                f"{_fmt(pp)} dB ({_fmt(pb)} + {pp - pb:.2f})",
                f"+{TARGETS['palette_gain']:g} dB over none",
                pp - pb >= TARGETS["palette_gain"],
            ),
        )
    return rows


def _source_rows(by_source):
    """Markdown rows of the per-source figures as `predict` colors."""
    rows = []
    for name, r in by_source.items():
        m = r["metrics"]
        rows.append(
            f"| {name} | {r['examples']} | {_fmt(m['white_kept'])} | {_page(m)} | "
            f"{_fmt(m['psnr'])} ({m['psnr'] - m['psnr_sketch']:+.2f}) | {_fmt(m['chroma_ratio'])} | "
            f"{_fmt(m['color_overlap'], 3)}{_overlap_references(m, short=True)} |"
        )
    return rows


# How the card names the network a cycle kept (`training_facts`); cards before the
# column recorded only best epochs.
_KEPT = {
    "best": "its best epoch (lowest validation loss)",
    "last": "its last epoch",
}


def _training_lines(card):
    """The card's training time: one line, or with earlier cycles a table of them."""
    tr, cycles = card["training"], card.get("cycles") or []
    where = f"(pauses left out; with other work sharing the machine) on {tr['hardware']}, in {card['precision']}."
    if len(cycles) < 2:
        kept = tr.get("kept", "last")
        mean = f", the network {kept}" if kept.startswith("mean") else ""
        steps = f"{tr['steps']} steps of batch 16 ({tr['epochs']} epochs{mean})"
        return [f"{steps}, {tr['wall_hours']} hours of training wall time {where}", ""]
    rows = [
        f"| {i} | `{c['dataset']}` | {c['learning_rate']:g} | {c['epochs']} | {c['steps']} | {c['wall_hours']} "
        f"| {_KEPT.get(c.get('kept', 'best'), c.get('kept'))} |"
        for i, c in enumerate(cycles, 1)
    ]
    steps, hours = sum(c["steps"] for c in cycles), round(sum(c["wall_hours"] for c in cycles), 2)
    return [
        f"Trained in {len(cycles)} cycles, each from the weights of the one before (`--init-from`; a fresh "
        "optimizer and schedule each time); the last column says which of a cycle's networks went on (its epochs "
        "and steps count up to it):",
        "",
        "| cycle | data | starting learning rate | epochs | steps of batch 16 | wall hours | network kept |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"{steps} steps in all, {hours} hours of training wall time {where}",
        "",
        "A later cycle replaces these weights only when it beats them on validation and passes the "
        "end-to-end hint tests (`experiments.vet_candidate`).",
        "",
    ]


def _width_lines(card):
    """The card's lines on the widths compared per CPU-hour (none without a comparison)."""
    comparison = card.get("width_comparison")
    if not comparison:
        return []
    verdict = width_per_cpu_hour.equal_cost(comparison, card.get("width"))
    return [
        f"Widths compared by validation loss per CPU-hour (`experiments.width_per_cpu_hour`: each epoch's "
        f"validation loss against the CPU-hours its examples cost at the benchmark's bare-step rate, "
        f"{comparison['cores']} cores, {comparison['image_size']} px, batch {comparison['batch_size']}):",
        "",
        width_per_cpu_hour.markdown(comparison),
        "",
        *([verdict, ""] if verdict else []),
    ]


def met(flag):
    """A target's word in the card (and the README's "what to expect"): met, or **not met**."""
    return "met" if flag else "**not met**"


def model_card(card):
    """MODEL_CARD.md from `model_card.json`'s dict."""
    p, m = card["test_predict"], card["test"]
    (name, curve), *_ = card["hints_curve"].items()
    counts = card["counts"]

    def table(rows):
        body = [f"| {a} | {b} | {c}: {met(d)} |" for a, b, c, d in rows]
        return ["| figure | value | target |", "|---|---|---|", *body]

    by_source = card.get("test_predict_by_source") or {}
    per_source = max((r["examples"] for r in by_source.values()), default=0)
    with_clip_art = "openclipart" in card["dataset"]

    lines = [
        "# Model card: the shipped `line_art` colorizer",
        "",
        "The model `predict`, `export`, `evaluate` and the page use when no `--model` is given.",
        "",
        "## What it is",
        "",
        f"- Variant `{card['variant']}` ({card['model']} network, classes in {card['space'].upper()}, "
        + (
            (
                # lambda 1 makes every weight 1: no rebalancing (and nothing to spare white from).
                f"no class rebalancing: lambda = {card['rebalance_lambda']} gives every class weight 1, "
                "so each counts by its frequency"
                + (" and `--spare-white on` changes nothing" if card["spare_white"] else "")
                if card["rebalance_lambda"] == 1
                else f"class rebalancing with lambda = {card['rebalance_lambda']}"
                + (", white spared" if card["spare_white"] else "")
            )
            if card["rebalance"]
            else "no rebalancing"
        )
        + f"), width {card['width']}, trained at {card['image_size']} px in {card['precision']}.",
        "- Inputs: the sketch, color hints (trained with simulated dots and strokes)"
        + (", and a palette (ideepcolor's global hints)" if card["palette"] else "")
        + f"; trained on `--sketch {card['sketch']}` inputs.",
        (
            f"- The annealed mean decodes each class to its class mean (the mean color of the training "
            f"pixels in it: {card['class_colors_from']}), not its bin centre."
            if card.get("class_colors_from")
            else "- The annealed mean decodes each class to its bin centre."
        ),
        f"- Decoding, chosen on validation as `predict` colors: temperature {card['temperature']}, paper "
        f"threshold {card['paper_threshold']} (`decoding.json`; {card['decoding_rule']}). A region "
        + ("open to the page " if card.get("mixed_only_open") else "")
        + f"whose cells disagree about paper (spread above {card.get('mixed_paper_spread', '-')}, "
        "`experiments.mixed_regions`) is decided pixel by pixel."
        + (
            " With a palette, the chromatic pixels take the nearest palette color exactly, and each shape "
            "(a closed region, or a patch of color on the page) the one most of its pixels took; "
            "a named color no shape took goes to the shape where it holds the largest share of the pixels "
            "(none: the shape nearest it) "
            "(`experiments.palette_snap`)."
            if "palette_unify_share" in card
            else ""
        )
        + (
            " `predict` averages the network over the drawing and its mirror image (`--flip-average`, "
            "`experiments.flip_average`); the decoding was chosen, and the figures below measured, with it."
            if card.get("flip_average")
            else ""
        ),
        f"- {card['parameters']:,} trainable parameters ({card['values']:,} values with the batch-norm "
        f"statistics), stored as float16 in `{card['weights']}`: {card['bytes'] / 1e6:.2f} MB, "
        f"SHA-256 `{card['sha256']}`.",
        "",
        "## Data and licenses",
        "",
        f"`{card['dataset']}` (`dataset_builder/sketch_colorization/README.md`): OpenMoji 17.0.0 (CC BY-SA 4.0; "
        "its black SVGs are the artist's line art, used as the sketch), Fluent Emoji Flat (MIT), Twemoji "
        "(CC BY 4.0), Noto Emoji (Apache-2.0), and the character and scene art of the Debian packages "
        "flare-game (CC BY-SA 3.0) and freedroidrpg-data (GPL-2+). Split by subject (the same emoji in every "
        "set lands in one split)."
        + (
            " With it, `sketch_colorization/openclipart`: the public-domain (CC0) clip art of the Debian "
            "packages openclipart-svg and openclipart-png, split by drawing; training draws from both "
            "datasets in proportion to their sizes."
            if with_clip_art
            else ""
        ),
        "",
        "What the licenses mean for the weights: the weights are trained on, not copies of, these works; "
        "whether trained weights are a derivative work of their training data is unsettled. Conservatively, "
        "treat them as carrying the attribution of every source (see `CITATIONS.bib`) and the share-alike "
        "terms of OpenMoji (CC BY-SA 4.0) and flare-game (CC BY-SA 3.0); the freedroidrpg-data images are "
        "GPL-2+. The project's code is Apache-2.0.",
        "",
        "## How it was trained",
        "",
        "```sh",
        "apt-get install -y --no-install-recommends flare-game freedroidrpg-data"
        + (" openclipart-svg openclipart-png" if with_clip_art else ""),
        "python -m colorize.data.line_art_sources --out data/line_art",
        "python -c \"from colorize.data import build; build.build('line_art', manual_dir='data/line_art')\"",
        *(["python -c \"from colorize.data import build; build.build('openclipart')\""] if with_clip_art else []),
        card["train_command"] or "(see config.json)",
        "python -m experiments.ship_model RUN_DIR",
        "```",
        "",
        *_training_lines(card),
        *_width_lines(card),
        f"## Test split ({card['test_examples']} windows, drawn from every source in turn)",
        "",
        "As `predict` colors (256 px windows, region decisions), without hints:",
        "",
        *table(_bars(p)),
        "",
        *_overlap_scale(p),
        f"Per source, on each source's own test windows (the first {per_source} or all it has), as `predict` "
        "colors (the same measures; PSNR with its gain over the bare sketch):",
        "",
        "| source | windows | white kept | page | PSNR dB | chroma ratio | overlap |",
        "|---|---|---|---|---|---|---|",
        *_source_rows(by_source),
        "",
        f"The network alone at its training size ({card['image_size']} px, `evaluate`), without hints:",
        "",
        *table(_bars(m)),
        "",
        "Hints and palette"
        + (
            f" (the hint figures measured again on {card['hints_measured']}, after a change to how `predict` "
            "uses hints, by `experiments.refresh_hints`; the palette figures as shipped)"
            if card.get("hints_measured")
            else ""
        )
        + ":",
        "",
        *table(_guidance_bars(card)),
        "",
        f"PSNR (dB) against the number of hints, at {card['image_size']} px (the network's size; the `predict` "
        "tables above color 256 px windows, so their figures differ; `experiments/results/shipped_hints_curve`):",
        "",
        "| | " + " | ".join(str(c) for c in counts) + " |",
        "|---|" + "---|" * len(counts),
        "| network alone | " + " | ".join(_fmt(v) for v in curve["psnr"]) + " |",
        "| as `predict` outputs it (region decisions, hinted regions filled) | "
        + " | ".join(_fmt(v) for v in curve.get("fill_psnr", []))
        + " |",
        "| flood-fill baseline | " + " | ".join(_fmt(v) for v in card["flood_fill"]) + " |",
        "",
        f"![samples: sketch | result as `predict` colors it | ground truth]({SAMPLES})",
        "",
        "## Known failures",
        "",
        "- Trained on "
        + (
            "emoji, game art and clip art: mostly flat colors with bold outlines (clip art also with gradients)"
            if with_clip_art
            else "emoji and game art: flat colors with bold outlines"
        )
        + ". Other drawings (manga, comics, sketchy pencil lines) are outside its training data.",
        "- Without hints it guesses each shape's hue; what has many plausible colors (clothes, hearts, "
        "cars, whales) often comes out wrong, or as a smear of several hues where neighbouring cells chose "
        "differently (such a region keeps its smooth color). Give hints or a palette.",
        "- Where a figure's outline is open, its region and the page are one, decided pixel by pixel: the edge "
        "between the white page and the figure's color follows the network's cells (soft, up to a cell off "
        "the outline), not the line. White parts inside figures (eyes, teeth, a tissue) often take the "
        "figure's color, which keeps the page below 250 on average"
        + (
            f"; the sketch's lines alone leave {card['test_predict']['page_sketch']:.1f} of it (the bare sketch "
            "where the truth is white: anti-aliased edges, and outlines wider than the colored art's), so the "
            "colors have little room under that bar"
            if card["test_predict"].get("page_sketch") is not None
            else ""
        )
        + ".",
        "- A line across the page (a ground line, a horizon) makes the page above it one region with the "
        "figures standing on it: where the network doubts paper there, it paints blotches of color on the "
        "sky beside them, which no palette or hint in a figure removes. Dab the sky (white keeps it paper).",
        "- With a palette, paper is decided from the network's scores before they are kept to the palette, "
        "where it sees paper with the palette or without it: a shape it sees in a color the palette lacks "
        "takes a palette color, and one it sees as paper in either pass stays white, even where the palette "
        "would have colored it.",
        "- The SavedModel serves the network's bilinear output: "
        + (
            f"a page tinted where the network doubts paper (page {card['test']['page_min']:.1f} for the network "
            "alone, above)"
            if card.get("class_colors_from")
            else "a cream page"
        )
        + ", colors blended across lines, hints through the network only"
        + (", one network pass (no mirror-image average)" if card.get("flip_average") else "")
        + " (see the README).",
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
