"""The model shipped in the package: trained by this project on openly
licensed emoji and game art with their artists' outlines (see `MODEL_CARD.md`
in the model's folder), so that coloring works on a fresh install with no
training and no network.

`default_model()` is what `predict`, `export`, `evaluate` and the demo use
when no `--model` is given.
"""

import os

from colorize import runs
from colorize.errors import ColorizeError

SHIPPED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "line_art")
"""The shipped model's folder: `config.json` and float16 `weights.npz`
(`colorize.nets.trained.pack_net`), read by `colorize.nets.trained.load_net` like a run directory."""


def default_model():
    """The path of the shipped model.

    Returns:
        str, a folder `colorize.nets.trained.load_net` and `colorize.serving.colorizer.from_run` accept.

    Raises:
        ColorizeError: the package was installed without its weights.
    """
    if runs.is_run(SHIPPED):
        return SHIPPED
    raise ColorizeError(
        f"no model given and the shipped model is missing ({SHIPPED}): reinstall the package, "
        "or pass --model RUN_DIR or EXPORT_DIR"
    )
