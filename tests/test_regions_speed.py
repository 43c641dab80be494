"""experiments/regions_speed.py: its drawings, where it puts the hint, its table."""

import json

import numpy as np
import pytest

from colorize.inference import hint_fill
from experiments import predict_speed, regions_speed


def test_the_stress_drawing_is_a_dense_seeded_page_of_small_regions():
    image = regions_speed.stress_drawing(400, 0, 300)
    assert image.shape == (400, 400) and image.dtype == np.uint8
    np.testing.assert_array_equal(image, regions_speed.stress_drawing(400, 0, 300))
    assert 0.05 < np.mean(image < 128) < 0.5
    assert hint_fill.line_regions(image).max() > 100


def test_the_hint_goes_inside_a_closed_shape():
    drawing = predict_speed.drawing(512, 512, 1)
    x, y = regions_speed._inside_a_shape(drawing)
    labels = hint_fill.line_regions(drawing, gap=0)
    region = labels == labels[y, x]
    assert drawing[y, x] > 128  # on paper
    assert not (region[0].any() or region[-1].any() or region[:, 0].any() or region[:, -1].any())


def test_the_table_puts_before_next_to_after():
    keys = ["line_regions_s", "line_regions_cpu_s", "mp16_hint_image_s", "mp16_hint_image_cpu_s"]
    keys += ["mp16_image_s", "mp16_image_cpu_s"]
    sizes = {"stress_side": 4000, "sketch_side": 4096, "regions": 52560}
    before, after = dict.fromkeys(keys, 2.0) | sizes, dict.fromkeys(keys, 1.0) | sizes
    table = regions_speed.markdown_table(before, after).splitlines()
    assert table[0] == "| measured (median of runs) | before | after |" and len(table) == 2 + 6
    assert "(52,560 regions), wall | 2.00 s | 1.00 s |" in table[2]


@pytest.mark.slow
def test_the_quick_measurement_runs_the_drivers_on_this_checkout(tmp_path):
    path = tmp_path / "quick.json"
    assert regions_speed.main(["--quick", "--json", str(path)]) == 0
    result = json.loads(path.read_text())["after"]
    assert result["sketch_side"] == 1024 and result["regions"] > 100
    assert 0 < result["mp16_hint_image_cpu_s"] and 0 < result["mp16_image_cpu_s"]
