"""bfloat16 training: chosen by default on a CPU with bfloat16 units, and a
short run's loss curve follows float32's on the same data and seed."""

import re

import pytest

from colorize import train, variants


def test_the_default_precision_follows_the_cpu(tmp_path):
    with_amx = tmp_path / "amx"
    with_amx.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512_bf16 amx_bf16 amx_tile\n")
    plain = tmp_path / "plain"
    plain.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2\n")
    assert variants.cpu_bfloat16_flags(str(with_amx)) == ("amx_bf16", "avx512_bf16")
    assert variants.detect_precision(str(with_amx)) == "mixed_bfloat16"
    assert variants.detect_precision(str(plain)) == "float32"
    assert variants.detect_precision(str(tmp_path / "missing")) == "float32"


def _losses(argv, capsys):
    train.run(argv)
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    return first, [float(v) for v in re.findall(r"step \d+/\d+ loss ([0-9.]+)", out)]


@pytest.mark.slow
def test_bfloat16_follows_float32(tiny_data_dir, tmp_path, capsys):
    common = ["--variant", "lch", "--preset", "tiny", "--data-dir", tiny_data_dir, "--epochs", "3"]
    common += ["--steps-per-epoch", "5", "--log-every", "1"]
    first, bf16 = _losses([*common, "--run-dir", str(tmp_path / "bf16")], capsys)
    expected = variants.detect_precision()
    assert first.startswith(f"precision: {expected} (chosen: ")  # the first line says what was chosen
    _, f32 = _losses([*common, "--run-dir", str(tmp_path / "f32"), "--precision", "float32"], capsys)
    forced_first, forced = _losses(
        [*common, "--run-dir", str(tmp_path / "bf16b"), "--precision", "mixed_bfloat16"], capsys
    )
    assert forced_first.startswith("precision: mixed_bfloat16 (")
    assert len(f32) == len(forced) == 15
    # bfloat16 keeps 8 bits of mantissa (0.4 % per rounding) in the convolutions only: the
    # loss, targets, decoding, batch statistics and weights stay float32. Measured here:
    # at most 0.05 % apart over 15 steps; 0.5 % leaves room for other CPUs' kernels.
    for a, b in zip(f32, forced, strict=True):
        assert abs(a - b) <= 0.005 * a
    # The same run in float32 twice is not what is compared: mixed_bfloat16 really ran.
    assert f32 != forced
