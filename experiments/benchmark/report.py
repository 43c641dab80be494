"""The results as table rows and as the README's Markdown table."""

from colorize import variants
from experiments.benchmark.config import TARGET_LOSSES


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
    labels = {
        "factors": "factored targets",
        "loss_value": "targets + loss value",
        "loss": "targets + loss and gradient",
        "materialized_loss": "512-wide targets + loss and gradient",
        "floor_loss": "hard-label softmax CE and gradient (floor)",
    }
    for space in TARGET_LOSSES:
        if space not in t:
            continue
        e = t[space]
        for key, label in labels.items():
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
    return rows


def markdown_table(rows):
    lines = ["| stage | measure | value | baseline | ratio |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
