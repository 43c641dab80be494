"""`experiments.from_color_lines`: `predict --from-color` measured per ink
level on the colored windows themselves, and the rule that picks the level."""

import pytest

from colorize.inference import colored_input

import helpers


def test_every_level_is_measured_and_the_constant_restored(tiny_run, tmp_path):
    from experiments import from_color_lines  # noqa: PLC0415 (TensorFlow)

    record = helpers.run_sweep(from_color_lines, tiny_run("lch"), tmp_path)
    rows = {int(level): row["from_color"] for level, row in record["results"].items()}
    assert sorted(rows) == from_color_lines.LEVELS and colored_input.INK_LEVEL == 64
    assert record["chosen_level"] == from_color_lines.choose(rows)
    # The synthetic windows have dark outlines: the ink changes the output's lightness.
    assert rows[192]["mse_l"] != rows[0]["mse_l"]


def test_the_lowest_level_near_the_best_psnr_is_chosen():
    from experiments import from_color_lines  # noqa: PLC0415 (TensorFlow)

    psnr = {0: 14.0, 48: 14.9, 64: 15.01, 96: 14.99, 160: 15.06}
    assert from_color_lines.choose({k: {"psnr": v} for k, v in psnr.items()}) == 64
    assert from_color_lines.choose({0: {"psnr": 15.0}, 64: {"psnr": 14.0}}) == 0
    assert from_color_lines.levels("0, 64,128") == [0, 64, 128]
    for bad in ("", "64,300", "a,b"):
        with pytest.raises(ValueError):
            from_color_lines.levels(bad)
