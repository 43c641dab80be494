"""Keeps the figures quoted in the documents equal to the results files.

    python -m experiments.docs           # rewrite the generated blocks
    python -m experiments.docs --check   # exit 1 when a block is stale

A generated block in a Markdown file sits between two comment lines:

    <!-- BEGIN GENERATED: NAME (python -m experiments.docs) -->
    ...
    <!-- END GENERATED: NAME -->

and its text is rendered from the results file that produced the figures
(`experiments/results/benchmark.json` for the performance table,
`regions_speed.json` for the regions' before/after table,
`decoding_alternatives/results.json` for the other decodings measured,
`decision_ceiling/results.json` for the same colors decided by the truth,
`hue_skill/results.json` for what the networks know about hue,
`weight_averaging/*.json` for the epochs of a fine-tune against their mean, the shipped
model's card for the README's "what to expect", each
`experiments/results/*/results.json` for the paper reproduction, the preset
table from `colorize.variants`). Nothing between the markers is typed by
hand; `tests/test_docs.py` fails when a block differs from its source.
"""

import argparse
import json
import os
import re
import sys

from colorize import variants
from colorize.nets import models
from experiments import (
    decision_ceiling,
    decoding_alternatives,
    hue_skill,
    paper,
    predict_speed,
    regions_speed,
    ship_model,
)
from experiments.benchmark import report

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "experiments", "results")
DOCUMENTS = ("README.md", os.path.join("experiments", "README.md"))

_BLOCK = re.compile(
    r"(<!-- BEGIN GENERATED: (?P<name>[\w-]+) \(python -m experiments\.docs\) -->\n)"
    r"(?P<body>.*?)"
    r"(<!-- END GENERATED: (?P=name) -->)",
    re.DOTALL,
)


def _read_json(path):
    with open(path) as f:
        return json.load(f)


def benchmark_table():
    """The README's performance table, from `benchmark.json`."""
    result = _read_json(os.path.join(RESULTS, "benchmark.json"))
    m = result["machine"]
    machine = (
        f"Measured on: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB, {m['device']}; Python {m['python']}, "
        f"TensorFlow {m['tensorflow']}, Keras {m['keras']} (`experiments/results/benchmark.json`)."
    )
    if "load_average_start" in m and "load_average_end" in m:
        machine += (
            f" Load average (1 min) {m['load_average_start'][0]:.1f} at the start and "
            f"{m['load_average_end'][0]:.1f} at the end: the machine was shared, so read the CPU-time ratios."
        )
    return machine + "\n\n" + report.markdown_table(report.table_rows(result["stages"]))


def benchmark_peak_tables():
    """The README's tables of the train step against the CPU's peak, from `benchmark.json`."""
    result = _read_json(os.path.join(RESULTS, "benchmark.json"))
    m = result["machine"]
    runs = result.get("stage_runs", {})
    peak_run = runs.get("peak", {})
    load = peak_run.get("load_average_start", m.get("load_average_start", [float("nan")]))[0]
    head = (
        f"Measured on: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB, {m['device']}; TensorFlow "
        f"{m['tensorflow']}, Keras {m['keras']}; `{peak_run.get('command', result['command']).strip()}` "
        f"(load average {load:.1f} at its start; this process got "
        f"{result['stages']['peak']['cores_used_while_timing']:.2f} cores while timing)."
    )
    return head + "\n\n" + report.peak_markdown(result["stages"])


def presets_table():
    """The training presets, from `colorize.variants.PRESETS`."""
    keys = ("width", "image_size", "batch_size", "learning_rate", "epochs")
    head = [*keys, "parameters: classification net", "regression U-Net"]
    lines = ["| preset | " + " | ".join(head) + " |", "|---|" + "---|" * len(head)]
    for name in variants.PRESETS:
        config = variants.resolve("rebalance", name)
        params = [
            f"{models.build_net(kind, width=config.width).count_params():,}"
            for kind in ("classification", "regression")
        ]
        lines.append(f"| `{name}` | " + " | ".join([*(f"{getattr(config, k):g}" for k in keys), *params]) + " |")
    return "\n".join(lines)


def predict_speed_table():
    """The README's before/after table of predict's speed (`predict_speed.json`)."""
    results = _read_json(os.path.join(RESULTS, "predict_speed.json"))
    m = results["after"]["machine"]
    head = (
        f"Measured on: {m['cpu']}, {m['cores']} cores, Python {m['python']}; median of {results['after']['repeats']} "
        f"runs, the shipped model (`experiments/results/predict_speed.json`)."
    )
    return head + "\n\n" + predict_speed.markdown_table(results["before"], results["after"])


def regions_speed_table():
    """The README's before/after table of the regions' speed (`regions_speed.json`)."""
    results = _read_json(os.path.join(RESULTS, "regions_speed.json"))
    after, before = results["after"], results["before"]
    m = after["machine"]
    head = (
        f"Measured on: {m['cpu']}, {m['cores']} cores, Python {m['python']}; median of {after['repeats']} runs, the "
        f"shipped model; load average (1 min) {before['machine']['load_average'][0]:.1f} and "
        f"{m['load_average'][0]:.1f} at the ends of the two measurements: the machine was shared "
        "(`experiments/results/regions_speed.json`)."
    )
    return head + "\n\n" + regions_speed.markdown_table(before, after)


def expectations():
    """The README's "what to expect" paragraph, from the shipped model's card
    (`colorize/weights/line_art/model_card.json`) and `predict_speed.json`."""
    card = _read_json(os.path.join(ROOT, "colorize", "weights", "line_art", "model_card.json"))
    speed = _read_json(os.path.join(RESULTS, "predict_speed.json"))["after"]
    p, met = card["test_predict"], ship_model.met
    at = {c: i for i, c in enumerate(card["counts"])}
    shipped_curve = next(iter(card["hints_curve"].values()))
    curve, fill0 = shipped_curve["psnr"], shipped_curve["fill_psnr"][0]
    fill10, flood10 = card["test_hints10_fill"]["psnr"], card["flood_fill"][at[10]]
    palette = card.get("test_predict_palette", card["test_palette"])["psnr"]
    cycles = card.get("cycles") or []
    hours = sum(c["wall_hours"] for c in cycles) if cycles else card["training"]["wall_hours"]
    chroma = p["chroma_ratio"]
    first, tf_import = speed["first_png_wall_s"], speed["import_tensorflow_s"]
    per_s, steady = speed["folder_images_per_s"], speed["folder_steady_s"]
    return f"""What to expect from the shipped model, without hints (its
[model card](colorize/weights/line_art/MODEL_CARD.md) has every figure, on {card["test_examples"]} test windows
drawn from all its sources, and per source):

- it keeps most of the white paper white ({p["white_kept"]:.2f} of it; target 0.93: {met(p["white_kept"] >= 0.93)}),
  but paints some white shapes inside figures, so the page averages {p["page_min"]:.1f} on its darkest channel
  (the lines alone leave {p["page_sketch"]:.1f}; target 250: {met(p["page_min"] >= 250)});
- its colors score {p["psnr"]:.1f} dB PSNR, {p["psnr"] - p["psnr_sketch"]:.1f} dB over the bare sketch;
  they are paler than the truth (chroma {chroma:.2f} of the ground truth's; target 0.8-1.3:
  {met(0.8 <= chroma <= 1.3)}), and it often picks the wrong hue, or a smear of several, for what has
  many plausible colors (whales, clothes, cars, hats): the colors' overlap with the truth's is
  {p["color_overlap"]:.3f}{_overlap_scale(p)} (target 0.35: {met(p["color_overlap"] >= 0.35)}). It has trained for about
  {hours:.0f} hours on 2 CPU cores{f" in {len(cycles)} cycles" if len(cycles) > 1 else ""}.

Hints are what it is for. On windows at the network's size (128 px), each one helps the network
({curve[0]:.1f} dB on its own without hints, {curve[at[10]]:.1f} with 10, {curve[at[50]]:.1f} with 50), and with
10 hints `predict`'s output scores {fill10:.1f} dB ({fill0:.1f} without hints) against {flood10:.1f} for the
hinted regions flood-filled alone. A palette gives your colors themselves, one per shape (on the 256 px
windows above, {palette:.1f} dB with the truth's 6 main colors, {p["psnr"]:.1f} without). It
knows flat-colored drawings with bold outlines (emoji, icons, game art) best, clip art less well; other
drawings are outside its data. One 512 px sketch takes {first:.0f} s on 2 cores, {tf_import:.0f} s of
it importing TensorFlow; a folder of 100 goes at {per_s:.1f} images/s ({steady:.2f} s each once the
first 16 have run; the table under "Performance")."""


# The networks of `experiments/results/weight_averaging/` in the table's order: a
# calibrate_decoding result (NAME.calib.json) and a hue_skill result (NAME.hue.json) each.
WEIGHT_AVERAGING = (
    ("shipped", "the shipped model before it (the ninth cycle)"),
    ("start", "the cycle's start (the tenth cycle's epoch 5)"),
    ("epoch1", "epoch 1"),
    ("epoch2", "epoch 2"),
    ("epoch3", "epoch 3"),
    ("epoch4", "epoch 4 (lowest validation loss)"),
    ("epoch5", "epoch 5"),
    ("mean1-4", "**mean of epochs 1-4**"),
    ("mean1-5", "**mean of epochs 1-5**"),
)


def weight_averaging_table():
    """Each epoch of a fine-tune and their means, as `predict` colors the validation windows."""
    folder = os.path.join(RESULTS, "weight_averaging")
    decodings = (("0.7", "0.25"), ("1.0", "0.25"), ("1.0", "0.3"))
    head = " | ".join(f"T {float(t):g}, paper threshold {p}" for t, p in decodings)
    lines = [f"| network | hue skill | {head} | hint tests failed |", "|---|---|" + "---|" * len(decodings) + "---|"]
    counts = set()
    for name, label in WEIGHT_AVERAGING:
        path = os.path.join(folder, name + ".calib.json")
        if not os.path.isfile(path):
            continue
        calib = _read_json(path)
        counts.add((calib["examples"], calib["dataset"]))
        hue = next(iter(_read_json(os.path.join(folder, name + ".hue.json"))["models"].values()))
        cells = []
        for t, p in decodings:
            r = calib["results"][t][p]
            page = min(r["page_r"], r["page_g"], r["page_b"])
            figures = (f"{r['psnr']:.2f} dB", f"{r['white_kept']:.3f}", f"{page:.1f}", f"{r['chroma_ratio']:.2f}")
            cells.append(", ".join((*figures, f"{r['color_overlap']:.3f}")))
        vet = _read_json(os.path.join(folder, name + ".vet.json"))
        failed = ", ".join(f"`{test}`" for test in vet["failed"]) or "none"
        lines.append(
            f"| {label} | {hue['skill']:.3f} | " + " | ".join(cells) + f" | {len(vet['failed'])} of "
            f"{len(vet['passed']) + len(vet['failed'])}: {failed} |"
        )
    ((examples, dataset),) = counts
    return (
        f"{examples} validation windows of {dataset}, as `predict` colors them; each cell: PSNR, white kept, page "
        "(smallest channel's mean), chroma ratio, color-distribution overlap "
        "(`experiments/results/weight_averaging/`); hint tests: `tests/test_hint_flood.py` on that network at T 0.7, "
        "paper threshold 0.25 (`experiments.vet_candidate`).\n\n" + "\n".join(lines) + "\n"
    )


def _overlap_scale(p):
    """What the overlap's references score on the same test pixels (a card measured before them: nothing)."""
    references = ship_model.overlap_references(p)
    if references is None:
        return ""
    return ", where a gray output scores {:.3f} and another image's colors {:.3f}".format(*references)


def paper_table(name):
    """One corpus's reproduction table (`experiments/results/NAME/results.json`)."""
    results = _read_json(os.path.join(RESULTS, name, paper.RESULTS))
    head = f"`{results['command']}` ({results['preset']} preset, {results['epochs']} epochs, {results['split']} split)"
    return head + "\n\n" + paper.markdown_table(results)


def render(name):
    """The text of the generated block `name`.

    Raises:
        KeyError: no generator for `name`.
    """
    if name == "benchmark":
        return benchmark_table()
    if name == "benchmark-peak":
        return benchmark_peak_tables()
    if name == "presets":
        return presets_table()
    if name == "predict-speed":
        return predict_speed_table()
    if name == "regions-speed":
        return regions_speed_table()
    if name == "expectations":
        return expectations()
    if name == "decoding-alternatives":
        return decoding_alternatives.markdown_table(_read_json(decoding_alternatives.OUT))
    if name == "decision-ceiling":
        return decision_ceiling.markdown_table(_read_json(decision_ceiling.OUT))
    if name == "weight-averaging":
        return weight_averaging_table()
    if name == "hue-skill":
        return hue_skill.markdown_table(_read_json(hue_skill.OUT))
    if name.startswith("paper-"):
        return paper_table(name[len("paper-") :])
    raise KeyError(f"no generated block named {name!r}")


def update(text):
    """`text` with every generated block rendered anew."""
    return _BLOCK.sub(lambda m: m.group(1) + render(m.group("name")).rstrip("\n") + "\n" + m.group(4), text)


def stale_documents(root=ROOT):
    """The documents (relative paths) whose generated blocks differ from their sources."""
    stale = []
    for doc in DOCUMENTS:
        with open(os.path.join(root, doc)) as f:
            text = f.read()
        if update(text) != text:
            stale.append(doc)
    return stale


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m experiments.docs", description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="only report stale blocks (exit status 1)")
    args = p.parse_args(argv)
    if args.check:
        stale = stale_documents()
        for doc in stale:
            print(f"{doc}: generated figures are stale; run python -m experiments.docs", file=sys.stderr)
        return 1 if stale else 0
    for doc in DOCUMENTS:
        path = os.path.join(ROOT, doc)
        with open(path) as f:
            text = f.read()
        new = update(text)
        if new != text:
            with open(path, "w") as f:
                f.write(new)
            print(f"updated {doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
