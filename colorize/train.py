"""Trains one of the paper's variants: `python -m colorize.train --variant rebalance`.

Parses flags, resolves and records the config in the run directory, and
hands off to `Trainer`, a custom training loop run with `strategy.run`
(the pattern TensorFlow documents for custom loops under tf.distribute; Keras
3's `model.fit` fails under MultiWorkerMirroredStrategy, keras-team/keras#20585).

- One machine: MirroredStrategy over its GPUs (or the CPU).
- Several: MultiWorkerMirroredStrategy when TF_CONFIG names a cluster; each
  worker reads its own shard of the data, only the chief writes summaries,
  grids and the final model, and the other workers write their (required)
  checkpoint copies into their own folders.
- Rerunning the same command resumes from the last checkpoint (weights,
  optimizer state, step, epoch, learning-rate schedule state).
"""

import argparse
import json
import math
import os
import shutil
import sys
import time

import numpy as np

from colorize import errors, fileio, variants
from colorize.errors import ColorizeError, cli

CHECKPOINTS = "checkpoints"
FINAL_MODEL = "model.keras"
HISTORY = "history.json"


def _parser():
    variant_lines = "\n".join(f"  {name:<15} {text}" for name, text in variants.VARIANT_HELP.items())
    p = argparse.ArgumentParser(
        prog="python -m colorize.train",
        description="Train a line-drawing colorization model (one of the paper's five variants).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"variants:\n{variant_lines}\n\npresets: {', '.join(variants.PRESETS)} "
        "(small: minutes on a 2-core CPU; paper: 256 px, full width, batch 24)\n\n"
        "Rerunning the same command resumes from the last checkpoint.",
    )
    p.add_argument("--variant", default="rebalance", help="one of: " + ", ".join(variants.VARIANTS))
    p.add_argument("--preset", default="small", help="one of: " + ", ".join(variants.PRESETS))
    p.add_argument("--run-dir", default=None, help="run directory (default: runs/VARIANT-PRESET)")
    p.add_argument("--dataset", default=None, help="TFDS name/config (default: sketch_colorization/synthetic)")
    p.add_argument("--data-dir", default=None, help="TFDS data directory (default: ~/tensorflow_datasets)")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--steps-per-epoch", type=int, default=None, help="0: one pass over the training split")
    p.add_argument("--batch-size", type=int, default=None, help="global batch size (all replicas)")
    p.add_argument("--learning-rate", type=float, default=None)
    p.add_argument("--width", type=float, default=None, help="channel multiplier (1.0: the paper's network)")
    p.add_argument("--image-size", type=int, default=None, help="training resolution (multiple of 8, <= 256)")
    p.add_argument("--sketch", default=None, help="network input: line, binary, or mix (robust to real sketches)")
    p.add_argument("--precision", default=None, help="float32, mixed_float16 or mixed_bfloat16")
    p.add_argument("--xla", action="store_true", default=None, help="jit_compile the train step (one replica only)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--log-every", type=int, default=None, help="steps between progress lines")
    p.add_argument("--checkpoint-every", type=int, default=None, help="steps between mid-epoch checkpoints")
    return p


def parse_args(argv):
    return errors.parse_args(_parser(), argv)


# Flags that may differ when a run is resumed (to extend it); any other
# explicit flag must match the run directory's recorded config.
RESUMABLE_CHANGES = {"epochs", "steps_per_epoch", "log_every", "checkpoint_every"}


def resolve_config(args):
    """The run's config: from the flags, or from the run directory when it
    resumes one (explicit flags must then agree with it)."""
    overrides = dict(
        dataset=args.dataset,
        data_dir=args.data_dir,
        epochs=args.epochs,
        steps_per_epoch=args.steps_per_epoch,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        width=args.width,
        image_size=args.image_size,
        sketch=args.sketch,
        precision=args.precision,
        jit_compile=args.xla,
        seed=args.seed,
        log_every=args.log_every,
        checkpoint_every=args.checkpoint_every,
    )
    config = variants.resolve(args.variant, args.preset, **overrides)
    run_dir = args.run_dir or os.path.join("runs", f"{config.variant}-{config.preset}")
    if os.path.exists(os.path.join(run_dir, variants.CONFIG_FILE)):
        saved = variants.load(run_dir)
        if saved.variant != config.variant:
            raise ColorizeError(
                f"{run_dir}: this run directory holds a {saved.variant!r} run, not {config.variant!r}; "
                "pick another --run-dir"
            )
        given = {k: v for k, v in overrides.items() if v is not None}
        if args.preset != saved.preset:
            given["preset"] = args.preset
        for key, value in given.items():
            if key not in RESUMABLE_CHANGES and getattr(saved, key) != value:
                raise ColorizeError(
                    f"{run_dir}: resuming a run made with {key}={getattr(saved, key)!r}, "
                    f"but {key}={value!r} was given; use another --run-dir for a new run"
                )
        config = saved.replace(**{k: v for k, v in given.items() if k in RESUMABLE_CHANGES})
    elif os.path.exists(run_dir) and not os.path.isdir(run_dir):
        raise ColorizeError(f"{run_dir}: exists and is not a directory")
    return config, run_dir


def make_strategy():
    """MultiWorkerMirroredStrategy when TF_CONFIG names a cluster, else
    MirroredStrategy over the local GPUs (or the CPU).

    Returns:
        (strategy, task_type, task_index, is_chief)
    """
    import tensorflow as tf  # noqa: PLC0415

    tf_config = os.environ.get("TF_CONFIG")
    if tf_config:
        try:
            spec = json.loads(tf_config)
            cluster = spec.get("cluster", {})
            task = spec.get("task", {})
            task_type, task_index = task["type"], int(task["index"])
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise ColorizeError(f"TF_CONFIG is not a valid cluster spec ({e})") from None
        workers = len(cluster.get("worker", [])) + len(cluster.get("chief", []))
        if workers > 1:
            strategy = tf.distribute.MultiWorkerMirroredStrategy()
            has_chief = "chief" in cluster
            is_chief = task_type == "chief" or (not has_chief and task_type == "worker" and task_index == 0)
            return strategy, task_type, task_index, is_chief
    return tf.distribute.MirroredStrategy(), "chief", 0, True


def class_weights(config, builder):
    """Rebalancing weights from the training split's class prior.

    The prior is counted once per dataset, color space and resolution, at
    the logits' resolution (a quarter of the training size, where the loss
    weights pixels), and cached next to the dataset.
    """
    from colorize import data, targets  # noqa: PLC0415

    out = config.image_size // 4
    path = os.path.join(builder.data_dir, f"class_prior_{config.space}_{out}px.json")
    prior = targets.load_or_compute_prior(
        path, lambda: data.color_batches(config, "train"), config.space, size=(out, out)
    )
    return targets.rebalance_weights(prior, config.rebalance_lambda)


class Trainer:
    """The custom training loop of one run.

    Args:
        config: the resolved `variants.Config`.
        run_dir: where config, checkpoints, logs, grids and the model go.
        strategy: a `tf.distribute.Strategy`.
        is_chief: whether this worker writes the shared outputs.
        task_index: this worker's index (names its private checkpoint folder).
    """

    def __init__(self, config, run_dir, strategy, is_chief=True, task_index=0):
        import keras  # noqa: PLC0415
        import tensorflow as tf  # noqa: PLC0415

        from colorize import data, losses, models  # noqa: PLC0415

        self.config = config
        self.run_dir = run_dir
        self.strategy = strategy
        self.is_chief = is_chief
        self.task_index = task_index
        keras.mixed_precision.set_global_policy(config.precision)
        keras.utils.set_random_seed(config.seed)

        self.builder = data.ensure_dataset(config)
        self.num_train = data.num_examples(self.builder, "train")
        self.global_batch = config.batch_size
        self.steps_per_epoch = config.steps_per_epoch or max(1, self.num_train // self.global_batch)
        weights = class_weights(config, self.builder) if config.rebalance and config.model == "classification" else None

        with strategy.scope():
            # Several replicas: batch statistics are synchronized so that all
            # keep identical moving statistics.
            sync = strategy.num_replicas_in_sync > 1
            self.net = models.build_net(config.model, width=config.width, sync_batch_norm=sync)
            optimizer = keras.optimizers.Adam(config.learning_rate)
            if config.precision == "mixed_float16":
                optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
            self.optimizer = optimizer
            self.optimizer.build(self.net.trainable_variables)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
            # Plateau schedule state: best validation loss, epochs without improvement.
            self.best = tf.Variable(np.inf, dtype=tf.float32, trainable=False, name="best_val_loss")
            self.wait = tf.Variable(0, dtype=tf.int64, trainable=False, name="plateau_wait")
            self.loss_fn = losses.for_config(config, weights)
        self.checkpoint = tf.train.Checkpoint(
            net=self.net, optimizer=self.optimizer, step=self.step, best=self.best, wait=self.wait
        )
        self.checkpoint_dir = os.path.join(run_dir, CHECKPOINTS)
        # Every worker must save (the save runs collectives); only the chief's
        # copy is kept, the others go to private folders.
        save_dir = self.checkpoint_dir if is_chief else os.path.join(run_dir, "workers", f"worker{task_index}")
        self.manager = tf.train.CheckpointManager(self.checkpoint, save_dir, max_to_keep=config.keep_checkpoints)
        self.writer = (
            tf.summary.create_file_writer(os.path.join(run_dir, "logs")) if is_chief else tf.summary.create_noop_writer()
        )
        self._train_step = self._make_train_step()

    # -- steps ---------------------------------------------------------------

    def _per_example_loss(self, sketch, color, training):
        import keras  # noqa: PLC0415

        out = self.net(sketch, training=training)
        return self.loss_fn(keras.ops.cast(color, "float32"), out)  # (b,)

    def _make_train_step(self):
        import tensorflow as tf  # noqa: PLC0415

        net, optimizer, strategy = self.net, self.optimizer, self.strategy
        global_batch = self.global_batch

        def step_fn(sketch, color):
            with tf.GradientTape() as tape:
                per_example = self._per_example_loss(sketch, color, training=True)
                loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch)
                scaled = optimizer.scale_loss(loss)
            grads = tape.gradient(scaled, net.trainable_variables)
            optimizer.apply_gradients(zip(grads, net.trainable_variables))
            return loss

        # XLA works with one replica on this stack; not with several.
        if self.config.jit_compile and strategy.num_replicas_in_sync == 1:
            step_fn = tf.function(step_fn, jit_compile=True)

        @tf.function(autograph=False)  # straight-line code: nothing to convert
        def train_step(batch):
            per_replica = strategy.run(step_fn, args=batch)
            return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

        return train_step

    def _make_eval_fns(self):
        import tensorflow as tf  # noqa: PLC0415

        from colorize import color, models  # noqa: PLC0415

        colorizer = models.build_colorizer(self.net, self.config.space, self.config.temperature)

        @tf.function(autograph=False)  # straight-line code: nothing to convert
        def eval_step(sketch, color_img):
            per_example = self._per_example_loss(sketch, color_img, training=False)
            rgb = colorizer(sketch, training=False)  # (b, H, W, 3) 0..255
            truth = tf.cast(color_img, tf.float32)
            mse = tf.reduce_mean(tf.square(rgb - truth), axis=[1, 2, 3])
            chroma = color.rgb_to_lch(rgb / 255.0)[..., 1]
            chroma_true = color.rgb_to_lch(truth / 255.0)[..., 1]
            return per_example, mse, tf.reduce_mean(chroma, [1, 2]), tf.reduce_mean(chroma_true, [1, 2]), rgb

        return eval_step

    # -- loop ----------------------------------------------------------------

    def restore(self):
        """Restores the latest checkpoint (the chief's); returns its step."""
        import tensorflow as tf  # noqa: PLC0415

        latest = tf.train.latest_checkpoint(self.checkpoint_dir)
        if latest:
            self.checkpoint.restore(latest).assert_existing_objects_matched()
            print(f"resuming from {latest} (step {int(self.step.numpy())})", flush=True)
        return int(self.step.numpy())

    def save_checkpoint(self):
        self.manager.save(checkpoint_number=int(self.step.numpy()))
        if not self.is_chief:
            # Keep nothing outside the chief's folder.
            shutil.rmtree(self.manager.directory, ignore_errors=True)

    def fit(self):
        """Trains to `config.epochs`, resuming where a previous run stopped.

        Returns:
            The history: a list of per-epoch dicts of metrics.
        """
        import tensorflow as tf  # noqa: PLC0415

        from colorize import data  # noqa: PLC0415

        config = self.config
        start = self.restore()
        total = config.epochs * self.steps_per_epoch
        history = self._load_history()
        if start >= total:
            print(f"{self.run_dir}: already trained to epoch {config.epochs} (step {start})", flush=True)
            return history

        train_ds = self.strategy.distribute_datasets_from_function(
            lambda ctx: data.make_dataset(config, "train", training=True, input_context=ctx)
        )
        iterator = iter(train_ds)
        # Built once; each epoch iterates it again (same batches every time).
        val_ds = data.make_dataset(config, "validation", training=False)
        if config.validation_batches:
            val_ds = val_ds.take(config.validation_batches)
        eval_step = self._make_eval_fns()
        print(
            f"training {config.variant} ({config.preset} preset, {self.net.count_params():,} parameters) on "
            f"{config.dataset}: {self.num_train} examples, {self.steps_per_epoch} steps/epoch x {config.epochs} "
            f"epochs, global batch {self.global_batch}, {self.strategy.num_replicas_in_sync} replica(s)",
            flush=True,
        )
        step = start
        epoch_loss, epoch_steps = 0.0, 0
        t_log, n_log = time.perf_counter(), 0
        while step < total:
            loss = float(self._train_step(next(iterator)))
            if not math.isfinite(loss):
                raise ColorizeError(f"loss became {loss} at step {step + 1}; lower --learning-rate")
            self.step.assign_add(1)
            step += 1
            epoch_loss += loss
            epoch_steps += 1
            n_log += 1
            epoch = (step - 1) // self.steps_per_epoch + 1
            in_epoch = (step - 1) % self.steps_per_epoch + 1
            if step % config.log_every == 0 or in_epoch == self.steps_per_epoch:
                elapsed = time.perf_counter() - t_log
                lr = float(self.optimizer.learning_rate.numpy())
                print(
                    f"epoch {epoch}/{config.epochs} step {in_epoch}/{self.steps_per_epoch} "
                    f"loss {epoch_loss / epoch_steps:.4f} lr {lr:.1e} "
                    f"{n_log * self.global_batch / max(elapsed, 1e-9):.1f} img/s",
                    flush=True,
                )
                with self.writer.as_default(step=step):
                    tf.summary.scalar("train/loss", loss)
                    tf.summary.scalar("train/learning_rate", lr)
                t_log, n_log = time.perf_counter(), 0
            if in_epoch == self.steps_per_epoch:
                metrics = self.end_epoch(epoch, epoch_loss / epoch_steps, eval_step, val_ds)
                history = [h for h in history if h["epoch"] != epoch] + [metrics]
                if self.is_chief:
                    fileio.write_atomic(os.path.join(self.run_dir, HISTORY), json.dumps(history, indent=1) + "\n")
                self.save_checkpoint()
                epoch_loss, epoch_steps = 0.0, 0
                t_log, n_log = time.perf_counter(), 0
            elif step % config.checkpoint_every == 0:
                self.save_checkpoint()
        self.save_final()
        return history

    def end_epoch(self, epoch, train_loss, eval_step, val):
        """Validation, plateau schedule, summaries and the image grid."""
        import tensorflow as tf  # noqa: PLC0415

        config = self.config
        sums = np.zeros(4)
        count = 0
        grid = None
        for sketch, color_img in val:
            per_example, mse, chroma, chroma_true, rgb = eval_step(sketch, color_img)
            sums += [float(tf.reduce_sum(v)) for v in (per_example, mse, chroma, chroma_true)]
            count += int(sketch.shape[0])
            if grid is None:
                grid = image_grid(sketch.numpy(), rgb.numpy(), color_img.numpy())
        val_loss, val_mse, val_chroma, true_chroma = (sums / max(count, 1)).tolist()
        lr = float(self.optimizer.learning_rate.numpy())
        # Divide the learning rate by 10 when validation loss plateaus.
        if count and val_loss < float(self.best.numpy()) - 1e-4:
            self.best.assign(val_loss)
            self.wait.assign(0)
        elif count:
            self.wait.assign_add(1)
            if int(self.wait.numpy()) >= config.plateau_patience and lr > config.min_learning_rate:
                lr = max(lr * config.plateau_factor, config.min_learning_rate)
                self.optimizer.learning_rate.assign(lr)
                self.wait.assign(0)
                print(f"validation loss plateaued: learning rate -> {lr:.1e}", flush=True)
        metrics = dict(
            epoch=epoch,
            step=int(self.step.numpy()),
            train_loss=train_loss,
            val_loss=val_loss,
            val_rgb_mse=val_mse,
            val_chroma=val_chroma,
            val_true_chroma=true_chroma,
            learning_rate=lr,
        )
        print(
            f"epoch {epoch}: train loss {train_loss:.4f}  val loss {val_loss:.4f}  val RGB MSE {val_mse:.1f}  "
            f"val chroma {val_chroma:.2f} (ground truth {true_chroma:.2f})",
            flush=True,
        )
        if self.is_chief:
            with self.writer.as_default(step=int(self.step.numpy())):
                for key in ("val_loss", "val_rgb_mse", "val_chroma", "val_true_chroma"):
                    tf.summary.scalar(f"validation/{key[4:]}", metrics[key])
                tf.summary.scalar("train/epoch_loss", train_loss)
                if grid is not None:
                    tf.summary.image("validation/sketch_prediction_truth", grid[np.newaxis], max_outputs=1)
            self.writer.flush()
            if grid is not None:
                fileio.save_png(os.path.join(self.run_dir, "grids", f"epoch_{epoch:03d}.png"), grid)
        return metrics

    def save_final(self):
        """Writes the trained net as `.keras` (chief only). The saved copy
        has plain batch norm, so it loads anywhere (JAX backend included)."""
        from colorize import models  # noqa: PLC0415

        if self.is_chief:
            path = os.path.join(self.run_dir, FINAL_MODEL)
            tmp = os.path.join(self.run_dir, "model.tmp.keras")
            net = self.net
            if net.sync_batch_norm:
                net = models.build_net(self.config.model, width=self.config.width)
                net.set_weights(self.net.get_weights())
            net.save(tmp)
            os.replace(tmp, path)
            print(f"saved {path}", flush=True)

    def _load_history(self):
        path = os.path.join(self.run_dir, HISTORY)
        if os.path.exists(path):
            try:
                with open(path) as f:
                    return json.load(f)
            except ValueError:
                return []
        return []


def image_grid(sketches, predictions, truths, max_rows=6):
    """Rows of (sketch | prediction | ground truth) as one RGB uint8 image."""
    rows = []
    for sketch, pred, truth in list(zip(sketches, predictions, truths))[:max_rows]:
        s = np.repeat(sketch.astype(np.uint8), 3, axis=-1)
        p = np.clip(np.round(pred), 0, 255).astype(np.uint8)
        rows.append(np.concatenate([s, p, truth.astype(np.uint8)], axis=1))
    return np.concatenate(rows, axis=0)


def load_run(run_dir, temperature=None):
    """A trained run: its config and its colorizer (raw sketch in, RGB 0..255
    out).

    Raises:
        ColorizeError: not a run directory, or no trained model in it.
    """
    import keras  # noqa: PLC0415

    from colorize import layers, losses, models  # noqa: F401, PLC0415 (registers classes)

    config = variants.load(run_dir)
    path = os.path.join(run_dir, FINAL_MODEL)
    if not os.path.isfile(path):
        raise ColorizeError(f"{run_dir}: no trained model ({FINAL_MODEL} is missing; finish training first)")
    try:
        net = keras.models.load_model(path, compile=False)
    except Exception as e:  # Keras raises many types for a broken archive.
        raise ColorizeError(f"{path}: cannot load model ({str(e).splitlines()[0]})") from None
    colorizer = models.build_colorizer(net, config.space, temperature or config.temperature)
    return config, net, colorizer


def run(argv=None):
    """Parses flags and trains; returns the `Trainer` (for tests and tools)."""
    args = parse_args(argv)
    config, run_dir = resolve_config(args)
    strategy, _, task_index, is_chief = make_strategy()
    fileio.ensure_writable_dir(run_dir, "the run directory")
    # The config is recorded once the data is found: a run that could not
    # start (say, a wrong --data-dir) does not pin its run directory to the
    # flags it was given.
    trainer = Trainer(config, run_dir, strategy, is_chief=is_chief, task_index=task_index)
    if is_chief:
        variants.save(config, run_dir)
    history = trainer.fit()
    trainer.history = history
    if history and is_chief:
        last = history[-1]
        print(
            f"done: {run_dir} (epoch {last['epoch']}: val loss {last['val_loss']:.4f}, "
            f"val chroma {last['val_chroma']:.2f} vs ground truth {last['val_true_chroma']:.2f})",
            flush=True,
        )
    return trainer


@cli
def main(argv=None):
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
