"""Averaging the network over a drawing and its mirror image, on validation
data (`inference.coloring.FLIP_AVERAGE`).

`python -m experiments.flip_average MODEL [--split validation] [--max-examples N]`

Colors the model's validation windows as `predict` colors them
(`calibrate_decoding.measure`, at the model's recorded temperature and
paper threshold, no hints) with one network pass, and with two: the drawing
and its mirror image, the second's output mirrored back and the two
averaged (color, paper mass and chromatic color alike). Test-time
augmentation of this kind is common in image classification and
segmentation; a drawing and its mirror image have the same colors. It
costs a second network pass per image (`experiments.predict_speed`).

Writes `--out` (default `experiments/results/flip_average/results.json`).
"""

import os
import sys

from colorize import errors
from colorize.errors import cli
from experiments import calibrate_decoding

OUT = os.path.join(os.path.dirname(__file__), "results", "flip_average", "results.json")


@cli
def main(argv=None):
    args = errors.parse_args(calibrate_decoding.sweep_parser(__doc__, OUT), argv)

    def rows(model, config, temperature):
        return [
            (name, temperature, lambda flip=flip: calibrate_decoding.swapped(model, flip_average=flip))
            for name, flip in (("one pass", False), ("mirror averaged", True))
        ]

    calibrate_decoding.sweep_recorded(args, rows, width=16)
    return 0


if __name__ == "__main__":
    sys.exit(main())
