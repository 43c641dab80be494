"""experiments.resolution_per_cpu_hour: runs at different resolutions
measured as `predict` colors, each against the CPU time its training took
(its history's, or given)."""

import pytest

from colorize import runs, variants
from colorize.errors import ColorizeError
from experiments import resolution_per_cpu_hour


def test_cpu_seconds_come_from_the_history_or_the_command_line(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    runs.save_config(variants.resolve("lch", "small", image_size=192), str(run))
    runs.save_history(
        [
            {"epoch": 1, "step": 5, "val_loss": 2.0, "cpu_seconds": 10.0},
            {"epoch": 2, "step": 10, "val_loss": 1.9, "cpu_seconds": 21.5},
        ],
        str(run),
    )
    assert resolution_per_cpu_hour.parse_run(f"{run}:7200") == (str(run), 7200.0)
    assert resolution_per_cpu_hour.cpu_seconds(str(run), None) == 21.5  # the last epoch's
    assert resolution_per_cpu_hour.cpu_seconds(str(run), 30.0) == 30.0
    runs.save_history([{"epoch": 1, "step": 5, "val_loss": 2.0}], str(run))  # trained before it was recorded
    with pytest.raises(ColorizeError, match="records no CPU seconds; give them as"):
        resolution_per_cpu_hour.cpu_seconds(str(run), None)
    for bad in ("x", "-1"):
        with pytest.raises(ColorizeError, match="CPU seconds must be"):
            resolution_per_cpu_hour.parse_run(f"{run}:{bad}")
