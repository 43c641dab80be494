"""The training loop: runs a `ColorizationTask` under a `tf.distribute` strategy.

A custom loop with `strategy.run` (the pattern TensorFlow documents for custom
loops under tf.distribute; Keras 3's `model.fit` fails under
MultiWorkerMirroredStrategy, keras-team/keras#20585):

- progress lines every `config.log_every` steps and at the end of each epoch;
- a `tf.train.Checkpoint` (network, optimizer, step, plateau rule) every
  `config.checkpoint_every` steps and after each epoch; rerunning resumes from
  the latest one, mid-epoch included;
- end-of-epoch validation, the plateau learning-rate rule
  (`schedules.PlateauSchedule`), summaries and image grids
  (`summaries.SummaryWriter`) and the history (`runs.save_history`);
- the network of the epoch with the lowest validation loss so far, as a run
  of its own (`runs.best_dir`): the rotating checkpoints
  (`config.keep_checkpoints`) soon lose it in a long run;
- with `config.average_from`, the mean of the networks at the ends of epochs
  from that one on (stochastic weight averaging), as a run of its own
  (`runs.average_dir`);
- the final network (`trained.save_net`), with plain batch norm.

Under MultiWorkerMirroredStrategy every worker runs the same loop; only the
chief writes the shared outputs, and the others write their (required)
checkpoint copies into private folders that are removed again.
"""

import json
import math
import os
import shutil
import time

import numpy as np
import tensorflow as tf

from colorize import fileio, runs
from colorize.errors import ColorizeError
from colorize.nets import models, trained
from colorize.training import schedules, summaries

VALIDATION_KEYS = ("loss", "rgb_mse", "chroma", "true_chroma", "hue_right", "hue_pixels")


class Trainer:
    """The training loop of one run.

    Args:
        task: a `task.ColorizationTask`.
        run_dir: where checkpoints, logs, grids, history and the model go.
        strategy: a `tf.distribute.Strategy`.
        is_chief: whether this worker writes the shared outputs.
        task_index: this worker's index (names its private checkpoint folder).
    """

    def __init__(self, task, run_dir, strategy, is_chief=True, task_index=0):
        config = task.config
        self.task = task
        self.config = config
        self.run_dir = run_dir
        self.strategy = strategy
        self.is_chief = is_chief
        self.task_index = task_index
        self.global_batch = config.batch_size
        self.steps_per_epoch = config.steps_per_epoch or max(1, task.num_train // self.global_batch)

        with strategy.scope():
            # Several replicas: batch statistics are synchronized so that all
            # keep identical moving statistics.
            self.net = task.build_model(sync_batch_norm=strategy.num_replicas_in_sync > 1)
            self.optimizer = task.build_optimizer()
            self.optimizer.build(self.net.trainable_variables)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
            self.schedule = schedules.PlateauSchedule(
                config.learning_rate,
                factor=config.plateau_factor,
                patience=config.plateau_patience,
                min_learning_rate=config.min_learning_rate,
            )
        self.checkpoint = tf.train.Checkpoint(
            net=self.net, optimizer=self.optimizer, step=self.step, plateau=self.schedule
        )
        # Every worker must save (the save runs collectives); only the chief's
        # copy is kept, the others go to private folders.
        save_dir = runs.checkpoint_dir(run_dir) if is_chief else runs.checkpoint_dir(run_dir, task_index)
        self.manager = tf.train.CheckpointManager(self.checkpoint, save_dir, max_to_keep=config.keep_checkpoints)
        self.writer = summaries.SummaryWriter(run_dir, enabled=is_chief)
        self.train_step = self._make_train_step()
        self.history = []
        # Per progress line: (images, wall seconds, process CPU seconds) of
        # the steps since the last line, as it prints them (the benchmark
        # reads the loop's throughput here).
        self.intervals = []

    def _make_train_step(self):
        task, net, optimizer, strategy = self.task, self.net, self.optimizer, self.strategy
        global_batch = self.global_batch

        def step_fn(sketch, color_img):
            return task.train_step((sketch, color_img), net, optimizer, global_batch)

        # XLA works with one replica on this stack; not with several.
        if self.config.jit_compile and strategy.num_replicas_in_sync == 1:
            step_fn = tf.function(step_fn, jit_compile=True)

        @tf.function(autograph=False)  # straight-line code: nothing to convert
        def train_step(batch):
            per_replica = strategy.run(step_fn, args=batch)
            return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

        return train_step

    def _make_validation_step(self):
        task, net = self.task, self.net
        colorizer = task.build_colorizer(net)

        @tf.function(autograph=False)  # straight-line code: nothing to convert
        def validation_step(sketch, color_img):
            return task.validation_step((sketch, color_img), net, colorizer)

        return validation_step

    @property
    def learning_rate(self):
        """The optimizer's learning rate now (a float)."""
        return float(self.optimizer.learning_rate.numpy())

    # -- checkpoints -----------------------------------------------------------

    def restore(self):
        """Restores the latest checkpoint (the chief's).

        Returns:
            The global step restored (0 when there is no checkpoint).
        """
        latest = tf.train.latest_checkpoint(runs.checkpoint_dir(self.run_dir))
        if latest:
            self.checkpoint.restore(latest).assert_existing_objects_matched()
            self.optimizer.learning_rate.assign(self.schedule.current)
            print(f"resuming from {latest} (step {int(self.step.numpy())})", flush=True)
        elif self.config.init_from:
            self.warm_start(self.config.init_from)
        return int(self.step.numpy())

    def warm_start(self, source):
        """Copies the network weights of another run (or packed model) into
        this run's network: fine-tuning starts from them, with a fresh
        optimizer and schedule.

        Weights go layer by layer, by name. A source without a palette input
        may start a run with one: the palette's layer (`models._global_hint`)
        keeps its zero start, so the network computes what the source did.

        Raises:
            ColorizeError: `source` is not a trained run, or its network
                (model, width, hints) differs from this run's.
        """
        theirs, net = trained.load_net(source)
        mine = self.config
        for key in ("model", "width", "hints"):
            if getattr(theirs, key) != getattr(mine, key):
                raise ColorizeError(
                    f"--init-from {source}: its network has {key}={getattr(theirs, key)!r}, "
                    f"this run's has {key}={getattr(mine, key)!r}"
                )
        if theirs.palette and not mine.palette:
            raise ColorizeError(f"--init-from {source}: its network has a palette input, this run's has none")
        own = {layer.name: layer for layer in self.net.layers}
        copied = 0
        for layer in net.layers:
            weights = layer.get_weights()
            if weights:
                own[layer.name].set_weights(weights)
                copied += 1
        theirs_names = {layer.name for layer in net.layers}
        fresh = sorted(name for name, layer in own.items() if layer.weights and name not in theirs_names)
        extra = f"; new layers start fresh: {', '.join(fresh)}" if fresh else ""
        print(f"starting from the weights of {source} ({copied} layers){extra}", flush=True)

    def save_checkpoint(self):
        """Saves the training state (every worker must call it)."""
        self.manager.save(checkpoint_number=int(self.step.numpy()))
        if not self.is_chief:
            # Keep nothing outside the chief's folder.
            shutil.rmtree(self.manager.directory, ignore_errors=True)

    # -- the loop --------------------------------------------------------------

    def fit(self):
        """Trains to `config.epochs`, resuming where a previous run stopped.

        Returns:
            The history: a list of per-epoch dicts of metrics (also written to
            the run directory by the chief).

        Raises:
            ColorizeError: the loss became NaN or infinite.
            KeyboardInterrupt: interrupted (after saving a checkpoint at the
                step reached, on one machine: `_save_on_interrupt`).
        """
        config = self.config
        start = self.restore()
        total = config.epochs * self.steps_per_epoch
        self.history = runs.load_history(self.run_dir)
        if start >= total:
            # Also how a run stopped early is finished where it got to:
            # `--epochs N` with N at most the epochs it reached writes the
            # final network from the last checkpoint.
            print(f"{self.run_dir}: already trained to epoch {config.epochs} (step {start})", flush=True)
            if self._final_is_stale():
                self.save_final()
            return self.history

        train_ds = self.strategy.distribute_datasets_from_function(
            lambda ctx: self.task.build_inputs("train", training=True, input_context=ctx)
        )
        iterator = iter(train_ds)
        # Built once; each epoch iterates it again (same batches every time).
        val_ds = self.task.build_inputs("validation", training=False)
        validation_step = self._make_validation_step()
        print(
            f"training {config.variant} ({config.preset} preset, {self.net.count_params():,} parameters) on "
            f"{config.dataset}: {self.task.num_train} examples, {self.steps_per_epoch} steps/epoch x {config.epochs} "
            f"epochs, global batch {self.global_batch}, {self.strategy.num_replicas_in_sync} replica(s)",
            flush=True,
        )
        step = start
        # Process CPU seconds (every thread: the input pipeline's too), added
        # to those of the run before a resume, for comparisons per CPU-hour.
        self.cpu_base = self.history[-1].get("cpu_seconds", 0.0) if self.history else 0.0
        self.cpu_start = time.process_time()
        try:
            self._loop(step, total, iterator, validation_step, val_ds)
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (`colorize.train`): keep the steps done
            self._save_on_interrupt()
            raise
        self.save_final()
        return self.history

    def _save_on_interrupt(self):
        """Saves a checkpoint at the step reached and says how to resume.

        Only on one machine: a multi-worker save needs every worker, and the
        others are not interrupted with this one; there the last regular
        checkpoint stays, and the message says so."""
        step = int(self.step.numpy())
        if isinstance(self.strategy, tf.distribute.MultiWorkerMirroredStrategy):
            latest = tf.train.latest_checkpoint(runs.checkpoint_dir(self.run_dir))
            where = f"its last checkpoint is {latest}" if latest else "it has no checkpoint yet"
            print(f"interrupted at step {step}: {where}; run the same command on every worker to resume", flush=True)
            return
        self.save_checkpoint()
        print(
            f"interrupted at step {step}: saved {self.manager.latest_checkpoint}; run the same command to resume",
            flush=True,
        )

    def _loop(self, step, total, iterator, validation_step, val_ds):
        """`fit`'s steps from `step` to `total` (epochs end with validation,
        the history and a checkpoint)."""
        config = self.config
        epoch_loss, epoch_steps = 0.0, 0
        t_log, cpu_log, n_log = time.perf_counter(), time.process_time(), 0
        while step < total:
            loss = float(self.train_step(next(iterator)))
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
                self.intervals.append((n_log * self.global_batch, elapsed, time.process_time() - cpu_log))
                lr = self.learning_rate
                per_step = elapsed / n_log  # seconds, at the latest pace (validation not counted)
                print(
                    f"epoch {epoch}/{config.epochs} step {in_epoch}/{self.steps_per_epoch} "
                    f"loss {epoch_loss / epoch_steps:.4f} lr {lr:.1e} "
                    f"{n_log * self.global_batch / max(elapsed, 1e-9):.1f} img/s; epoch ends in about "
                    f"{duration((self.steps_per_epoch - in_epoch) * per_step)}, the run in "
                    f"{duration((total - step) * per_step)}",
                    flush=True,
                )
                self.writer.scalars(step, {"train/loss": loss, "train/learning_rate": lr})
                t_log, cpu_log, n_log = time.perf_counter(), time.process_time(), 0
            if in_epoch == self.steps_per_epoch:
                metrics = self.end_epoch(epoch, epoch_loss / epoch_steps, validation_step, val_ds)
                self.history = [h for h in self.history if h["epoch"] != epoch] + [metrics]
                if self.is_chief:
                    runs.save_history(self.history, self.run_dir)
                    if metrics["val_loss"] <= min(h["val_loss"] for h in self.history):
                        self.save_best(metrics)
                    if config.average_from and epoch >= config.average_from:
                        self.save_average(epoch)
                self.save_checkpoint()
                epoch_loss, epoch_steps = 0.0, 0
                t_log, cpu_log, n_log = time.perf_counter(), time.process_time(), 0
            elif step % config.checkpoint_every == 0:
                self.save_checkpoint()

    def validate(self, validation_step, val_ds):
        """Means of the validation figures over `val_ds`, and the first
        batch's image grid.

        Returns:
            (means, count, grid): a dict of the `VALIDATION_KEYS` but
            `hue_pixels` -> float (0.0 when `count` is 0), `hue_right` the
            share of the colored pixels whose hue bin the network gets right
            (None when there is none, or for a regression network), the
            number of examples, and the grid (or None).
        """
        sums = np.zeros(len(VALIDATION_KEYS))
        count = 0
        grid = None
        for inputs, color_img in val_ds:  # inputs: the sketch, or the dict of sketch and hints
            out = validation_step(inputs, color_img)
            sketch = self.task.sketch_of(inputs)
            sums += [float(tf.reduce_sum(out[key])) for key in VALIDATION_KEYS]
            count += int(sketch.shape[0])
            if grid is None:
                grid = summaries.image_grid(sketch.numpy(), out["rgb"].numpy(), color_img.numpy())
        means = dict(zip(VALIDATION_KEYS, (sums / max(count, 1)).tolist(), strict=True))
        # Pooled over the split's colored pixels (None: none, or a regression network).
        pixels = means.pop("hue_pixels")
        means["hue_right"] = means["hue_right"] / pixels if pixels > 0 else None
        return means, count, grid

    def end_epoch(self, epoch, train_loss, validation_step, val_ds):
        """Validation, the plateau rule, summaries and the image grid.

        Returns:
            The epoch's history entry (a dict).
        """
        val, count, grid = self.validate(validation_step, val_ds)
        if count:
            # Divide the learning rate by 10 when validation loss plateaus.
            lowered = self.schedule.update(val["loss"])
            if lowered is not None:
                self.optimizer.learning_rate.assign(lowered)
                print(f"validation loss plateaued: learning rate -> {lowered:.1e}", flush=True)
        metrics = dict(
            epoch=epoch,
            step=int(self.step.numpy()),
            train_loss=train_loss,
            val_loss=val["loss"],
            val_rgb_mse=val["rgb_mse"],
            val_chroma=val["chroma"],
            val_true_chroma=val["true_chroma"],
            val_hue_right=val["hue_right"],
            learning_rate=self.learning_rate,
            cpu_seconds=self.cpu_base + time.process_time() - self.cpu_start,
        )
        print(
            f"epoch {epoch}: train loss {train_loss:.4f}  val loss {val['loss']:.4f}  val RGB MSE "
            f"{val['rgb_mse']:.1f} (PSNR {10.0 * math.log10(255.0**2 / max(val['rgb_mse'], 1e-9)):.2f} dB)  "
            f"val chroma {val['chroma']:.2f} (ground truth {val['true_chroma']:.2f})"
            + ("" if val["hue_right"] is None else f"  val hue right {val['hue_right']:.3f}"),
            flush=True,
        )
        scalars = {f"validation/{key}": value for key, value in val.items() if value is not None}
        self.writer.scalars(metrics["step"], {**scalars, "train/epoch_loss": train_loss})
        if grid is not None:
            self.writer.grid(metrics["step"], epoch, grid)
        self.writer.flush()
        return metrics

    def _final_is_stale(self):
        """Whether the final network is missing or older than the last checkpoint."""
        final = runs.model_path(self.run_dir)
        latest = tf.train.latest_checkpoint(runs.checkpoint_dir(self.run_dir))
        if not os.path.isfile(final):
            return True
        return bool(latest) and os.path.getmtime(latest + ".index") > os.path.getmtime(final)

    def save_average(self, epoch):
        """Adds this epoch's network to the run's running mean of networks,
        `runs.average_dir` (its config, network and `runs.AVERAGE_EPOCHS`:
        the epochs in it); chief only.

        The mean is over every weight, batch norm's moving statistics
        included (their mean stands in for statistics recomputed under the
        mean weights). An epoch already in the mean (a rerun of its last
        steps after an interruption) is not added twice; a mean holding
        epochs before `config.average_from` (the flag was raised on resume)
        starts again. The folder is replaced whole, so an interruption
        leaves the old mean or the new one.
        """
        average = runs.average_dir(self.run_dir)
        old = average + ".old"
        if not os.path.isdir(average) and os.path.isdir(old):
            os.replace(old, average)  # interrupted between the two renames below
        epochs = []
        if os.path.isfile(os.path.join(average, runs.AVERAGE_EPOCHS)):
            with open(os.path.join(average, runs.AVERAGE_EPOCHS)) as f:
                epochs = json.load(f)["epochs"]
            if epoch in epochs:
                return
            if min(epochs) < self.config.average_from:
                epochs = []
        net = self.plain_net()
        if epochs:
            _, mean = trained.load_net(average)
            n = len(epochs)
            mean.set_weights(
                [
                    (m.astype(np.float64) * n + w.astype(np.float64)) / (n + 1)
                    for m, w in zip(mean.get_weights(), net.get_weights(), strict=True)
                ]
            )
            net = mean
        epochs = [*epochs, epoch]
        tmp = average + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        runs.save_config(self.config, tmp)
        trained.save_net(net, tmp)
        fileio.write_atomic(os.path.join(tmp, runs.AVERAGE_EPOCHS), json.dumps({"epochs": epochs}) + "\n")
        shutil.rmtree(old, ignore_errors=True)
        if os.path.isdir(average):
            os.replace(average, old)
        os.replace(tmp, average)
        shutil.rmtree(old, ignore_errors=True)
        print(f"the mean of the networks of epochs {epochs[0]}-{epochs[-1]}: {average}", flush=True)

    def plain_net(self):
        """The network with plain batch norm (a copy when it trains with
        synchronized batch norm), which loads anywhere (the JAX backend
        included)."""
        if not self.net.sync_batch_norm:
            return self.net
        net = models.build_net(
            self.config.model, width=self.config.width, hints=self.config.hints, palette=self.config.palette
        )
        net.set_weights(self.net.get_weights())
        return net

    def save_best(self, metrics):
        """Writes the network of this epoch, the best so far, as the run
        `runs.best_dir` (its config, network and `runs.BEST_EPOCH`: the
        epoch's history entry); chief only."""
        best = runs.best_dir(self.run_dir)
        os.makedirs(best, exist_ok=True)
        runs.save_config(self.config, best)
        trained.save_net(self.plain_net(), best)
        fileio.write_atomic(os.path.join(best, runs.BEST_EPOCH), json.dumps(metrics, indent=1) + "\n")
        print(f"epoch {metrics['epoch']} is the best so far (val loss {metrics['val_loss']:.4f}): {best}", flush=True)

    def save_final(self):
        """Writes the trained network into the run directory (chief only).

        The saved copy has plain batch norm, so it loads anywhere (the JAX
        backend included).
        """
        if not self.is_chief:
            return
        path = trained.save_net(self.plain_net(), self.run_dir)
        print(f"saved {path}", flush=True)


def duration(seconds):
    """A span for progress lines: "40 s", "12 min", "3 h 05 min", "2 d 04 h"."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours:02d} h"
