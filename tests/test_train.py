import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import cv2
import keras
import numpy as np
import pytest
import tensorflow as tf

from colorize import runs, train, variants
from colorize.data import sketch as sketch_lib
from colorize.errors import ColorizeError
from colorize.nets import losses, models, targets, trained
from colorize.training import distribution, task, trainer

import helpers


def _env():
    env = helpers.env()
    env.pop("TF_CONFIG", None)
    return env


def _fixed_batch(size=32, seed=0):
    """Sketches of colored rectangles and their colors."""
    rng = np.random.default_rng(seed)
    colors, sketches = [], []
    for _ in range(4):
        img = np.full((size, size, 3), 255, np.uint8)
        for _ in range(3):
            y, x = rng.integers(0, size - 8, 2)
            img[y : y + 8, x : x + 8] = rng.integers(0, 256, 3)
        line, _ = sketch_lib.extract_sketch(img[..., ::-1])
        colors.append(img)
        sketches.append(line[..., None])
    return np.stack(sketches), np.stack(colors)


@pytest.mark.parametrize("variant", list(variants.VARIANTS))
def test_every_variant_loss_is_finite_and_falls_on_a_fixed_batch(variant):
    # Seeded: the same initial weights every run, so the 10 % fall asserted
    # below is a fixed outcome, not a likely one.
    keras.utils.set_random_seed(0)
    config = variants.resolve(variant, "tiny")
    weights = None
    if config.rebalance:
        prior = np.full(512, 0.5 / 511)
        prior[0] = 0.5
        weights = targets.rebalance_weights(prior)
    net = models.build_net(config.model, width=0.0625)
    loss_fn = losses.for_config(config, weights)
    optimizer = keras.optimizers.Adam(3e-3)
    sketch, color = _fixed_batch()
    color_f = color.astype("float32")

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(loss_fn(color_f, net(sketch, training=True)))
        grads = tape.gradient(loss, net.trainable_variables)
        optimizer.apply_gradients(zip(grads, net.trainable_variables, strict=True))
        return loss

    history = [float(step()) for _ in range(12)]
    assert all(np.isfinite(history))
    assert np.mean(history[-3:]) < 0.9 * np.mean(history[:3]), history


def test_cli_writes_a_complete_run_directory(tiny_run, tiny_data_dir, capsys):
    run_dir = tiny_run("chroma")
    config = runs.load_config(run_dir)
    assert (config.variant, config.space, config.saturation_weight) == ("chroma", "lch", 1.0)
    assert config.data_dir == tiny_data_dir
    for path in (runs.config_path(run_dir), runs.model_path(run_dir), runs.history_path(run_dir)):
        assert os.path.isfile(path), path
    assert os.path.isfile(runs.grid_path(run_dir, 1))
    assert any(f.startswith("events.out") for f in os.listdir(runs.logs_dir(run_dir)))
    assert any(f.endswith(".index") for f in os.listdir(runs.checkpoint_dir(run_dir)))
    history = runs.load_history(run_dir)
    assert [h["epoch"] for h in history] == [1]
    assert np.isfinite(history[0]["val_loss"]) and history[0]["step"] == 4
    assert history[0]["learning_rate"] == pytest.approx(config.learning_rate, rel=1e-6)  # float32 of 1e-3
    assert 0.0 <= history[0]["val_hue_right"] <= 1.0  # a classification network's hue bins
    # The grid: rows of (sketch | prediction | truth) at the training size.
    grid = cv2.imread(runs.grid_path(run_dir, 1))
    assert grid.shape[1] == 3 * config.image_size and grid.shape[0] % config.image_size == 0
    # Rerunning the finished command does no more work.
    trainer = train.run(["--variant", "chroma", "--preset", "tiny", "--run-dir", run_dir, "--data-dir", tiny_data_dir])
    assert int(trainer.step.numpy()) == 4
    assert "already trained" in capsys.readouterr().out
    # ... but writes the final network from the last checkpoint (how a run
    # stopped early is finished at the epoch it reached: `--epochs N`).
    _, before = trained.load_net(run_dir)
    os.remove(runs.model_path(run_dir))
    train.run(["--variant", "chroma", "--preset", "tiny", "--run-dir", run_dir, "--data-dir", tiny_data_dir])
    _, after = trained.load_net(run_dir)
    for a, b in zip(before.get_weights(), after.get_weights()):
        np.testing.assert_array_equal(a, b)
    # The trained model loads back as a colorizer.
    config, net = trained.load_net(run_dir)
    colorizer = models.build_colorizer(net, config.space, config.temperature)
    out = keras.ops.convert_to_numpy(colorizer(np.full((1, 64, 64, 1), 255, np.uint8)))
    assert out.shape == (1, 64, 64, 3) and 0 <= out.min() and out.max() <= 255


def test_bad_flags_are_one_line_errors(tiny_run, tiny_data_dir, tmp_path):
    with pytest.raises(ColorizeError, match="unknown variant 'gan'"):
        train.run(["--variant", "gan"])
    with pytest.raises(ColorizeError, match="--batch-size must be positive"):
        train.run(["--batch-size", "-3", "--run-dir", str(tmp_path / "r")])
    with pytest.raises(ColorizeError, match="holds a 'chroma' run, not 'regression'"):
        train.run(["--variant", "regression", "--preset", "tiny", "--run-dir", tiny_run("chroma")])
    with pytest.raises(ColorizeError, match="invalid int value"):
        train.run(["--epochs", "many"])
    with pytest.raises(ColorizeError, match=r"--rebalance-lambda must be in \(0, 1\], not 1.5"):
        train.run(["--rebalance-lambda", "1.5", "--run-dir", str(tmp_path / "r")])
    config, _ = train.resolve_config(
        train.parse_args(["--variant", "lch", "--rebalance-lambda", "0.9", "--temperature", "0.2"])
    )
    assert (config.rebalance_lambda, config.temperature) == (0.9, 0.2)
    config, _ = train.resolve_config(train.parse_args(["--variant", "lch", "--hint-none-share", "0.5"]))
    assert config.hint_none_share == 0.5
    with pytest.raises(ColorizeError, match=r"--hint-none-share must be in \[0, 1\], not 1.5"):
        train.run(["--hint-none-share", "1.5", "--run-dir", str(tmp_path / "r")])
    with pytest.raises(ColorizeError, match="no trained model"):
        os.makedirs(tmp_path / "half")
        runs.save_config(variants.resolve("lch", "tiny"), str(tmp_path / "half"))
        trained.load_net(str(tmp_path / "half"))
    # As a command: one line on stderr, status 2, no traceback.
    proc = helpers.run_python(
        ["-m", "colorize.train", *"--variant regression --preset tiny --run-dir".split(), tiny_run("chroma")],
        environ=_env(),
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: ") and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_killed_run_resumes_from_its_checkpoint(tiny_data_dir, tmp_path):
    run_dir = str(tmp_path / "run")
    cmd = [sys.executable, "-m", "colorize.train", "--run-dir", run_dir, "--data-dir", tiny_data_dir]
    cmd += "--variant classification --preset tiny --epochs 2 --steps-per-epoch 30 --checkpoint-every 5".split()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=_env(), cwd=helpers.REPO)
    index = os.path.join(runs.checkpoint_dir(run_dir), "checkpoint")
    deadline = time.time() + 240  # a bound on waiting, not an assertion about speed
    while not os.path.exists(index) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert os.path.exists(index), proc.stdout.read().decode()[-2000:]
    # Killed as soon as the first checkpoint (step 5, 10, ...) is there: far
    # from the end (step 60), whatever the machine's speed.
    proc.send_signal(signal.SIGKILL)  # no chance to clean up
    proc.wait()
    assert not os.path.exists(runs.model_path(run_dir))

    done = helpers.run_python(cmd[1:], environ=_env())
    resumed = [line for line in done.stdout.splitlines() if line.startswith("resuming from")]
    assert resumed, done.stdout[-2000:]
    start = int(resumed[0].split("(step ")[1].rstrip(")"))
    assert 5 <= start < 60 and start % 5 == 0
    # Only the remaining steps ran: the first progress line after resuming
    # continues the interrupted epoch's numbering.
    progress = [line for line in done.stdout.splitlines() if line.startswith("epoch ") and " step " in line]
    first_epoch, first_step = progress[0].split()[1], int(progress[0].split()[3].split("/")[0])
    assert first_epoch == f"{start // 30 + 1}/2" and first_step == start % 30 + 1
    # The optimizer continued too: its iteration count equals the total
    # number of steps (it would be total - start had it been reset).
    reader = tf.train.load_checkpoint(runs.checkpoint_dir(run_dir))
    names = [n for n in reader.get_variable_to_shape_map() if n.startswith("optimizer/") and "iteration" in n]
    assert names, list(reader.get_variable_to_shape_map())[:20]
    assert int(reader.get_tensor(names[0])) == 60
    assert [h["epoch"] for h in runs.load_history(run_dir)] == [1, 2]


def test_an_interrupted_run_saves_the_steps_done_and_resumes_from_them(tiny_data_dir, tmp_path, capsys):
    run_dir = str(tmp_path / "run")
    config = variants.resolve("regression", "tiny", data_dir=tiny_data_dir, steps_per_epoch=10, checkpoint_every=1000)
    strategy = tf.distribute.get_strategy()
    first = trainer.Trainer(task.ColorizationTask(config), run_dir, strategy)
    step, calls = first.train_step, []

    def interrupted_at_the_fourth(batch):  # Ctrl-C between steps 3 and 4, long before a checkpoint is due
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return step(batch)

    first.train_step = interrupted_at_the_fourth
    with pytest.raises(KeyboardInterrupt):
        first.fit()
    printed = capsys.readouterr().out
    assert re.search(r"interrupted at step 3: saved \S+ckpt-3; run the same command to resume", printed), printed
    again = trainer.Trainer(task.ColorizationTask(config), run_dir, strategy)
    assert again.restore() == 3
    for a, b in zip(again.net.get_weights(), first.net.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def _run_until_progress_then_sigterm(cmd):
    """Starts `cmd`, sends SIGTERM once its first progress line is out
    (training has started) and returns its exit status and output."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=_env(), cwd=helpers.REPO)
    lines = []
    for line in iter(proc.stdout.readline, b""):
        lines.append(line.decode())
        if line.startswith(b"epoch 1/1 step"):
            break
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=120)
    return proc.returncode, "".join(lines) + rest.decode()


def _interrupted_step(returncode, out):
    assert returncode == 130, out[-2000:]
    saved = re.search(r"interrupted at step (\d+): saved \S+; run the same command to resume", out)
    assert saved and "Traceback" not in out, out[-2000:]
    return int(saved.group(1))


@pytest.mark.slow
def test_sigterm_stops_training_as_ctrl_c_does_and_the_rerun_resumes(tiny_data_dir, tmp_path):
    run_dir = str(tmp_path / "run")
    cmd = [sys.executable, "-m", "colorize.train", "--run-dir", run_dir, "--data-dir", tiny_data_dir]
    cmd += "--variant regression --preset tiny --epochs 1 --steps-per-epoch 400 --log-every 2".split()
    cmd += ["--checkpoint-every", "1000"]  # no regular checkpoint before the end
    step = _interrupted_step(*_run_until_progress_then_sigterm(cmd))
    assert 2 <= step < 400
    # The same command resumes from the step saved on SIGTERM; stopped again once
    # it trains (the rest of the 400 steps would only cost time), it saves a later step.
    returncode, out = _run_until_progress_then_sigterm(cmd)
    assert f"resuming from {runs.checkpoint_dir(run_dir)}/ckpt-{step} (step {step})" in out, out[-2000:]
    assert step < _interrupted_step(returncode, out) < 400


def _free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


@pytest.mark.slow
def test_multi_worker_training_ends_with_identical_weights(tiny_data_dir, tmp_path):
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    run_dir = str(tmp_path / "run")
    procs = []
    for i in range(2):
        env = _env()
        env["TF_CONFIG"] = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})
        argv = [sys.executable, os.path.join(helpers.REPO, "tests", "mwms_worker.py"), str(tmp_path / f"w{i}.npz")]
        argv += [
            "--run-dir",
            run_dir,
            "--data-dir",
            tiny_data_dir,
            *"--variant lch --preset tiny --steps-per-epoch 3".split(),
        ]
        procs.append(
            subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=helpers.REPO)
        )
    outs = [p.communicate(timeout=600)[0].decode() for p in procs]
    for p, out in zip(procs, outs, strict=True):
        assert p.returncode == 0, out[-3000:]
    assert "2 replica(s)" in outs[0]
    a, b = np.load(tmp_path / "w0.npz"), np.load(tmp_path / "w1.npz")
    assert len(a.files) == len(b.files) > 10
    for key in a.files:
        np.testing.assert_allclose(a[key], b[key], rtol=0, atol=1e-6, err_msg=key)
    # Only the chief wrote the shared outputs; the other worker's required
    # checkpoint copy was removed.
    assert os.path.isfile(runs.model_path(run_dir))
    assert not os.path.exists(os.path.join(runs.checkpoint_dir(run_dir, 1), "checkpoint"))
    events = os.listdir(runs.logs_dir(run_dir))
    assert len([e for e in events if e.startswith("events.out")]) == 1


@pytest.mark.parametrize(
    "tf_config, message",
    [
        ("{not json", "TF_CONFIG is not a valid cluster spec (Expecting property name"),
        ('{"cluster": 3, "task": {"type": "worker", "index": 0}}', "`cluster` must be a dictionary"),
        ('{"cluster": {"worker": ["a:1", "b:2"]}}', "it names no task"),
        ('{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": "x"}}', "invalid literal"),
        ('{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 2}}', "task worker 2 is not in"),
        ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "ps", "index": 0}}', "task ps 0 is not in"),
    ],
)
def test_a_malformed_tf_config_is_a_one_line_error(monkeypatch, tf_config, message):
    monkeypatch.setenv("TF_CONFIG", tf_config)
    with pytest.raises(ColorizeError, match="TF_CONFIG is not a valid cluster spec") as e:
        distribution.make_strategy()
    assert message in str(e.value) and "\n" not in str(e.value)


def test_without_a_cluster_one_machine_trains_as_the_chief(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    strategy, task_type, task_index, is_chief = distribution.make_strategy()
    assert isinstance(strategy, tf.distribute.MirroredStrategy)
    assert (task_type, task_index, is_chief) == ("chief", 0, True)
    # A one-worker cluster is one machine too.
    one_worker = {"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 0}}
    monkeypatch.setenv("TF_CONFIG", json.dumps(one_worker))
    strategy, task_type, task_index, is_chief = distribution.make_strategy()
    assert isinstance(strategy, tf.distribute.MirroredStrategy)
    assert (task_type, task_index, is_chief) == ("worker", 0, True)


def test_resuming_restores_the_plateau_rule_and_the_learning_rate(tiny_data_dir, tmp_path, capsys):
    run_dir = str(tmp_path / "run")
    config = variants.resolve("regression", "tiny", data_dir=tiny_data_dir, steps_per_epoch=2)
    strategy = tf.distribute.get_strategy()
    first = trainer.Trainer(task.ColorizationTask(config), run_dir, strategy)
    first.fit()
    # Progress lines say when the epoch and the run will end; the epoch's line its PSNR.
    printed = capsys.readouterr().out
    assert re.search(r"img/s; epoch ends in about \d+ s, the run in \d+ s", printed), printed
    assert re.search(r"val RGB MSE [\d.]+ \(PSNR [\d.]+ dB\)", printed), printed
    assert "hue right" not in printed and first.history[-1]["val_hue_right"] is None  # a regression network
    # As if two epochs had plateaued: the rule lowered the rate and waits.
    first.schedule.best.assign(0.25)
    first.schedule.wait.assign(1)
    first.schedule.learning_rate.assign(1e-4)
    first.optimizer.learning_rate.assign(1e-4)
    first.save_checkpoint()

    again = trainer.Trainer(task.ColorizationTask(config), run_dir, strategy)
    assert again.restore() == 2
    assert float(again.schedule.best.numpy()) == 0.25 and int(again.schedule.wait.numpy()) == 1
    assert again.schedule.current == 1e-4  # float64: exactly what was assigned
    assert again.learning_rate == pytest.approx(1e-4, rel=1e-6)  # the optimizer's float32 copy
    assert len(again.net.get_weights()) == len(first.net.get_weights())
    for a, b in zip(again.net.get_weights(), first.net.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_average_from_keeps_the_mean_of_the_epochs_networks(tiny_data_dir, tmp_path, capsys):
    run_dir = str(tmp_path / "run")
    config = variants.resolve("regression", "tiny", data_dir=tiny_data_dir, steps_per_epoch=2, average_from=1)
    strategy = tf.distribute.get_strategy()
    first = trainer.Trainer(task.ColorizationTask(config.replace(epochs=1)), run_dir, strategy)
    first.fit()
    epoch1 = [w.copy() for w in first.net.get_weights()]
    second = trainer.Trainer(task.ColorizationTask(config.replace(epochs=2)), run_dir, strategy)
    second.fit()
    epoch2 = second.net.get_weights()
    average = runs.average_dir(run_dir)
    assert "the mean of the networks of epochs 1-2: " + average in capsys.readouterr().out

    def mean():
        with open(os.path.join(average, runs.AVERAGE_EPOCHS)) as f:
            return json.load(f)["epochs"], trained.load_net(average)[1].get_weights()

    epochs, weights = mean()
    assert epochs == [1, 2]
    assert not any(np.array_equal(a, b) for a, b in zip(epoch1, epoch2, strict=True) if a.size > 1)  # it trained
    for w, a, b in zip(weights, epoch1, epoch2, strict=True):
        # float32 means of float32 weights: off by at most half a float32 step of the result.
        np.testing.assert_allclose(w, (a.astype(np.float64) + b) / 2, rtol=2**-23, atol=1e-30)
    # The last steps of epoch 2 rerun after an interruption: epoch 2 is not added twice.
    second.save_average(2)
    assert mean()[0] == [1, 2]
    # --average-from raised on resume: the mean starts again from that epoch.
    raised = trainer.Trainer(task.ColorizationTask(config.replace(epochs=3, average_from=3)), run_dir, strategy)
    raised.fit()
    epochs, weights = mean()
    assert epochs == [3]
    for w, b in zip(weights, raised.net.get_weights(), strict=True):
        np.testing.assert_array_equal(w, b)
    assert sorted(os.listdir(tmp_path / "run")).count("average") == 1
    assert not [name for name in os.listdir(run_dir) if name.startswith("average.")]


def test_init_from_starts_from_another_runs_weights(tiny_run, tiny_data_dir, tmp_path):
    source = tiny_run("rebalance")
    _, net = trained.load_net(source)
    run_dir = str(tmp_path / "finetune")
    flags = ["--variant", "rebalance", "--preset", "tiny", "--data-dir", tiny_data_dir, "--epochs", "1"]
    flags += ["--steps-per-epoch", "1", "--init-from", source, "--spare-white", "on", "--run-dir", run_dir]
    loop = trainer.Trainer(
        task.ColorizationTask(train.resolve_config(train.parse_args(flags))[0]), run_dir, tf.distribute.get_strategy()
    )
    assert loop.restore() == 0
    for mine, theirs in zip(loop.net.get_weights(), net.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert runs.load_config(source).init_from == ""
    # A network of another width cannot be the start.
    other = flags[:-2] + ["--run-dir", str(tmp_path / "wide"), "--width", "0.5"]
    wide = trainer.Trainer(
        task.ColorizationTask(train.resolve_config(train.parse_args(other))[0]),
        str(tmp_path / "wide"),
        tf.distribute.get_strategy(),
    )
    with pytest.raises(ColorizeError, match="--init-from .*width"):
        wide.restore()


def test_the_best_epochs_network_is_kept_as_a_run(tiny_data_dir, tmp_path, monkeypatch):
    run_dir = str(tmp_path / "run")
    config = variants.resolve("rebalance", "tiny", data_dir=tiny_data_dir, steps_per_epoch=1, epochs=3)
    loop = trainer.Trainer(task.ColorizationTask(config), run_dir, tf.distribute.get_strategy())
    # Validation losses as if epoch 2 were the best: its network is kept, not epoch 3's.
    scripted = iter([3.0, 2.0, 2.5])
    validate = loop.validate

    def scripted_validate(*args):
        means, count, grid = validate(*args)
        return {**means, "loss": next(scripted)}, count, grid

    monkeypatch.setattr(loop, "validate", scripted_validate)
    loop.fit()
    best = runs.best_dir(run_dir)
    history = runs.load_history(run_dir)
    with open(os.path.join(best, runs.BEST_EPOCH)) as f:
        assert json.load(f)["epoch"] == 2 and [h["val_loss"] for h in history] == [3.0, 2.0, 2.5]
    # Each epoch records the process CPU seconds spent so far (for comparisons per CPU-hour).
    cpu = [h["cpu_seconds"] for h in history]
    assert 0 < cpu[0] < cpu[1] < cpu[2]
    assert runs.load_config(best) == config
    _, kept = trained.load_net(best)
    # Epoch 2 ended at step 2: its checkpoint holds the same network.
    at_two = trainer.Trainer(task.ColorizationTask(config), str(tmp_path / "other"), tf.distribute.get_strategy())
    at_two.checkpoint.restore(os.path.join(runs.checkpoint_dir(run_dir), "ckpt-2")).expect_partial()
    for mine, theirs in zip(kept.get_weights(), at_two.net.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert any(not np.array_equal(a, b) for a, b in zip(kept.get_weights(), loop.net.get_weights(), strict=True))


@pytest.mark.parametrize(
    "seconds, text",
    [(-3, "0 s"), (40.4, "40 s"), (59.6, "1 min"), (12 * 60 + 20, "12 min"), (3 * 3600 + 5 * 60, "3 h 05 min")]
    + [(47 * 3600 + 59 * 60, "47 h 59 min"), (2 * 86400 + 4 * 3600 + 10, "2 d 04 h")],
)
def test_duration_reads_as_a_person_would_say_it(seconds, text):
    assert trainer.duration(seconds) == text
