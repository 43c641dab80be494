"""The stages, their budgets (full and quick) and the data they read."""

import os
import tempfile

from colorize import variants

STAGES = ("build", "targets", "train", "peak", "inference")


DEFAULT_JSON = os.path.join("experiments", "results", "benchmark.json")


QUICK_JSON = os.path.join(tempfile.gettempdir(), "colorize-benchmark-quick.json")


# The budget of each mode. Full: the README's figures; quick: seconds, for
# the tests (timings meaningless, every code path exercised).
BUDGETS = {
    "full": dict(
        repeats=3,
        synthetic_images=40,
        folder_images=200,
        tfds_builds=3,
        target_batch=24,
        reference_examples=4,
        small_preset="small",
        train_variants=tuple(variants.VARIANTS),
        paper_variants=tuple(variants.VARIANTS),
        paper_batch=2,
        paper_repeats=2,
        pipeline_batches=20,
        inference_preset="small",
        inference_sizes=(256, 512, 1024),
        inference_batch=8,
        parity_sketches=12,
        matmul_size=4096,
        peak_preset="small",
        peak_widths=(0.25, 0.5, 1.0),
        loop_variant="lch",
        loop_width=0.5,
        loop_precisions=("float32", "mixed_bfloat16"),
        loop_log_every=5,
        loop_intervals=3,
        limits_width=0.5,
        limits_batches=(8, 32),
        probes=(
            "default",
            "inter-op pool of 1 thread",
            "1 thread (inter-op and intra-op)",
            "oneDNN off (TF_ENABLE_ONEDNN_OPTS=0)",
            "float32",
            "float32, oneDNN off (TF_ENABLE_ONEDNN_OPTS=0)",
        ),
        probe_steps=3,
        kernels=True,
    ),
    "quick": dict(
        repeats=2,
        synthetic_images=2,
        folder_images=3,
        tfds_builds=1,
        target_batch=4,
        reference_examples=1,
        small_preset="tiny",
        train_variants=("chroma",),
        paper_variants=(),
        paper_batch=1,
        paper_repeats=1,
        pipeline_batches=2,
        inference_preset="tiny",
        inference_sizes=(64,),
        inference_batch=2,
        parity_sketches=2,
        matmul_size=256,
        peak_preset="tiny",
        peak_widths=(0.0625,),
        loop_variant="lch",
        loop_width=0.0625,
        loop_precisions=("mixed_bfloat16",),
        loop_log_every=2,
        loop_intervals=1,
        limits_width=0.0625,
        limits_batches=(4,),
        probes=(),
        probe_steps=1,
        kernels=True,
    ),
}


def dataset_config(args, preset):
    """The config whose dataset the data-dependent stages read."""
    dataset = args.dataset or ("sketch_colorization/synthetic_tiny" if args.quick else "sketch_colorization/synthetic")
    return variants.resolve("rebalance", preset, dataset=dataset, data_dir=args.data_dir or "")


# The loss each space is timed with: the variants that train over it.
TARGET_LOSSES = {
    "rgb": dict(variant="rebalance", saturation_weight=0.0),
    "lch": dict(variant="chroma", saturation_weight=1.0),
}
