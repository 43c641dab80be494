"""The benchmarks: every stage runs on a tiny budget and reports real numbers
(no timing assertions); the reference encoding and the FLOP count are
checked against hand-computed values; the GPU benchmark runs under JAX on
the CPU."""

import json
import math
import os
import time

import keras
import numpy as np
import pytest

from colorize import variants
from colorize.errors import ColorizeError
from colorize.nets import models, targets
from experiments import gpu_benchmark, reference_targets
from experiments.benchmark import cli, config, flops, peak, peak_stage, report, step_probe, timing, train_stage

import helpers

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _positive(value, name):
    assert isinstance(value, (int, float)) and not isinstance(value, bool), name
    assert math.isfinite(value) and value > 0, (name, value)


@pytest.mark.slow
def test_quick_benchmark_reports_every_stage(tiny_data_dir, tmp_path, capsys):
    out = tmp_path / "bench.json"
    argv = ["--quick", "--data-dir", tiny_data_dir, "--json", str(out), "--work-dir", str(tmp_path / "work")]
    assert cli.main(argv) == 0
    with open(out) as f:
        result = json.load(f)
    assert result["quick"] is True and result["repeats"] == 2
    assert set(result["stages"]) == set(config.STAGES)
    for name, stage in result["stages"].items():
        _positive(stage["stage_seconds"], f"{name} seconds")
        _positive(stage["cores_used_while_timing"], f"{name} cores used")
    m = result["machine"]
    assert m["cpu"] and m["device"] and m["tensorflow"] and m["keras"]
    _positive(m["cores"], "cores")
    _positive(m["ram_gib"], "ram_gib")

    build = result["stages"]["build"]
    for source in ("synthetic", "folder"):
        for key in ("images_per_s", "floor_images_per_s", "ratio", "cpu_ratio", "ms_per_image", "encode_ms_per_image"):
            _positive(build[source][key], f"build.{source}.{key}")
        assert build[source]["images"] == config.BUDGETS["quick"][f"{source}_images"]
        assert build[source]["windows"] >= 1
    tb = build["tfds_build"]
    assert tb["images"] == 48 and tb["windows"] >= 48  # synthetic_tiny: 48 sources, >= 1 window each
    _positive(tb["images_per_s"], "tfds images/s")

    t = result["stages"]["targets"]
    assert (t["input_size"], t["output_size"], t["batch"]) == (256, 64, 4)
    ref = t["reference"]
    _positive(ref["ms_per_example"], "reference ms")
    assert ref["examples"] == config.BUDGETS["quick"]["reference_examples"]
    assert set(ref) == {"ms_per_example", "bytes_per_example", "examples"}  # measured, nothing quoted
    assert ref["bytes_per_example"] == 64 * 64 * 512 * 2
    for space, spec in config.TARGET_LOSSES.items():
        entry = t[space]
        assert entry["variant"] == spec["variant"]
        for name in ("factors", "materialized", "loss_value", "loss", "materialized_loss", "floor_loss"):
            for key in ("ms_per_example", "ms_per_batch", "ms_per_example_in_batch"):
                _positive(entry[name][key], f"targets.{space}.{name}.{key}")
            assert entry[name]["ms_per_example_in_batch"] == pytest.approx(entry[name]["ms_per_batch"] / 4)
            # Every speedup is the reference timed in this run over ours.
            speedup = ref["ms_per_example"] / entry[name]["ms_per_example_in_batch"]
            assert entry["speedup"][name] == pytest.approx(speedup)
        # The loss with its gradient against the hard-label floor, timed in alternation.
        _positive(entry["loss_over_floor"]["ratio"], f"targets.{space}.loss_over_floor")
        _positive(entry["loss_over_floor"]["cpu_ratio"], f"targets.{space}.loss_over_floor cpu")
    # Three 256x256 PNGs per example are far smaller than 4 MiB of targets.
    assert 1000 < t["stored_bytes_per_example"] < 2**20
    assert t["storage_ratio"] == pytest.approx(4 * 2**20 / t["stored_bytes_per_example"])

    tiny = result["stages"]["train"]["presets"]["tiny"]
    assert (tiny["image_size"], tiny["batch_size"]) == (64, 8)
    entry = tiny["variants"]["chroma"]
    for key in (
        "step_ms",
        "images_per_s",
        "cpu_ms_per_image",
        "overhead_ratio",
        "cpu_overhead_ratio",
        "achieved_gflops_per_s",
    ):
        _positive(entry[key], f"train.chroma.{key}")
    bare = tiny["bare"]["classification"]
    for key in ("images_per_s", "cpu_ms_per_image", "achieved_gflops_per_s"):
        _positive(bare[key], f"bare.{key}")
    # The per-layer count and TensorFlow's profiler agree.
    assert bare["forward_gflops_per_image"] == bare["profiler_gflops_per_image"]
    assert entry["images_per_s"] == pytest.approx(8 / (entry["step_ms"] / 1e3))
    _positive(result["stages"]["train"]["input_pipeline"]["images_per_s"], "pipeline images/s")

    inf = result["stages"]["inference"]
    tables = ("latency_ms", "sketch_latency_ms", "floor_ms", "png_codec_ms", "ratio_to_floor")
    for table in tables:
        assert set(inf[table]) == {"64"}, table
        _positive(inf[table]["64"], f"inference.{table}")
    _positive(inf["network_ms"], "network ms")
    _positive(inf["batch"]["images_per_s"], "batch images/s")

    # The peak stage: the CPU's peak, both precisions per width, the loop, what limits the step.
    p = result["stages"]["peak"]
    _positive(p["peak"]["bf16_tflops"], "bf16 peak")
    _positive(p["peak"]["fp32_tflops"], "fp32 peak")
    assert p["peak"]["cores"] == m["usable_cores"]
    for precision in ("bfloat16", "float32"):
        _positive(p["peak"]["matmul"][precision]["tflops_per_s"], f"matmul {precision}")
    [width] = p["widths"]
    assert width["width"] == config.BUDGETS["quick"]["peak_widths"][0]
    for precision in ("float32", "mixed_bfloat16"):
        for key in ("images_per_s", "tflops_per_s", "fraction_of_peak", "cpu_fraction_of_peak"):
            _positive(width[precision][key], f"peak.{precision}.{key}")
    [loop] = p["loop"]
    for key in ("loop_over_bare", "cpu_loop_over_bare", "step_over_bare"):
        _positive(loop[key], f"loop.{key}")
    lim = p["limits"]
    _positive(lim["xla"]["over_base"], "xla")
    if variants.cpu_bfloat16_flags():
        _positive(lim["layout"]["nchw_over_nhwc"], "layout")
    else:  # TensorFlow's own bfloat16 filter gradient takes NHWC only: said, not measured
        assert lim["layout"]["nchw_over_nhwc"] is None and "NHWC" in lim["layout"]["unsupported"]
    assert set(lim["batch_sizes"]) == {"4"}
    printed = capsys.readouterr().out
    kinds = {k["kind"] for k in lim["kernels"]["list"]}
    if variants.cpu_bfloat16_flags():
        assert {"convolution forward_training", "convolution backward_weights"} <= kinds
    else:  # oneDNN runs no bfloat16 convolution here: the report says TensorFlow's own kernels ran them
        assert not any(kind.startswith("convolution") for kind in kinds)
        assert "and every convolution) and the gaps between ops" in printed
    assert "| stage | measure | value | baseline | ratio |" in printed
    # The loop's figure is the one its own progress line printed.
    assert f"{loop['loop']['images_per_s']:.1f} img/s" in printed
    assert "| width | GFLOPs/image (forward) |" in printed and "| what limits the bfloat16 step" in printed
    assert "| NCHW instead of NHWC: one 3x3 convolution" in printed
    assert len(result["table"]) >= 10 and {row["stage"] for row in result["table"]} == set(config.STAGES) - {"peak"}


def test_bad_flags_are_one_line_errors(capsys):
    for argv, message in (
        (["--stage", "everything"], "--stage must be one of"),
        (["--repeats", "0"], "--repeats must be at least 1"),
        (["--repeats", "x"], "invalid int value"),
        (["--paper-variants", "regression,sepia"], "--paper-variants: unknown sepia"),
        (["--paper-batch", "0"], "--paper-batch must be at least 1"),
    ):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(argv)
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err


def test_measure_takes_the_median_after_warmup():
    calls = []
    measured = timing.measure(lambda: calls.append(1), repeats=3, warmup=2)
    assert len(calls) == 5 and measured["runs"] == 3
    assert 0 <= measured["min_s"] <= measured["median_s"] <= measured["max_s"]


def test_measure_paired_alternates_and_gives_the_ratio():
    calls = []

    def busy(name, seconds):
        def fn():
            calls.append(name)
            end = time.process_time() + seconds
            while time.process_time() < end:  # CPU work, so CPU time counts it too
                pass

        return fn

    a, b, ratio = timing.measure_paired(busy("a", 0.02), busy("b", 0.01), repeats=3)
    assert calls == ["a", "a", "b", "b"] + ["a", "b"] * 2  # each warmed up, then three timed pairs
    assert a["runs"] == b["runs"] == 3
    assert ratio["cpu_ratio"] == pytest.approx(2.0, rel=0.25)
    assert ratio["min_ratio"] == pytest.approx(a["min_s"] / b["min_s"])
    assert a["cpu_median_s"] == pytest.approx(0.02, rel=0.25)


def test_reference_encoding_clamps_at_the_edge_and_matches_ours_inside():
    a = math.exp(-1.0 / targets.KERNEL_DENOM)  # weight of a neighbour one bin away, at a bin centre
    # A pixel at the centre of bin 0 in every channel: neighbour -1 is
    # clamped onto bin 0, which counts it twice.
    z = reference_targets.soft_encode_reference(np.array([[16.0, 16.0, 16.0]]))
    assert z.shape == (1, 512) and z.dtype == np.float16
    edge = (1 + a) / (1 + 2 * a)  # per channel: bin 0 gets 1 + a of 1 + 2a
    assert float(z[0, 0]) == pytest.approx(edge**3, rel=2e-3)
    assert float(z[0, 1]) == pytest.approx(edge**2 * a / (1 + 2 * a), rel=2e-3)  # b0 = 1
    ours = np.asarray(targets.soft_encode(np.array([[16.0, 16.0, 16.0]], "float32"), "rgb"))
    assert ours[0, 0] == pytest.approx(1 / (1 + a) ** 3, rel=1e-5)  # dropped: 1 of 1 + a
    # Inside the grid the two encodings are the same distribution.
    rng = np.random.default_rng(0)
    inside = rng.uniform(40, 215, size=(50, 3))
    ref = reference_targets.soft_encode_reference(inside).astype(np.float64)
    ours = np.asarray(targets.soft_encode(inside.astype("float32"), "rgb"))
    np.testing.assert_allclose(ref, ours, atol=1e-3)
    np.testing.assert_allclose(ref.sum(axis=-1), 1.0, atol=5e-3)


def test_reference_targets_are_four_mib_of_float16():
    rgb = np.full((256, 256, 3), (200, 40, 90), np.uint8)
    z = reference_targets.reference_targets(rgb)
    assert z.shape == (64, 64, 512) and z.dtype == np.float16
    assert z.nbytes == reference_targets.reference_bytes_per_example() == 4 * 2**20
    # A flat color: every pixel the same distribution, peaked at its class.
    q = 200 // 32 + 8 * (40 // 32) + 64 * (90 // 32)
    assert np.all(z.reshape(-1, 512).argmax(axis=1) == q)
    with pytest.raises(ValueError, match="RGB image"):
        reference_targets.reference_targets(rgb[..., 0])


def test_forward_flops_hand_count_and_profiler():
    x = keras.Input((None, None, 1))
    y = keras.layers.Conv2D(4, 3, strides=2, padding="same")(x)  # 8x8x1 -> 4x4x4
    y = keras.layers.Conv2DTranspose(2, 4, strides=2, padding="same")(y)  # 4x4x4 -> 8x8x2
    net = keras.Model(x, y)
    conv = 2 * 3 * 3 * 1 * 4 * (4 * 4) + 4 * 4 * 4  # per output pixel, + bias per output value
    transpose = 2 * 4 * 4 * 4 * 2 * (4 * 4) + 8 * 8 * 2  # per input pixel, + bias
    assert flops.forward_flops(net, 8) == conv + transpose == 1216 + 4224
    assert train_stage.profiler_flops(net, 8) == 1216 + 4224
    # Non-square input: the counts follow the spatial size.
    assert flops.forward_flops(net, 8, 16) == 2 * (1216 + 4224)
    # The project's networks (BN, rescaling, masking too) match the profiler exactly.
    for kind in ("classification", "regression"):
        # With hints: three inputs (sketch, hint color, hint mask); with a palette a fourth, a vector.
        for hints, palette in ((False, False), (True, False), (True, True)):
            net = models.build_net(kind, width=0.0625, hints=hints, palette=palette)
            assert flops.forward_flops(net, 48, 64) == train_stage.profiler_flops(net, 48, 64), (kind, palette)


@pytest.mark.slow
def test_gpu_benchmark_runs_under_jax(tmp_path):
    # JAX is pinned in requirements.txt: the quick run times the step on the CPU.
    out = tmp_path / "gpu.json"
    proc = helpers.run_python(["-m", "experiments.gpu_benchmark", "--quick", "--json", str(out)])
    with open(out) as f:
        result = json.load(f)
    assert "skipped" not in result, result
    entry = result["variants"]["chroma"]
    for key in ("images_per_s", "step_ms", "overhead_ratio", "forward_gflops_per_image"):
        _positive(entry[key], f"gpu.chroma.{key}")
    peak, _ = gpu_benchmark.device_peak(result["device"].split(": ", 1)[1], result["precision"])
    assert result["peak_flops"] == peak
    if peak is None:  # e.g. JAX on a CPU: no MFU, and it says so
        assert entry["mfu"] is None and "MFU unknown" in proc.stdout


def test_gpu_benchmark_without_jax_says_why(tmp_path, monkeypatch, capsys):
    find_spec = gpu_benchmark.importlib.util.find_spec
    monkeypatch.setattr(
        gpu_benchmark.importlib.util, "find_spec", lambda name, *a: None if name == "jax" else find_spec(name, *a)
    )
    result = gpu_benchmark.run(["--quick", "--json", str(tmp_path / "gpu.json")])
    assert "jax is not installed" in result["skipped"] and "skipped: jax" in capsys.readouterr().out
    with open(tmp_path / "gpu.json") as f:
        assert json.load(f)["skipped"] == result["skipped"]


def test_gpu_benchmark_bad_flags():
    with pytest.raises(ColorizeError, match="--variants must name"):
        gpu_benchmark.parse_args(["--variants", "sepia"])
    with pytest.raises(ColorizeError, match="--steps must be at least 1"):
        gpu_benchmark.parse_args(["--steps", "0"])


def test_the_reference_encoding_is_timed_in_the_same_run(tiny_data_dir, tmp_path, monkeypatch):
    calls = []
    encode = reference_targets.reference_targets

    def counted(rgb, *args, **kwargs):
        calls.append(rgb.shape)
        return encode(rgb, *args, **kwargs)

    monkeypatch.setattr(reference_targets, "reference_targets", counted)
    out = tmp_path / "targets.json"
    result = cli.run(["--quick", "--stage", "targets", "--data-dir", tiny_data_dir, "--json", str(out)])
    # One warm-up and two timed runs over the quick budget's examples, here.
    assert calls == [(256, 256, 3)] * (1 + 2) * config.BUDGETS["quick"]["reference_examples"]
    assert set(result["stages"]) == {"targets"}
    with open(out) as f:
        assert json.load(f)["stages"]["targets"]["reference"] == result["stages"]["targets"]["reference"]


def test_quick_runs_never_overwrite_the_committed_results(tiny_data_dir, tmp_path, monkeypatch):
    committed = os.path.join(REPO, config.DEFAULT_JSON)
    before = open(committed).read() if os.path.exists(committed) else None
    quick = tmp_path / "quick.json"
    monkeypatch.setattr(config, "QUICK_JSON", str(quick))
    assert cli.output_path(cli.parse_args(["--quick"])) == str(quick)
    assert cli.output_path(cli.parse_args([])) == config.DEFAULT_JSON
    named = str(tmp_path / "named.json")
    assert cli.output_path(cli.parse_args(["--quick", "--json", named])) == named
    monkeypatch.chdir(REPO)  # where the default path would land
    cli.run(["--quick", "--stage", "targets", "--data-dir", tiny_data_dir])
    with open(quick) as f:
        assert json.load(f)["quick"] is True
    after = open(committed).read() if os.path.exists(committed) else None
    assert after == before
    # The GPU benchmark too.
    monkeypatch.setattr(gpu_benchmark, "QUICK_JSON", str(tmp_path / "gpu-quick.json"))
    assert gpu_benchmark.output_path(gpu_benchmark.parse_args(["--quick"])) == str(tmp_path / "gpu-quick.json")
    assert gpu_benchmark.output_path(gpu_benchmark.parse_args([])) == gpu_benchmark.DEFAULT_JSON
    assert gpu_benchmark.output_path(gpu_benchmark.parse_args(["--quick", "--json", named])) == named


def test_a_stage_run_replaces_that_stage_and_keeps_the_others(tmp_path):
    path = tmp_path / "bench.json"
    machine = {"cpu": "X", "load_average_start": [0.5]}
    old = {"command": "old", "quick": False, "machine": machine, "stages": {"build": {"a": 1}, "targets": {"b": 2}}}
    path.write_text(json.dumps(old))
    new = {
        "command": "new",
        "quick": False,
        "machine": dict(machine, load_average_start=[1.5]),
        "stages": {"targets": {"b": 3}},
    }
    merged = cli._merge_stages(new, str(path), merge=True)
    assert merged["stages"] == {"build": {"a": 1}, "targets": {"b": 3}}
    assert merged["stage_runs"]["build"]["command"] == "old"
    assert merged["stage_runs"]["targets"] == {"command": "new", "load_average_start": [1.5]}
    # Another machine's results, or a full run, are not merged.
    other = dict(new, machine={"cpu": "Y", "load_average_start": [0.0]})
    assert cli._merge_stages(other, str(path), merge=True)["stages"] == {"targets": {"b": 3}}
    assert cli._merge_stages(new, str(path), merge=False)["stages"] == {"targets": {"b": 3}}


@pytest.mark.parametrize(
    "name, precision, peak",
    [
        ("NVIDIA H100 80GB HBM3", "mixed_bfloat16", 989e12),
        ("NVIDIA H100 PCIe", "mixed_bfloat16", 756e12),
        ("NVIDIA H200", "mixed_bfloat16", 989e12),
        ("NVIDIA GH200 480GB", "mixed_bfloat16", 989e12),
        ("NVIDIA A100-SXM4-80GB", "mixed_bfloat16", 312e12),
        ("NVIDIA L4", "mixed_bfloat16", 121e12),
        ("NVIDIA L40S", "mixed_bfloat16", 362e12),
        ("TPU v4", "mixed_bfloat16", 275e12),
        ("cpu", "mixed_bfloat16", None),
        ("Tesla T4", "mixed_bfloat16", None),
        ("NVIDIA H100 80GB HBM3", "float32", None),  # the table holds bf16 peaks only
    ],
)
def test_mfu_uses_the_detected_devices_peak_or_says_unknown(name, precision, peak):
    assert gpu_benchmark.device_peak(name, precision)[0] == peak
    # 1 GFLOP forward per image, 8 images in 10 ms: 3 x 8 GFLOP / 0.01 s = 2.4 TFLOP/s.
    entry = gpu_benchmark._entry(0.01, 1.0, 8, 1e9, peak)
    assert entry["achieved_tflops_per_s"] == pytest.approx(2.4)
    if peak is None:
        assert entry["mfu"] is None and "MFU unknown" in gpu_benchmark._line(entry, None)
    else:
        assert entry["mfu"] == pytest.approx(2.4e12 / peak)
        assert f"{100 * 2.4e12 / peak:.1f}%" in gpu_benchmark._line(entry, gpu_benchmark.device_peak(name)[1])


def test_kernel_breakdown_counts_each_convolutions_flops():
    lines = [
        "onednn_verbose,v1,primitive,exec,cpu,convolution,brg_conv_fwd:avx512_core_bf16,forward_training,"
        "src:bf16::blocked:acdb::f0,attr-post-ops:eltwise_relu,alg:convolution_direct,"
        "mb2_ic3oc4_ih8oh8kh3sh1dh0ph1_iw8ow8kw3sw1dw0pw1,0.5",
        "onednn_verbose,v1,primitive,exec,cpu,convolution,jit_bf16:avx512_core_bf16,backward_weights,"
        "src:bf16::blocked:acdb::f0,,alg:convolution_direct,mb2_ic3oc4_ih8oh4kh3sh2dh0ph1_iw8ow4kw3sw2dw0pw1,0.25",
        "onednn_verbose,v1,primitive,exec,cpu,reorder,jit:uni,undef,src:bf16::blocked:ABcd16b16a::f0,,,4x3x3x3,0.1",
        "onednn_verbose,v1,primitive,exec,cpu,reorder,simple:any,undef,src:f32::blocked:a::f0,,,4,0.1",
        "onednn_verbose,v1,primitive,create:cache_miss,cpu,convolution,x,forward_training,,,,mb1_ic1oc1_ih1oh1kh1,9",
        "something else",
    ]
    rows = step_probe.kernel_breakdown(lines * 2, steps=2)  # two steps of the same calls
    by_kind = {r["kind"]: r for r in rows}
    forward = by_kind["convolution forward_training"]
    # 2 images x 4 out channels x 8x8 outputs x 3 in channels x 3x3 taps, 2 FLOPs each.
    assert forward["gflops_per_step"] * 1e9 == 2 * 2 * 4 * 8 * 8 * 3 * 9 == 27648
    assert forward["ms_per_step"] == pytest.approx(0.5) and forward["calls"] == 1
    assert forward["tflops_per_s"] == pytest.approx(27648 / 0.5e-3 / 1e12)
    weights = by_kind["convolution backward_weights"]  # stride 2: a quarter of the outputs
    assert weights["gflops_per_step"] * 1e9 == 27648 / 4
    reorder = by_kind["reorder"]  # both reorders, whatever their implementation
    assert reorder["calls"] == 1 and reorder["ms_per_step"] == pytest.approx(0.1) and reorder["tflops_per_s"] is None
    assert [r["kind"] for r in rows][0] == "convolution forward_training"  # slowest first
    assert len(rows) == 4  # the creation line and the stray line are not executions


def test_rates_against_the_peak_by_wall_and_cpu_time():
    pk = {"cores": 2, "bf16_tflops": 2.4, "fp32_tflops": 1.2}
    # 1 GFLOP forward per image, 8 images: 24 GFLOP per step in 10 ms of wall and 20 ms of CPU time.
    r = peak_stage.rates({"median_s": 0.01, "cpu_median_s": 0.02}, 8, 1e9, pk)
    assert r["images_per_s"] == pytest.approx(800) and r["cpu_ms_per_image"] == pytest.approx(2.5)
    assert r["tflops_per_s"] == pytest.approx(2.4) and r["fraction_of_peak"] == pytest.approx(1.0)
    assert r["fraction_of_fp32_peak"] == pytest.approx(2.0)
    # Per CPU second: 1.2 TFLOP/s, one core's peak.
    assert r["tflops_per_cpu_s"] == pytest.approx(1.2) and r["cpu_fraction_of_peak"] == pytest.approx(1.0)


def test_the_probe_line_and_the_inference_verdict():
    line = "clock_ghz=4.2805 bf16_flops_per_cycle=127.18 fp32_flops_per_cycle=63.75 sink=6.44e+09\n"
    assert peak.parse_probe(line) == {
        "clock_ghz": 4.2805,
        "bf16_flops_per_cycle": 127.18,
        "fp32_flops_per_cycle": 63.75,
    }
    assert report.inference_verdict({"max_levels": 17.8, "speedup": 2.5}).startswith("float32 kept (over 2")
    assert report.inference_verdict({"max_levels": 1.0, "speedup": 0.8}) == "float32 kept (bfloat16 is not faster)"
    assert report.inference_verdict({"max_levels": 1.0, "speedup": 2.0}).startswith("bfloat16 pays")
