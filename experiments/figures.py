"""Matplotlib for the experiments' figures: files only, written atomically."""

import os

from PIL import Image


def pyplot():
    """`matplotlib.pyplot` on the Agg backend (no display needed)."""
    # Here, not at the top: the backend must be chosen before pyplot loads,
    # and matplotlib is slow to import for the commands that draw nothing.
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt  # noqa: PLC0415

    return plt


def save(fig, path, tight=True, palette=False):
    """Writes a figure as PNG (atomically) and closes it.

    Args:
        fig: a matplotlib figure.
        path: the PNG's path.
        tight: apply `fig.tight_layout()` first.
        palette: store 256 colors, which keeps a grid of photo-like samples
            small enough to commit.
    """
    if tight:
        fig.tight_layout()
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=100)
    pyplot().close(fig)
    if palette:
        with Image.open(tmp) as img:
            # Max-coverage palette refined by k-means keeps the few flat
            # colors of the ground truth close (mean error ~1 of 255).
            img.convert("RGB").quantize(256, method=Image.Quantize.MAXCOVERAGE, kmeans=3).save(tmp, optimize=True)
    os.replace(tmp, path)
