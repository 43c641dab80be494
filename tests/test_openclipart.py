"""The openclipart config: SVG rendering, the PNG fallback, one source per
drawing, and a build on a small folder laid out as the Debian packages."""

import os

import cv2
import numpy as np
import pytest

from colorize.data import build, examples, images
from colorize.errors import ColorizeError, ImageError


def svg(width, height, shapes, view=None):
    """An SVG document of `shapes` (element strings), with an optional viewBox."""
    box = f' viewBox="{view}"' if view else ""
    body = "".join(shapes)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"{box}>{body}</svg>').encode()


RED_DISC = '<circle cx="50" cy="40" r="30" fill="#e02020" stroke="#000" stroke-width="3"/>'
BLUE_BOX = '<rect x="10" y="10" width="60" height="40" fill="#2040e0" stroke="#000" stroke-width="2"/>'


def test_render_svg_scales_to_the_short_side_on_white():
    bgr = images.render_svg(svg(100, 80, [RED_DISC]), short_side=256)
    assert bgr.shape == (256, 320, 3) and bgr.dtype == np.uint8
    # Transparent page -> white; the disc is red (BGR) at its scaled center.
    assert (bgr[2, 2] == 255).all()
    b, g, r = bgr[128, 160].astype(int)
    assert r > 200 and g < 60 and b < 60
    # The outline is drawn, dark.
    column = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)[:, 160]
    assert column.min() < 60


def test_render_svg_uses_the_viewbox_and_keeps_the_aspect_ratio():
    # A 1000 x 2000 viewBox drawn at a 512 px short side: 512 x 1024.
    bgr = images.render_svg(svg(10, 20, [BLUE_BOX], view="0 0 100 200"))
    assert bgr.shape[:2] == (1024, 512)


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"not an svg at all", "not a renderable SVG"),
        (b"<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'><rect", "not a renderable SVG"),
    ],
)
def test_bad_svgs_fail_on_one_line(data, reason):
    with pytest.raises(ImageError) as e:
        images.render_svg(data, name="x.svg")
    assert str(e.value).startswith("x.svg: ") and reason in str(e.value) and "\n" not in str(e.value)


def test_render_svg_refuses_a_rendering_over_the_limit():
    with pytest.raises(ImageError, match="too large"):
        images.render_svg(svg(10, 1000, [BLUE_BOX]), short_side=512, max_pixels=1_000_000)


def clip_art_folder(root):
    """A folder laid out as /usr/share/openclipart: the same drawings as
    svg/ and png/, one drawing filed under two categories, one SVG that
    librsvg cannot render (its PNG is used) and one PNG-only drawing."""
    rng = np.random.default_rng(0)
    for i in range(40):
        color = "#" + "".join(f"{int(v):02x}" for v in rng.integers(0, 200, 3))
        shapes = [
            f'<circle cx="{40 + i % 30}" cy="40" r="28" fill="{color}" stroke="#000" stroke-width="3"/>',
            BLUE_BOX if i % 2 else RED_DISC,
        ]
        category = "animals" if i % 3 else "food/fruit"
        os.makedirs(root / "svg" / category, exist_ok=True)
        os.makedirs(root / "png" / category, exist_ok=True)
        data = svg(100, 80, shapes)
        (root / "svg" / category / f"art_{i:02d}.svg").write_bytes(data)
        cv2.imwrite(str(root / "png" / category / f"art_{i:02d}.png"), images.render_svg(data, short_side=300))
    # The same drawing in a second category (the packages do this).
    os.makedirs(root / "svg" / "zoo", exist_ok=True)
    (root / "svg" / "zoo" / "art_01.svg").write_bytes((root / "svg" / "animals" / "art_01.svg").read_bytes())
    # An SVG librsvg rejects, with a PNG beside it.
    (root / "svg" / "animals" / "art_01.svg").write_bytes(b"<svg broken")


def test_clip_art_sources_are_one_per_drawing(tmp_path):
    clip_art_folder(tmp_path)
    sources = examples.clip_art_sources(tmp_path)
    names = [source_id for source_id, _ in sources]
    assert len(names) == len(set(names)) == 40
    assert names == sorted(names) and names[0] == "openclipart/art_00"
    by_name = dict(sources)
    svg_path, png_path = by_name["openclipart/art_01"]
    # The first occurrence in path order: animals/ before zoo/.
    assert svg_path.endswith(os.path.join("svg", "animals", "art_01.svg"))
    assert png_path.endswith(os.path.join("png", "animals", "art_01.png"))
    with pytest.raises(ColorizeError, match="apt-get install openclipart"):
        examples.clip_art_sources(tmp_path / "nothing")


def test_source_examples_render_svgs_and_fall_back_to_png(tmp_path):
    clip_art_folder(tmp_path)
    by_name = dict(examples.clip_art_sources(tmp_path))
    make = examples.SourceExamples("train", "openclipart")
    good = list(make(("openclipart/art_02", by_name["openclipart/art_02"])))
    fallback = list(make(("openclipart/art_01", by_name["openclipart/art_01"])))
    assert good and fallback
    assert make.counts["svg windows"] == len(good) and make.counts["png windows"] == len(fallback)
    key, example = good[0]
    assert key == "openclipart/art_02/0" and example["source_id"] == "openclipart/art_02"
    assert example["color"].shape == (256, 256, 3) and example["sketch"].shape == (256, 256, 1)
    # Neither file renders: counted as unreadable, no example.
    nothing = list(make(("openclipart/gone", (None, None))))
    assert nothing == [] and make.counts["unreadable"] == 1
    with pytest.raises(ColorizeError, match="unknown source"):
        examples.SourceExamples("train", "clipart")


def test_openclipart_build_on_a_small_folder(tmp_path, capsys):
    clip_art_folder(tmp_path / "clip")
    builder = build.build("openclipart", data_dir=tmp_path / "data", manual_dir=tmp_path / "clip")
    out = capsys.readouterr().out
    assert "40 sources" in out and "from SVG:" in out
    total = sum(builder.info.splits[s].num_examples for s in ("train", "validation", "test"))
    assert total >= 40  # every drawing is colored: one window or more each
