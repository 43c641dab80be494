"""experiments.width_per_cpu_hour: each run's validation loss against the
CPU-hours its epochs cost at the benchmark's step rate."""

import json

import pytest

from colorize import runs, variants
from colorize.errors import ColorizeError
from experiments import width_per_cpu_hour


def _run(path, width, losses, image_size=128):
    config = variants.resolve("lch", "small", width=width, image_size=image_size, precision="mixed_bfloat16")
    path.mkdir()
    runs.save_config(config, str(path))
    history = [{"epoch": e, "step": 10 * e, "val_loss": v, "learning_rate": 1e-3} for e, v in enumerate(losses, 1)]
    runs.save_history(history, str(path))
    return str(path)


def _benchmark(path):
    widths = [
        {"width": w, "float32": {"images_per_s": r / 2}, "mixed_bfloat16": {"images_per_s": r}}
        for w, r in ((0.25, 100.0), (0.5, 40.0))
    ]
    peak = {"widths": widths, "peak": {"cores": 2}, "image_size": 128, "batch_size": 16}
    path.write_text(json.dumps({"stages": {"peak": peak}}))
    return str(path)


def test_cpu_hours_follow_the_step_rate_of_each_width(tmp_path):
    bench = _benchmark(tmp_path / "bench.json")
    a = _run(tmp_path / "a", 0.5, [3.0, 2.5])
    b = _run(tmp_path / "b", 0.25, [3.2, 2.9, 2.7])
    result = width_per_cpu_hour.table([a, b], bench)
    wide, narrow = result["runs"]
    # 10 steps of 16 per epoch on 2 cores: 2 * 160 / 40 s and 2 * 160 / 100 s.
    assert wide["cpu_hours_per_epoch"] == pytest.approx(2 * 160 / 40 / 3600)
    assert narrow["cpu_hours"] == pytest.approx([2 * 160 / 100 / 3600 * e for e in (1, 2, 3)])
    assert narrow["val_loss"] == [3.2, 2.9, 2.7]
    table = width_per_cpu_hour.markdown(result)
    assert "| a | 0.5 | 0.002 | 3.00 (0.00 h) | 2.50 (0.00 h) |  |" in table


def test_runs_that_cannot_be_compared_are_one_line_errors(tmp_path):
    bench = _benchmark(tmp_path / "bench.json")
    a = _run(tmp_path / "a", 0.5, [3.0])
    other = _run(tmp_path / "c", 0.25, [3.0], image_size=64)
    with pytest.raises(ColorizeError, match="differ from the first run's"):
        width_per_cpu_hour.table([a, other], bench)
    wide = _run(tmp_path / "d", 1.0, [3.0])
    with pytest.raises(ColorizeError, match="no step at width 1"):
        width_per_cpu_hour.table([wide], bench)


def _row(width, losses, hours_per_epoch):
    return {
        "width": width,
        "val_loss": losses,
        "cpu_hours": [hours_per_epoch * e for e in range(1, len(losses) + 1)],
    }


def test_equal_cost_compares_at_the_hours_every_run_reached():
    # Width 0.25: 0.1 h per epoch, 3 epochs (0.3 h); width 0.5: 0.15 h per epoch, 6 epochs.
    result = {"runs": [_row(0.5, [3.1, 2.8, 2.6, 2.5, 2.4, 2.3], 0.15), _row(0.25, [3.0, 2.9, 2.85], 0.1)]}
    text = width_per_cpu_hour.equal_cost(result, 0.5)
    # At 0.3 h width 0.5 has done 2 epochs (2.8), width 0.25 all 3 (2.85): 0.5 is ahead there.
    assert text.startswith("Within the 0.30 CPU-hours every run reached, width 0.5 had the lowest validation loss")
    assert "(2.80 after 0.30 h; 2.85 at width 0.25)" in text
    assert "Width 0.5 went on to 2.30 after 0.90 h." in text
    assert "does not support" not in text
    # The other way round, the shipped width is said not to be ahead at equal cost.
    result["runs"][1]["val_loss"] = [3.0, 2.9, 2.7]
    text = width_per_cpu_hour.equal_cost(result, 0.5)
    assert "width 0.25 had the lowest validation loss (2.70 after 0.30 h; 2.80 at width 0.5)" in text
    assert text.endswith("So this comparison does not support the shipped width, 0.5: at equal cost it was behind.")
    assert width_per_cpu_hour.equal_cost({"runs": result["runs"][:1]}) is None
