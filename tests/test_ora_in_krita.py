"""The `.ora` in a real editor: Krita (Debian's krita, its command line
`krita --export` under Xvfb) flattens the layers `openraster.write_ora`
writes into the PNG `predict` writes."""

import os
import shutil
import subprocess

import cv2
import numpy as np
import pytest
from PIL import Image

from colorize import fileio
from colorize.inference import coloring, openraster

from bad_inputs import drawing

KRITA, XVFB_RUN = shutil.which("krita"), shutil.which("xvfb-run")
if not (KRITA and XVFB_RUN):
    pytest.skip(
        "krita or xvfb-run is missing (apt-get install --no-install-recommends krita xvfb xauth; .ci/run does)",
        allow_module_level=True,
    )


def krita_export(ora, png, home):
    """Krita's flattened picture of `ora`, as `(H, W, 4)` uint8 RGBA."""
    env = dict(os.environ, HOME=str(home), QT_QPA_PLATFORM="xcb")  # its settings and caches in `home`
    for _ in range(3):  # Xvfb under load sometimes is not up when Krita connects: start both again
        done = subprocess.run(
            [XVFB_RUN, "-a", KRITA, "--export", "--export-filename", str(png), str(ora)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if "could not connect to display" not in done.stderr:
            break
    assert done.returncode == 0 and os.path.isfile(png), (done.returncode, done.stderr[-2000:])
    return np.asarray(Image.open(png).convert("RGBA"))


@pytest.mark.slow
def test_krita_flattens_the_layers_into_the_png(run_dir, tmp_path):
    # A colored sketch with anti-aliased lines of every gray, and gray
    # (partly transparent) ink: the layers that need the exact line
    # multiplication.
    sketch = drawing(120, 160, seed=5)
    cv2.line(sketch, (0, 110), (159, 5), 120, 2, cv2.LINE_AA)
    rgb = np.dstack([sketch] * 3)
    hint_rgb, hint_mask = np.zeros((120, 160, 3), np.uint8), np.zeros((120, 160), bool)
    hint_mask[55:60, 75:80], hint_rgb[55:60, 75:80] = True, (200, 60, 40)
    out = coloring.colorize_array(rgb, coloring.Model(run_dir), hint_rgb, hint_mask)
    openraster.write_ora(tmp_path / "colored.ora", out["color"], out["lines"])
    fileio.save_png(str(tmp_path / "colored.png"), out["rgb"])
    assert (out["lines"] < 255).mean() > 0.05 and ((out["lines"] > 0) & (out["lines"] < 255)).any()

    flat = krita_export(tmp_path / "colored.ora", tmp_path / "krita.png", tmp_path / "home")
    assert flat.shape == (120, 160, 4) and np.all(flat[..., 3] == 255)  # opaque, the sketch's size
    png = np.asarray(Image.open(tmp_path / "colored.png").convert("RGB"))
    diff = np.abs(flat[..., :3].astype(int) - png)
    assert diff.max() <= 1, (diff.max(), np.argwhere(diff > 1)[:5])
