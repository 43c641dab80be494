"""The results as table rows and as the README's Markdown table."""

from colorize import variants
from experiments.benchmark.config import TARGET_LOSSES

MAX_INFERENCE_LEVELS = 2.0  # bfloat16 inference only within this many levels of float32 (issue 21)
LOOP_GOAL = 0.9  # the loop at least this share of the bare step's images/s
LOSS_GOAL = 1.1  # a loss with its gradient at most this multiple of the hard-label floor


def _target_rows(t):
    """The targets stage's table rows (also of results written before the
    factored losses: `ours_SPACE` entries, the materialized encoding)."""
    ref = t["reference"]["ms_per_example"]
    rows = []
    if "rgb" not in t:  # results of an older benchmark
        for space in ("rgb", "lch"):
            o = t[f"ours_{space}"]
            rows.append(
                (
                    "targets",
                    f"in-graph {space}: ms per example (batch 1)",
                    f"{o['ms_per_example']:.2f}",
                    f"reference {ref:.1f}",
                    f"{ref / o['ms_per_example']:.0f}x faster",
                )
            )
            rows.append(
                (
                    "targets",
                    f"in-graph {space}: ms per example (batch {t['batch']})",
                    f"{o['ms_per_example_in_batch']:.2f}",
                    f"reference {ref:.1f}",
                    f"{ref / o['ms_per_example_in_batch']:.0f}x faster",
                )
            )
    for space in TARGET_LOSSES:
        if space not in t:
            continue
        e = t[space]
        # The encodings against the reference's offline encoding of the same examples.
        for key, label in (("factors", "factored targets"), ("materialized", "512-wide targets")):
            if key not in e:
                continue
            ms = e[key]["ms_per_example_in_batch"]
            rows.append(
                (
                    "targets",
                    f"{space} ({e['variant']}): {label}, ms per example (batch {t['batch']})",
                    f"{ms:.3f}",
                    f"reference {ref:.1f}",
                    f"{ref / ms:.0f}x cheaper",
                )
            )
        # A loss with its gradient against the floor of any 512-class loss on the same logits.
        floor = e["floor_loss"]["ms_per_example_in_batch"]
        for key, label in (
            ("loss_value", "targets + loss value"),
            ("loss", "targets + loss and gradient"),
            ("materialized_loss", "512-wide targets + loss and gradient"),
        ):
            ms = e[key]["ms_per_example_in_batch"]
            rows.append(
                (
                    "targets",
                    f"{space} ({e['variant']}): {label}, ms per example (batch {t['batch']})",
                    f"{ms:.3f}",
                    f"floor {floor:.3f}",
                    f"{ms / floor:.2f}x floor",
                )
            )
    rows.append(
        (
            "targets",
            "bytes stored per example (KiB)",
            f"{t['stored_bytes_per_example'] / 1024:.1f}",
            f"reference {t['reference']['bytes_per_example'] / 1024:.0f}",
            f"{t['storage_ratio']:.0f}x smaller",
        )
    )
    return rows


def _overhead(v):
    """'1.10x bare step (CPU time 1.20x; fastest runs 1.08x)'; results from
    before `min_overhead_ratio` have no third figure."""
    best = f"; fastest runs {v['min_overhead_ratio']:.2f}x" if "min_overhead_ratio" in v else ""
    return f"{v['overhead_ratio']:.2f}x bare step (CPU time {v['cpu_overhead_ratio']:.2f}x{best})"


def table_rows(stages):
    """The summary table: (stage, measure, value, baseline, ratio) rows."""
    rows = []
    if "build" in stages:
        b = stages["build"]
        for key in ("synthetic", "folder"):
            r = b[key]
            rows.append(
                (
                    "build",
                    f"{key}: images/s ({r['images']} images, {r['windows']} windows)",
                    f"{r['images_per_s']:.1f}",
                    f"floor {r['floor_images_per_s']:.1f}",
                    f"{r['ratio']:.2f}x floor (CPU time {r['cpu_ratio']:.2f}x)",
                )
            )
        r = b["tfds_build"]
        rows.append(
            (
                "build",
                f"tfds build synthetic_tiny: images/s ({r['images']} images)",
                f"{r['images_per_s']:.1f}",
                f"{r['seconds']:.1f} s",
                "",
            )
        )
    if "targets" in stages:
        rows += _target_rows(stages["targets"])
    if "train" in stages:
        for preset, p in stages["train"]["presets"].items():
            for name, v in p["variants"].items():
                rows.append(
                    (
                        "train",
                        f"{preset} {name}: images/s (batch {p['batch_size']}, {p['image_size']} px)",
                        f"{v['images_per_s']:.2f}",
                        f"bare {p['bare'][variants.VARIANTS[name]['model']]['images_per_s']:.2f}",
                        _overhead(v),
                    )
                )
            for kind, v in p.get("floor", {}).items():
                rows.append(
                    (
                        "train",
                        f"{preset} {kind} net + hard-label softmax CE (512-class loss floor): ms/step",
                        f"{v['step_ms']:.0f}",
                        "bare step",
                        _overhead(v),
                    )
                )
            for kind, v in p["bare"].items():
                rows.append(
                    (
                        "train",
                        f"{preset} {kind} net: GFLOPs/image forward, GFLOP/s achieved",
                        f"{v['forward_gflops_per_image']:.2f}, {v['achieved_gflops_per_s']:.1f}",
                        f"profiler {v['profiler_gflops_per_image']:.2f}",
                        "",
                    )
                )
        ip = stages["train"]["input_pipeline"]
        rows.append(
            (
                "train",
                f"input pipeline ({ip['preset']}): images/s",
                f"{ip['images_per_s']:.0f}",
                "",
                f"{ip['ratio_to_fastest_step']:.1f}x fastest step",
            )
        )
    if "inference" in stages:
        i = stages["inference"]
        for size, ms in i["latency_ms"].items():
            rows.append(
                (
                    "inference",
                    f"SavedModel {size} px: ms (PNG in/out; uint8 in)",
                    f"{ms:.1f}; {i['sketch_latency_ms'][size]:.1f}",
                    f"floor {i['floor_ms'][size]:.1f} (network {i['network_ms']:.1f}, "
                    f"PNG {i['png_codec_ms'][size]:.1f})",
                    f"{i['ratio_to_floor'][size]:.1f}x floor",
                )
            )
        bt = i["batch"]
        rows.append(
            (
                "inference",
                f"SavedModel batch {bt['batch']} x {bt['size']} px: images/s (PNG; uint8)",
                f"{bt['images_per_s']:.1f}; {bt['sketch_images_per_s']:.1f}",
                "",
                "",
            )
        )
        if "precision" in i:
            q = i["precision"]
            rows.append(
                (
                    "inference",
                    f"shipped model's color step, {q['size']} px sketch: bfloat16 ms; its colors' difference from "
                    f"float32 in levels over {q.get('sketches', 1)} sketches (max; p99)",
                    f"{q['bfloat16_ms']:.1f}; {q['max_levels']:.1f}; {q['p99_levels']:.2f}",
                    f"float32 {q['float32_ms']:.1f}",
                    f"{q['speedup']:.1f}x float32's speed: {inference_verdict(q)}",
                )
            )
    return rows


def markdown_table(rows):
    lines = ["| stage | measure | value | baseline | ratio |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def inference_verdict(q):
    """Whether inference may run bfloat16: faster and within `MAX_INFERENCE_LEVELS` of float32."""
    if q["max_levels"] > MAX_INFERENCE_LEVELS:
        return f"float32 kept (over {MAX_INFERENCE_LEVELS:g} levels)"
    if q["speedup"] <= 1.0:
        return "float32 kept (bfloat16 is not faster)"
    return f"bfloat16 pays (within {MAX_INFERENCE_LEVELS:g} levels)"


def _pct(x):
    return f"{100 * x:.0f}%"


def _peak_line(pk):
    """The peak and where each of its numbers comes from."""
    src = pk["sources"]
    if pk.get("clock_ghz"):
        head = (
            f"**Peak:** {pk['cores']} cores x {pk['clock_ghz']:.2f} GHz x {pk['bf16_flops_per_cycle']} bfloat16 "
            f"FLOPs/cycle = **{pk['bf16_tflops']:.2f} TFLOP/s** (float32 FMA: {pk['fp32_flops_per_cycle']} "
            f"FLOPs/cycle, {pk['fp32_tflops']:.2f} TFLOP/s). Cores: {src['cores']}; clock: {src['clock_ghz']}; "
            f"bfloat16: {src['bf16_flops_per_cycle']} ({pk['measured_bf16_flops_per_cycle']:.1f}); float32: "
            f"{src['fp32_flops_per_cycle']} ({pk['measured_fp32_flops_per_cycle']:.1f})."
        )
    else:
        head = f"**Peak:** {pk['bf16_tflops']:.2f} TFLOP/s bfloat16 ({src['bf16_tflops']}; {src['clock_ghz']})."
    units = ", ".join(pk["cpu_flags"]) or "none"
    bf16, fp32 = pk["matmul"]["bfloat16"], pk["matmul"]["float32"]
    return (
        f"{head} bfloat16 units in /proc/cpuinfo: {units}. TensorFlow's {bf16['n']}^3 matmul reaches "
        f"{bf16['tflops_per_s']:.2f} TFLOP/s in bfloat16 ({_pct(bf16['tflops_per_s'] / pk['bf16_tflops'])} of the "
        f"peak) and {fp32['tflops_per_s']:.2f} in float32."
    )


def peak_markdown(stages):
    """The README's tables of the train step against the CPU's peak: the
    peak, float32 and bfloat16 at each width, the loop against the bare
    step, the loss against its floor (from the targets stage), and what
    limits the step."""
    p = stages["peak"]
    pk = p["peak"]
    out = [_peak_line(pk), ""]
    out += [
        f"The bare train step ({p['preset']} preset: {p['image_size']} px, batch {p['batch_size']}; the "
        f"classification net with hint and palette inputs, hard-label softmax cross entropy, Adam), float32 and "
        "bfloat16 timed in alternation; TFLOP/s count forward+backward as 3x the forward FLOPs; % of the bfloat16 "
        "peak by wall time, and per CPU second (what the cores it got could do):",
        "",
        "| width | GFLOPs/image (forward) | float32 images/s | bfloat16 images/s | bfloat16 speedup (CPU time) "
        "| float32 TFLOP/s, % of peak (per CPU s) | bfloat16 TFLOP/s, % of peak (per CPU s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for w in p["widths"]:
        f, b = w["float32"], w["mixed_bfloat16"]
        out.append(
            f"| {w['width']:g} | {w['forward_gflops_per_image']:.2f} | {f['images_per_s']:.1f} | "
            f"{b['images_per_s']:.1f} | {w['speedup']:.2f}x ({w['cpu_speedup']:.2f}x) | "
            f"{f['tflops_per_s']:.2f}, {_pct(f['fraction_of_peak'])} ({_pct(f['cpu_fraction_of_peak'])}) | "
            f"{b['tflops_per_s']:.2f}, {_pct(b['fraction_of_peak'])} ({_pct(b['cpu_fraction_of_peak'])}) |"
        )
    out += [
        "",
        "| the loop, `Trainer.fit` | loop images/s | its step on a fixed batch | bare step | loop / bare step "
        "(CPU time) | goal (CPU time) |",
        "|---|---|---|---|---|---|",
    ]
    for e in p["loop"]:
        ok = "met" if e["cpu_loop_over_bare"] >= LOOP_GOAL else "not met"
        out.append(
            f"| {e['variant']}, width {e['width']:g}, {e['precision']} ({e['loop_steps']} steps timed) | "
            f"{e['loop']['images_per_s']:.1f} | {e['trainer_step']['images_per_s']:.1f} | "
            f"{e['bare_step']['images_per_s']:.1f} | {e['loop_over_bare']:.2f}x ({e['cpu_loop_over_bare']:.2f}x) | "
            f">= {LOOP_GOAL}x: {ok} |"
        )
    if "targets" in stages:
        t = stages["targets"]
        out += [
            "",
            f"| the loss with its gradient, {t['output_size']}x{t['output_size']}x512 logits, batch {t['batch']} "
            "| ms per example | floor: hard-label softmax CE and gradient | ratio, in alternation (CPU time) "
            "| goal (CPU time) |",
            "|---|---|---|---|---|",
        ]
        for space in TARGET_LOSSES:
            e = t[space]
            ms, floor = e["loss"]["ms_per_example_in_batch"], e["floor_loss"]["ms_per_example_in_batch"]
            paired = e.get("loss_over_floor", {"ratio": ms / floor, "cpu_ratio": ms / floor})
            ok = "met" if paired["cpu_ratio"] <= LOSS_GOAL else "not met"
            out.append(
                f"| {space} ({e['variant']}): targets + loss | {ms:.2f} | {floor:.2f} | {paired['ratio']:.2f}x "
                f"({paired['cpu_ratio']:.2f}x) | <= {LOSS_GOAL}x: {ok} |"
            )
    out += ["", *_limit_lines(p["limits"], pk)]
    return "\n".join(out)


def _limit_lines(lim, pk):
    """What limits the bfloat16 step: each thing tried, and the kernels."""
    base = lim["base"]
    out = [
        f"| what limits the bfloat16 step (width {lim['width']:g}, batch {lim['batch_size']}) | images/s | "
        "CPU ms/image | time against the step as trained |",
        "|---|---|---|---|",
        f"| the step as trained: oneDNN, NHWC, no XLA, TensorFlow's thread pools | {base['images_per_s']:.1f} | "
        f"{base['cpu_ms_per_image']:.1f} | 1.00x |",
        f"| XLA (`jit_compile`; its CPU convolutions are not oneDNN's) | {lim['xla']['images_per_s']:.1f} | "
        f"{lim['xla']['cpu_ms_per_image']:.1f} | {lim['xla']['over_base']:.2f}x (CPU time "
        f"{lim['xla']['cpu_over_base']:.2f}x) |",
    ]
    for batch, r in lim["batch_sizes"].items():
        out.append(
            f"| batch {batch} | {r['images_per_s']:.1f} | {r['cpu_ms_per_image']:.1f} | "
            f"{r['cpu_ms_per_image'] / base['cpu_ms_per_image']:.2f}x per image (CPU time) |"
        )
    h = lim["head_and_loss"]
    out.append(
        f"| the 512-class head (float32) and the loss: their share of the step | | | "
        f"{_pct(h['share_of_step'])} (CPU time {_pct(h['cpu_share_of_step'])}) |"
    )
    lay = lim["layout"]
    out.append(
        f"| NCHW instead of NHWC: one 3x3 convolution ({lay['channels']} channels, {lay['side']}x{lay['side']}, "
        f"batch {lay['batch']}), forward and gradients | | | "
        + (
            f"not run: {lay['unsupported']} |"
            if lay["nchw_over_nhwc"] is None
            else f"{lay['nchw_over_nhwc']:.2f}x (CPU time {lay['cpu_nchw_over_nhwc']:.2f}x) |"
        )
    )
    procs = lim.get("processes", {})
    default = procs.get("default")
    for name, r in procs.items():
        if name == "default":
            continue
        against = f"{r['cpu_ms_per_image'] / default['cpu_ms_per_image']:.2f}x per image (CPU time)" if default else ""
        out.append(f"| fresh process: {name} | {r['images_per_s']:.2f} | {r['cpu_ms_per_image']:.1f} | {against} |")
    if default:
        out.append(
            f"| fresh process: as trained (the control of the rows above) | {default['images_per_s']:.2f} | "
            f"{default['cpu_ms_per_image']:.1f} | 1.00x |"
        )
    if "kernels" in lim:
        k = lim["kernels"]
        out += [
            "",
            "| where the bfloat16 step's time goes (oneDNN's log, one inter-op thread) | ms/step | share of the step "
            f"| TFLOP/s | % of peak (of the {k.get('cores_used', float('nan')):.2f} cores it got) |",
            "|---|---|---|---|---|",
        ]
        for e in k["list"]:
            if e["share_of_step"] < 0.01:
                continue
            rate = "" if e["tflops_per_s"] is None else f"{e['tflops_per_s']:.2f}"
            frac = "" if e["fraction_of_peak"] is None else _pct(e["fraction_of_peak"])
            if frac and "fraction_of_cores_got" in e:
                frac += f" ({_pct(e['fraction_of_cores_got'])})"
            out.append(
                f"| {e['kind']} (`{e['implementation']}`, {e['calls']} per step) | {e['ms_per_step']:.1f} | "
                f"{_pct(e['share_of_step'])} | {rate} | {frac} |"
            )
        rest = k["step_ms"] - k["onednn_ms"]
        # oneDNN runs bfloat16 convolutions only on a CPU with bfloat16 units; elsewhere TensorFlow's own kernels do.
        own = "batch norm, softmax, Adam, casts" + (
            "" if any(e["kind"].startswith("convolution") for e in k["list"]) else "; and every convolution"
        )
        out.append(
            f"| outside oneDNN: TensorFlow's own ops ({own}) and the gaps between ops | "
            f"{rest:.1f} | {_pct(rest / k['step_ms'])} | | |"
        )
    return out
