"""Measures the shipped model's hint figures again and rewrites its card.

`python -m experiments.refresh_hints [MODEL] [--curve-out DIR] [--data-dir DIR]`

The card's hint figures (PSNR against the number of hints for the network
alone, as `predict` outputs it and for the flood-fill baseline; 10 hints
over the flood fill) depend on how `predict` uses hints
(`colorize.inference.hint_flood`, `hint_fill`) as well as on the weights.
After a change there the weights need not ship again: this reruns
`experiments.hints_curve` on the test split exactly as `ship_model` did (the
same counts, the card's number of test windows), replaces the card's hint
figures (`ship_model.curve_facts`), records the date as `hints_measured`,
and writes `model_card.json` and `MODEL_CARD.md` again. Every other figure
(the palette's included) is kept. It needs the model's datasets built
(`--data-dir`) and takes about as long as the curve in `ship_model` (12
minutes for 150 windows on 2 cores).

Raises (one line, exit status 2): MODEL is not a packed model with a card.
"""

import argparse
import json
import os
import sys
import time

from colorize import errors, runs
from colorize.errors import ColorizeError, cli
from experiments import ship_model


def _parser():
    p = argparse.ArgumentParser(prog="python -m experiments.refresh_hints", description=__doc__.splitlines()[0])
    p.add_argument("model", nargs="?", default=ship_model.OUT, help=f"a packed model (default: {ship_model.OUT})")
    p.add_argument(
        "--curve-out",
        default=ship_model.CURVE_OUT,
        help="where the curve's results, plot and samples are written (default: %(default)s)",
    )
    p.add_argument("--data-dir", default=None, help="TFDS data directory (default: ~/tensorflow_datasets)")
    return p


def refresh(model_dir, curve_out, data_dir=None):
    """Remeasures `model_dir`'s hint figures and rewrites its card: the new card dict."""
    path = os.path.join(model_dir, ship_model.CARD_JSON)
    if not os.path.isdir(model_dir):
        raise ColorizeError(f"{model_dir}: no such folder")
    if not os.path.isfile(os.path.join(model_dir, runs.PACKED_WEIGHTS)) or not os.path.isfile(path):
        raise ColorizeError(
            f"{model_dir}: not a packed model with a card ({runs.PACKED_WEIGHTS} and {ship_model.CARD_JSON})"
        )
    with open(path) as f:
        card = json.load(f)
    curve = ship_model.measure_curve(model_dir, curve_out, card["test_examples"], data_dir)
    card.update(ship_model.curve_facts(curve), hints_measured=time.strftime("%Y-%m-%d"))
    ship_model.write_card(model_dir, card)
    return card


@cli
def main(argv=None):
    args = errors.parse_args(_parser(), argv)
    card = refresh(args.model, args.curve_out, args.data_dir)
    print(
        f"wrote {args.model}: 10 hints as predict outputs {card['test_hints10_fill']['psnr']:.2f} dB, "
        f"flood fill {card['flood_fill'][card['counts'].index(10)]:.2f} dB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
