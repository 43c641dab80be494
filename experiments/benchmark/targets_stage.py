"""The targets stage: in-graph soft targets and losses per example, next to
the reference code's offline encoding timed in the same run."""

import glob
import os

import numpy as np
import tensorflow as tf

from colorize.data import pipeline
from colorize.errors import ColorizeError
from colorize.nets import losses, targets
from experiments import reference_targets
from experiments.benchmark.config import TARGET_LOSSES, dataset_config
from experiments.benchmark.timing import log, measure, measure_paired


def stored_bytes_per_example(builder):
    """Bytes of TFRecord shards per example of a prepared TFDS builder (all
    splits together: the sketches and the color image, PNG-encoded)."""
    files = glob.glob(os.path.join(builder.data_dir, "*.tfrecord*"))
    examples = sum(split.num_examples for split in builder.info.splits.values())
    if not files or not examples:
        raise ColorizeError(f"{builder.data_dir}: no TFRecord shards to measure")
    return sum(os.path.getsize(f) for f in files) / examples


def _per_example(fn, inputs, batch, repeats):
    """Milliseconds per example of `fn(*inputs)` (a tf.function returning
    tensors) at batch 1 and at `batch`."""

    def run(n):
        return lambda: [t.numpy() for t in fn(*(x[:n] for x in inputs))]

    one = measure(run(1), repeats)["median_s"]
    many = measure(run(batch), repeats)["median_s"]
    return {"ms_per_example": 1e3 * one, "ms_per_batch": 1e3 * many, "ms_per_example_in_batch": 1e3 * many / batch}


def stage_targets(budget, args, repeats):
    """Targets, and targets plus loss, next to the reference's offline NumPy
    encoding, all timed in this run.

    Per color space, per example (at batch 1 and in a batch): the factored
    targets the training loss uses (`targets.soft_factors`); the 512-wide
    targets (`targets.encode_colors`); targets plus the variant's loss
    (`losses.soft_cross_entropy`, weighted, with the saturation term in
    LCH), its value alone and its value and gradient w.r.t. the logits (what
    a training step pays); the same from materialized targets; and the floor
    of any 512-class loss, softmax cross entropy with hard labels (no soft
    targets), value and gradient.
    """
    config = dataset_config(args, budget["small_preset"])
    builder = pipeline.ensure_dataset(config)
    batch = budget["target_batch"]
    colors = builder.as_dataset(split="train").map(lambda e: e["color"]).repeat().batch(batch).take(1)
    colors = next(iter(colors))  # (batch, 256, 256, 3) uint8: dataset windows
    size = reference_targets.OUTPUT_SIZE
    rng = np.random.default_rng(0)
    logits = tf.constant(rng.normal(0.0, 2.0, (batch, size, size, 512)).astype("float32"))  # (b, 64, 64, Q)
    labels = tf.constant(rng.integers(0, 512, (batch, size, size)).astype("int32"))
    weights = targets.rebalance_weights(rng.dirichlet(np.full(512, 0.3)))  # a skewed prior's weights
    result = {"input_size": int(colors.shape[1]), "output_size": size, "batch": batch, "dataset": config.dataset}

    def value_and_grad(loss_fn):
        @tf.function
        def fn(rgb, x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                value = tf.reduce_mean(loss_fn(rgb, x))
            return value, tape.gradient(value, x)

        return fn

    for space, spec in TARGET_LOSSES.items():
        loss_args = (space, weights, spec["saturation_weight"])

        def factored(rgb, x, loss_args=loss_args):
            return losses.soft_cross_entropy(rgb, x, *loss_args)

        def materialized(rgb, x, loss_args=loss_args):
            return losses.materialized_soft_cross_entropy(rgb, x, *loss_args)

        def floor(rgb, x):  # hard labels: no targets at all
            return tf.nn.sparse_softmax_cross_entropy_with_logits(labels[: tf.shape(x)[0]], x)

        fns = {
            "factors": tf.function(lambda rgb, space=space: targets.soft_factors(rgb, space, size=(size, size))),
            "materialized": tf.function(
                lambda rgb, space=space: [targets.encode_colors(rgb, space, size=(size, size))]
            ),
            "loss_value": tf.function(lambda rgb, x, f=factored: [tf.reduce_mean(f(rgb, x))]),
            "loss": value_and_grad(factored),
            "materialized_loss": value_and_grad(materialized),
            "floor_loss": value_and_grad(floor),
        }
        entry = {"variant": spec["variant"]}
        for name, fn in fns.items():
            inputs = (colors,) if name in ("factors", "materialized") else (colors, logits)
            entry[name] = _per_example(fn, inputs, batch, repeats)
        # The loss with its gradient against the floor on the same logits, in alternation (the goal: <= 1.1x).
        _, _, ratio = measure_paired(
            lambda f=fns["loss"]: [t.numpy() for t in f(colors, logits)],
            lambda f=fns["floor_loss"]: [t.numpy() for t in f(colors, logits)],
            repeats,
        )
        entry["loss_over_floor"] = {"ratio": ratio["ratio"], "cpu_ratio": ratio["cpu_ratio"]}
        result[space] = entry
        log(
            "targets",
            f"{space} ({spec['variant']} loss), ms per example in a batch of {batch}: "
            + ", ".join(f"{name} {entry[name]['ms_per_example_in_batch']:.3f}" for name in fns),
        )

    examples = colors.numpy()[: budget["reference_examples"]]
    ref = measure(lambda: [reference_targets.reference_targets(x) for x in examples], repeats)["median_s"]
    ref_ms = 1e3 * ref / len(examples)
    stored = stored_bytes_per_example(builder)
    ref_bytes = reference_targets.reference_bytes_per_example()
    result.update(
        reference={"ms_per_example": ref_ms, "bytes_per_example": ref_bytes, "examples": len(examples)},
        stored_bytes_per_example=stored,
        storage_ratio=ref_bytes / stored,
    )
    for space in TARGET_LOSSES:
        result[space]["speedup"] = {
            name: ref_ms / timing["ms_per_example_in_batch"]
            for name, timing in result[space].items()
            if isinstance(timing, dict) and "ms_per_example_in_batch" in timing
        }
    log(
        "targets",
        f"reference NumPy (timed now, {len(examples)} examples): {ref_ms:.1f} ms and "
        f"{ref_bytes / 2**20:.1f} MiB per example; ours stores {stored / 1024:.1f} KiB per example "
        "(whole example, no targets)",
    )
    for space in TARGET_LOSSES:
        sp, floor = result[space]["speedup"], result[space]["loss_over_floor"]
        log(
            "targets",
            f"{space}: targets {sp['factors']:.0f}x cheaper than the reference's encoding; targets + loss and "
            f"gradient {floor['ratio']:.2f}x the hard-label floor (CPU time {floor['cpu_ratio']:.2f}x)",
        )
    return result
