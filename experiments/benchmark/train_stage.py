"""The train stage: `Trainer`'s step for every variant next to the bare
network's, the input pipeline, and FLOPs (checked against TensorFlow's
profiler)."""

import statistics
import tempfile

import keras
import numpy as np
import tensorflow as tf
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

from colorize import runs, variants
from colorize.data import pipeline
from colorize.nets import models
from colorize.training import distribution, task, trainer
from experiments.benchmark.config import dataset_config
from experiments.benchmark.flops import forward_flops, input_shape
from experiments.benchmark.timing import log, measure, measure_paired


def profiler_flops(net, height, width=None):
    """FLOPs of one forward pass as TensorFlow's graph profiler counts them
    in the frozen inference graph: an independent check of `forward_flops`."""
    width = width or height

    @tf.function
    def forward(x):
        return net(x, training=False)

    # One example of every input (the sketch; with hints their color and mask; a palette).
    image = tf.nest.map_structure(lambda x: tf.TensorSpec(input_shape(x.shape, height, width), tf.float32), net.input)
    concrete = forward.get_concrete_function(image)
    graph = convert_variables_to_constants_v2(concrete).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    info = tf.compat.v1.profiler.profile(graph=graph, run_meta=tf.compat.v1.RunMetadata(), cmd="op", options=options)
    return int(info.total_float_ops)


def _trainer(config, work_dir, strategy):
    """A real `colorize.training.trainer.Trainer` in a scratch run directory."""
    run_dir = tempfile.mkdtemp(prefix=f"{config.variant}-{config.preset}-", dir=work_dir)
    runs.save_config(config, run_dir)
    return trainer.Trainer(task.ColorizationTask(config), run_dir, strategy)


def bare_step(net, strategy, learning_rate, loss_of=None, jit_compile=False):
    """The network's forward+backward with a trivial loss (the mean of its
    outputs) and Adam, under the same tf.function + strategy.run as the
    Trainer's step: the floor of a training step.

    `loss_of(outputs) -> scalar` replaces the trivial loss (the hard-label
    floor of the classification losses, `hard_label_loss`); `jit_compile`
    compiles the replica's step with XLA, as `--xla` does the Trainer's."""
    with strategy.scope():
        optimizer = keras.optimizers.Adam(learning_rate)
        optimizer.build(net.trainable_variables)

    def step_fn(inputs):
        with tf.GradientTape() as tape:
            out = tf.cast(net(inputs, training=True), tf.float32)
            loss = tf.reduce_mean(out) if loss_of is None else loss_of(out)
        grads = tape.gradient(loss, net.trainable_variables)
        optimizer.apply_gradients(zip(grads, net.trainable_variables, strict=True))
        return loss

    if jit_compile:
        step_fn = tf.function(step_fn, jit_compile=True)

    @tf.function
    def step(inputs):
        return strategy.run(step_fn, args=(inputs,))

    return step


def hard_label_loss(batch_size, image_size, seed=0):
    """Softmax cross entropy with fixed random hard labels at the logits'
    resolution (a quarter of `image_size`): the cheapest 512-class loss,
    no soft targets, no weights. Returns `loss(logits) -> scalar`."""
    side = image_size // 4
    labels = tf.constant(np.random.default_rng(seed).integers(0, 512, (batch_size, side, side)).astype("int32"))

    def loss(logits):  # (b, h, w, 512)
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))

    return loss


def random_inputs(net, batch_size, image_size, seed=0):
    """Random inputs of a network, as the pipeline shapes them: a uint8
    sketch; with hints their float32 color and 0/1 mask; a palette of zeros."""
    rng = np.random.default_rng(seed)

    def one(name, x):
        if name == models.PALETTE:  # (b, num_classes): none given
            return tf.zeros((batch_size, x.shape[-1]), tf.float32)
        shape = (batch_size, image_size, image_size, x.shape[-1])
        if name == models.HINT_MASK:
            return tf.constant((rng.random(shape) < 0.05).astype("float32"))
        if name == models.HINT_COLOR:
            return tf.constant(rng.integers(0, 256, shape).astype("float32"))
        return tf.constant(rng.integers(0, 256, shape).astype("uint8"))

    if isinstance(net.input, dict):
        return {name: one(name, x) for name, x in net.input.items()}
    return one(models.SKETCH, net.input)


def _floor_timing(net, strategy, config, batch, bare, repeats):
    """The step with the cheapest 512-class loss, softmax cross entropy with
    hard labels (no soft targets, no weights), timed in alternation with the
    bare step: what any classification loss costs on top of the network."""
    floor = bare_step(net, strategy, config.learning_rate, hard_label_loss(config.batch_size, config.image_size))
    step, _, ratio = measure_paired(lambda: floor(batch[0]).numpy(), lambda: bare(batch[0]).numpy(), repeats)
    log(
        "train",
        f"{config.preset} hard-label softmax cross entropy (the floor of a 512-class loss): "
        f"{ratio['ratio']:.2f}x the bare step (CPU time {ratio['cpu_ratio']:.2f}x; "
        f"fastest runs {ratio['min_ratio']:.2f}x)",
    )
    return {
        "step_ms": 1e3 * step["median_s"],
        "overhead_ratio": ratio["ratio"],
        "cpu_overhead_ratio": ratio["cpu_ratio"],
        "min_overhead_ratio": ratio["min_ratio"],
    }


def _train_preset(preset, budget, args, work_dir, strategy, repeats, batch_size=None, variant_names=()):
    """Step throughput of each variant of a preset, timed in alternation with
    the bare step of its network, and the networks' FLOPs."""
    base = dataset_config(args, preset)
    base = base.replace(batch_size=batch_size or base.batch_size)
    b = base.batch_size
    out = {"image_size": base.image_size, "batch_size": b, "width": base.width, "variants": {}, "bare": {}, "floor": {}}
    batch = next(iter(pipeline.make_dataset(base, "train", training=True)))  # (sketch, color) uint8
    bare_steps, bare_timings = {}, {}
    for name in variant_names:
        config = variants.resolve(name, preset, dataset=base.dataset, data_dir=base.data_dir, batch_size=b)
        trainer = _trainer(config, work_dir, strategy)
        kind = config.model
        if kind not in bare_steps:
            bare_steps[kind] = bare_step(trainer.net, strategy, base.learning_rate)
            flops = forward_flops(trainer.net, base.image_size)
            out["bare"][kind] = {
                "forward_gflops_per_image": flops / 1e9,
                "profiler_gflops_per_image": profiler_flops(trainer.net, base.image_size) / 1e9,
            }
        bare = bare_steps[kind]
        if kind == "classification" and kind not in out["floor"]:
            out["floor"][kind] = _floor_timing(trainer.net, strategy, base, batch, bare, repeats)
        step, bare_t, ratio = measure_paired(
            lambda trainer=trainer: trainer.train_step(batch).numpy(), lambda bare=bare: bare(batch[0]).numpy(), repeats
        )
        bare_timings.setdefault(kind, []).append(bare_t)
        gflops = out["bare"][kind]["forward_gflops_per_image"]
        out["variants"][name] = {
            "step_ms": 1e3 * step["median_s"],
            "images_per_s": b / step["median_s"],
            # CPU time is what contention for the CPU changes least.
            "cpu_ms_per_image": 1e3 * step["cpu_median_s"] / b,
            "overhead_ratio": ratio["ratio"],
            "cpu_overhead_ratio": ratio["cpu_ratio"],
            "min_overhead_ratio": ratio["min_ratio"],
            "achieved_gflops_per_s": 3 * gflops * b / step["median_s"],
        }
        log(
            "train",
            f"{preset} {name}: {b / step['median_s']:.2f} images/s ({1e3 * step['median_s']:.0f} ms/step, "
            f"batch {b}); {ratio['ratio']:.2f}x the bare step (CPU time {ratio['cpu_ratio']:.2f}x; "
            f"fastest runs {ratio['min_ratio']:.2f}x)",
        )
    for kind, timings in bare_timings.items():
        # Every timed bare step of this network, over all its variants.
        seconds = statistics.median(t["median_s"] for t in timings)
        cpu = statistics.median(t["cpu_median_s"] for t in timings)
        entry = out["bare"][kind]
        entry.update(
            step_ms=1e3 * seconds,
            images_per_s=b / seconds,
            cpu_ms_per_image=1e3 * cpu / b,
            achieved_gflops_per_s=3 * entry["forward_gflops_per_image"] * b / seconds,
        )
        log(
            "train",
            f"{preset} bare {kind}: {b / seconds:.2f} images/s, "
            f"{entry['forward_gflops_per_image']:.3g} GFLOPs forward per image "
            f"(profiler {entry['profiler_gflops_per_image']:.3g}), "
            f"{entry['achieved_gflops_per_s']:.1f} GFLOP/s achieved",
        )
    return out


def stage_train(budget, args, work_dir, repeats):
    """Training-step throughput, loss overhead, input pipeline and FLOPs."""
    strategy, _, _, _ = distribution.make_strategy()
    result = {"presets": {}}
    small = budget["small_preset"]
    result["presets"][small] = _train_preset(
        small, budget, args, work_dir, strategy, repeats, variant_names=budget["train_variants"]
    )
    if budget["paper_variants"]:
        result["presets"]["paper"] = _train_preset(
            "paper",
            budget,
            args,
            work_dir,
            strategy,
            budget["paper_repeats"],
            batch_size=budget["paper_batch"],
            variant_names=budget["paper_variants"],
        )
    config = dataset_config(args, small)
    iterator = iter(pipeline.make_dataset(config, "train", training=True))
    n = budget["pipeline_batches"]

    def read_batches():
        for _ in range(n):
            next(iterator)[0].numpy()

    t = measure(read_batches, repeats)["median_s"]
    fastest = max(v["images_per_s"] for v in result["presets"][small]["variants"].values())
    result["input_pipeline"] = {
        "preset": small,
        "image_size": config.image_size,
        "batch_size": config.batch_size,
        "images_per_s": n * config.batch_size / t,
        "ratio_to_fastest_step": n * config.batch_size / t / fastest,
    }
    log(
        "train",
        f"input pipeline ({small}): {n * config.batch_size / t:.0f} images/s, "
        f"{n * config.batch_size / t / fastest:.1f}x the fastest train step",
    )
    return result
