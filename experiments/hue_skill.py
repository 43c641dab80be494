"""What a network knows about which hue goes where, beyond the hues' frequencies.

`python -m experiments.hue_skill MODEL [MODEL ...] [--split validation] [--max-examples N]`

PSNR, chroma and overlap mix up where color goes, how much of it, and which
hue. This isolates the last. On every colored pixel of the truth (chroma bin
at least 1 of the classes' grid: LCH chroma >= 12.5, at the network's output
resolution, the truth resized as its targets are), the network alone (no
hints, no palette, the line sketch) gives a hue distribution: its class
probabilities summed per hue bin (the grid's 8 bins of 45 degrees) over the
chromatic classes, normalized. Figures:

- `accuracy`: the share of pixels whose most likely hue bin is the truth's;
- `true_bin_probability`: the mean probability it gives the truth's hue bin;
- the same two for the best constant guess, the split's own hue frequencies
  (what a network that knows no shapes scores at best: an upper bound, since
  it is read off the split measured);
- `skill`: `(p - p_constant) / (1 - p_constant)` of the true-bin probability,
  0 for a network that knows no more than the frequencies, 1 for a sure and
  right one.

Writes `--out` (default `experiments/results/hue_skill/results.json`), one
entry per model.
"""

import json
import os
import sys

import numpy as np

from colorize import errors, fileio, runs
from colorize.errors import ColorizeError, cli
from colorize.nets import color, targets
from experiments import calibrate_decoding

OUT = os.path.join(os.path.dirname(__file__), "results", "hue_skill", "results.json")
HUE_BINS = color.NUM_BINS


class HueSkill:
    """Accumulates the figures of the module's docstring over batches.

    Args:
        space: the network's color space ("lch" or "rgb").
    """

    def __init__(self, space):
        self.to_hue = targets.hue_matrix(space).astype(np.float64)  # (512, 8)
        self.counts = np.zeros(HUE_BINS)  # colored truth pixels per hue bin
        self.hits = np.zeros(HUE_BINS)  # ... whose most likely hue bin is theirs
        self.mass = np.zeros(HUE_BINS)  # ... the probability given to their bin, summed

    def update(self, probabilities, truth, size=None):
        """Adds a batch.

        Args:
            probabilities: `(b, h, w, 512)` class probabilities.
            truth: `(b, H, W, 3)` RGB 0..255, resized to `size` (the
                probabilities' `(h, w)`) when given, else already at it.

        Raises:
            ValueError: the two differ in size.
        """
        if size is None and np.shape(probabilities)[:-1] != np.shape(truth)[:-1]:
            raise ValueError(f"probabilities {np.shape(probabilities)} and truth {np.shape(truth)} differ in size")
        colored, true_bin = (np.asarray(a) for a in targets.truth_hues(np.asarray(truth, np.float32), size))
        if not colored.any():
            return
        hue = np.asarray(probabilities, np.float64)[colored] @ self.to_hue  # (n, 8)
        hue /= np.maximum(hue.sum(-1, keepdims=True), 1e-12)
        true_bin = true_bin[colored]
        self.counts += np.bincount(true_bin, minlength=HUE_BINS)
        self.hits += np.bincount(true_bin, weights=hue.argmax(-1) == true_bin, minlength=HUE_BINS)
        self.mass += np.bincount(true_bin, weights=hue[np.arange(len(true_bin)), true_bin], minlength=HUE_BINS)

    def result(self):
        """The figures (None where no colored pixel was seen)."""
        n = self.counts.sum()
        if not n:
            return dict.fromkeys(
                ("accuracy", "true_bin_probability", "constant_accuracy", "constant_true_bin_probability", "skill"),
                None,
            ) | dict(pixels=0)
        frequencies = self.counts / n
        constant = float((frequencies**2).sum())  # the frequencies as the guess, on the same pixels
        probability = float(self.mass.sum() / n)
        return dict(
            pixels=int(n),
            accuracy=float(self.hits.sum() / n),
            true_bin_probability=probability,
            constant_accuracy=float(frequencies.max()),
            constant_true_bin_probability=constant,
            # One hue only: the frequencies are sure and right, no skill to measure.
            skill=(probability - constant) / (1.0 - constant) if constant < 1.0 else None,
            hue_frequencies=frequencies.round(4).tolist(),
            accuracy_per_hue_bin=[float(h / c) if c else None for h, c in zip(self.hits, self.counts, strict=True)],
        )


def measure(path, split, max_examples, data_dir=None):
    """`HueSkill` of one model on the first `max_examples` windows of a split
    at its training size.

    Raises:
        ColorizeError: not a model, not a classification network, or an empty split.
    """
    from colorize.data import pipeline  # noqa: PLC0415 (TensorFlow)
    from colorize.nets import trained  # noqa: PLC0415

    config = calibrate_decoding.model_config(path, data_dir=data_dir).replace(sketch="line")
    net = trained.load_net(path)[1]
    names = [t.name.split(":")[0] for t in net.inputs]
    skill, seen = HueSkill(config.space), 0
    for sketch, truth in pipeline.make_dataset(config, split, training=False, batch_size=16):
        take = min(int(sketch.shape[0]), max_examples - seen)
        if take <= 0:
            break
        sketch, truth = sketch[:take], truth[:take].numpy()
        inputs = _inputs(sketch.numpy(), names)
        logits = np.asarray(net(inputs, training=False), np.float32)
        if logits.shape[-1] != color.NUM_CLASSES:
            raise ColorizeError(f"{path}: not a classification network (its output has {logits.shape[-1]} channels)")
        probabilities = np.exp(logits - logits.max(-1, keepdims=True))
        probabilities /= probabilities.sum(-1, keepdims=True)
        skill.update(probabilities, truth, size=logits.shape[1:3])
        seen += take
    if not seen:
        raise ColorizeError(f"dataset {config.dataset!r}: split {split!r} is empty")
    return dict(examples=seen, **skill.result())


def _inputs(sketch, names):
    """The network's inputs for a sketch batch `(b, S, S, 1)` uint8: the
    sketch alone, or with empty hints and no palette."""
    if len(names) == 1:
        return sketch
    b, h, w = sketch.shape[:3]
    empty = dict(
        sketch=sketch,
        hint_color=np.zeros((b, h, w, 3), np.float32),
        hint_mask=np.zeros((b, h, w, 1), np.float32),
        palette=np.zeros((b, color.NUM_CLASSES), np.float32),
    )
    return {name: empty[name] for name in names}


def _formatted(result):
    """A model's figures (`measure`'s) as text, 3 decimals ("-": none)."""
    return {k: "-" if v is None else f"{v:.3f}" for k, v in result.items() if not isinstance(v, list)}


def markdown_table(record):
    """The README's table of a results file (`main`'s JSON)."""
    lines = [
        f"{record['split'].capitalize()} windows, the network alone, no hints "
        "(`experiments/results/hue_skill/results.json`).",
        "",
        "| model | colored pixels | hue bin right | the commonest bin | probability on the true bin "
        "| the frequencies | skill |",
        "|---|---|---|---|---|---|---|",
    ]
    for path, r in record["models"].items():
        f = _formatted(r)
        lines.append(
            f"| `{path}` ({r['examples']} windows) | {r['pixels']} | {f['accuracy']} | {f['constant_accuracy']} "
            f"| {f['true_bin_probability']} | {f['constant_true_bin_probability']} | {f['skill']} |"
        )
    return "\n".join(lines) + "\n"


def _parser():
    p = calibrate_decoding.sweep_parser(__doc__, OUT, model=False)
    p.add_argument("models", nargs="+", help="run directories or packed models (colorize/weights/line_art)")
    return p


@cli
def main(argv=None):
    args = errors.parse_args(_parser(), argv)
    for path in args.models:
        runs.check_model(path)
    record = {}
    for path in args.models:
        r = record[path] = measure(path, args.split, args.max_examples, args.data_dir)
        f = _formatted(r)
        print(
            f"{path}: {r['pixels']} colored pixels of {r['examples']} {args.split} windows; hue bin right "
            f"{f['accuracy']} (the commonest bin {f['constant_accuracy']}), probability on the true bin "
            f"{f['true_bin_probability']} (the frequencies {f['constant_true_bin_probability']}), skill {f['skill']}",
            flush=True,
        )
    fileio.write_atomic(args.out, json.dumps(dict(split=args.split, models=record), indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
