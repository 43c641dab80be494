"""The README's quick start, run as written on the drawing it names
(`examples/`): every `predict` line works and gives what its comment says."""

import os
import re
import shlex

import numpy as np
import pytest
from PIL import Image

import helpers

PINK, YELLOW, GREEN = (224, 64, 128), (240, 200, 40), (60, 160, 60)


def quick_start_lines():
    """The `python -m colorize.predict ...` lines of the README's first code block."""
    with open(os.path.join(helpers.REPO, "README.md")) as f:
        block = re.search(r"```sh\n(.*?)```", f.read(), re.S).group(1)
    lines = [line.split("  #")[0].strip() for line in block.splitlines()]
    return [line for line in lines if line.startswith("python -m colorize.predict")]


@pytest.mark.slow
def test_the_quick_start_lines_color_the_example_as_their_comments_say(tmp_path):
    os.symlink(os.path.join(helpers.REPO, "examples"), tmp_path / "examples")
    lines = quick_start_lines()
    assert [shlex.split(line)[shlex.split(line).index("-o") + 1] for line in lines] == [
        "auto/",
        "hinted/",
        "palette/",
        "painted/",
    ]
    for line in lines:
        helpers.run_python(shlex.split(line)[1:], cwd=tmp_path)
    out = {
        name: np.asarray(Image.open(tmp_path / name / "flower.png").convert("RGB"))
        for name in ("auto", "hinted", "palette", "painted")
    }
    for name, rgb in out.items():
        assert rgb.shape == (600, 600, 3), name
        assert np.all(rgb[:40, :40] == 255) and np.all(rgb[560:, 500:] == 255), f"{name}: the page is not white"
    # The hint: the open petal at 430,240 is pink inside its outline.
    assert np.all(out["hinted"][215:266, 372:445] == PINK)
    # The palette: the petals take the named colors themselves.
    petal = out["palette"][225:256, 150:190].reshape(-1, 3)
    named = np.array([[224, 48, 32], [32, 80, 192], [240, 192, 0], [48, 160, 64]])
    assert np.abs(petal[:, None, :].astype(int) - named[None]).max(-1).min(-1).max() <= 2
    # The dabs: the center yellow, the open petal pink, the leaf green; and the layers file.
    painted = out["painted"]
    assert np.all(painted[225:256, 285:316] == YELLOW)
    assert np.all(painted[215:266, 372:445] == PINK)
    assert np.all(painted[455:465, 232:250] == GREEN)
    assert (tmp_path / "painted" / "flower.ora").stat().st_size > 0
