"""Other ways to decode the same network, on validation data: what each
does to the figures the shipped decoding is judged by.

`python -m experiments.decoding_alternatives MODEL [--split validation] [--max-examples N]`

Colors the model's validation windows as `predict` colors them
(`calibrate_decoding.measure_one`: region decisions, the mirror average, no
hints) at its recorded temperature and paper threshold, then with one thing
changed at a time:

- `temperature T`: another annealed-mean temperature (lower: nearer the
  most likely class);
- `chroma xK` (LCH classes): every class color's chroma times K (the LCH annealed mean's
  chroma is linear in it, so this scales the decoded chroma; a fixed
  saturation boost);
- `prior correction B`: `-B * log w_q` added to each class's logit, with
  `w` the class-rebalancing weights the network was trained with
  (`training.task.class_weights`): logit adjustment (Menon et al., *Long-tail
  learning via logit adjustment*, ICLR 2021), which at B = 1 undoes the
  rebalancing's shift of the predicted distribution; added to the logits
  layer's bias, which is the same thing;
- `flat up to F/S`: region colors made flat up to a color spread of F
  Delta E and smoothed above S (`fullres.FLAT_BELOW`, `fullres.SMOOTH_ABOVE`),
  instead of the defaults.

The recorded decoding is measured again last, as a check that every change
was undone. Writes `--out` (default
`experiments/results/decoding_alternatives/results.json`): {name: {threshold
or "none": metrics}}.
"""

import contextlib
import os
import sys

import numpy as np

from colorize.errors import ColorizeError, cli
from colorize.inference import fullres
from colorize.nets import annealed_mean, color
from experiments import calibrate_decoding

OUT = os.path.join(os.path.dirname(__file__), "results", "decoding_alternatives", "results.json")
TEMPERATURES = (0.2, 0.38, 1.0)
CHROMA_GAINS = (1.2, 1.4)
PRIOR_CORRECTIONS = (0.5, 1.0)
FLATNESS = ((16.0, 40.0), (30.0, 60.0), (100.0, 200.0))
RECORDED = "as recorded"
RECORDED_AGAIN = "as recorded, again"


def logits_layer(model):
    """The `logits` convolution of a `coloring.Model` built from a run (its
    bias is what `prior_correction` shifts).

    Raises:
        ColorizeError: the model has no such layer (an export, or a
            regression net).
    """
    head = getattr(model.core, "guided_head", None) or getattr(model.core, "head", None)
    stack = [head] if head is not None else []
    while stack:
        layer = stack.pop()
        if layer.name == "logits" and hasattr(layer, "bias"):
            return layer
        stack.extend(getattr(layer, "layers", None) or [])
    raise ColorizeError(f"{model.path}: no logits layer (a classification run is needed)")


@contextlib.contextmanager
def prior_correction(model, weights, beta):
    """Within the block, `model` decodes `logits - beta * log(weights)`.

    Args:
        model: a `coloring.Model` of a classification run.
        weights: `(Q,)` positive class-rebalancing weights.
        beta: the correction's strength (0: none).
    """
    layer = logits_layer(model)
    bias = layer.bias.numpy()
    try:
        layer.bias.assign((bias - beta * np.log(weights)).astype(bias.dtype))
        yield
    finally:
        layer.bias.assign(bias)


def training_weights(config):
    """The class-rebalancing weights a run was trained with, or None when it
    was not rebalanced (`training.task.class_weights`; reads the cached
    class prior beside the dataset)."""
    if not config.rebalance:
        return None
    from colorize.data import pipeline  # noqa: PLC0415 (TensorFlow, as the model)
    from colorize.training import task  # noqa: PLC0415

    return task.class_weights(config, pipeline.ensure_dataset(config))


def alternatives(model, config, temperature):
    """(name, temperature, context manager factory) for every alternative
    the module's docstring lists that applies to `model`."""
    rows = [(RECORDED, temperature, contextlib.nullcontext)]
    rows += [(f"temperature {t:g}", t, contextlib.nullcontext) for t in TEMPERATURES if t != temperature]
    if config.space == "lch":
        base = annealed_mean.recorded_class_colors(model.path)
        base = color.bin_centers("lch") if base is None else base

        def gain(k):  # the model's core rebuilt to decode to the scaled colors
            from colorize.serving import colorizer  # noqa: PLC0415 (TensorFlow)

            colors = np.array(base, np.float64)
            colors[:, 1] = np.minimum(colors[:, 1] * k, 255.0)
            return lambda: calibrate_decoding.swapped(
                model, core=colorizer.from_run(model.path, class_colors=colors)[1]
            )

        rows += [(f"chroma x{k:g}", temperature, gain(k)) for k in CHROMA_GAINS]
    weights = training_weights(config)
    if weights is not None:
        rows += [
            (f"prior correction {b:g}", temperature, lambda b=b: prior_correction(model, weights, b))
            for b in PRIOR_CORRECTIONS
        ]
    rows += [
        (
            f"flat up to {f:g}/{s:g}",
            temperature,
            lambda f=f, s=s: calibrate_decoding.swapped(fullres, FLAT_BELOW=f, SMOOTH_ABOVE=s),
        )
        for f, s in FLATNESS
    ]
    rows.append((RECORDED_AGAIN, temperature, contextlib.nullcontext))
    return rows


def markdown_table(record):
    """The results file's rows as a Markdown table (`experiments.docs`)."""

    lines = [f"| decoding | {calibrate_decoding.FIGURES_HEAD}", "|---|---|---|---|---|---|---|"]
    for name, row in record["results"].items():
        (m,) = row.values()
        lines.append(f"| {name} | {calibrate_decoding.figures_cells(m)}")
    threshold = record.get("paper_threshold")
    head = (
        f"`{record['model']}`, {record['examples']} {record['split']} windows of {record['dataset']}, as `predict` "
        f"colors them; recorded decoding: temperature {record['temperature']:g}, paper threshold "
        f"{'none' if threshold is None else f'{threshold:g}'} "
        "(`experiments/results/decoding_alternatives/results.json`)."
    )
    return head + "\n\n" + "\n".join(lines) + "\n"


@cli
def main(argv=None):
    args = calibrate_decoding.parse_sweep(__doc__, OUT, argv)
    calibrate_decoding.sweep_recorded(args, alternatives)
    return 0


if __name__ == "__main__":
    sys.exit(main())
