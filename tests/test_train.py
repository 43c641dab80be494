import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

import keras

from colorize import losses, models, train, variants
from colorize.errors import ColorizeError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _env():
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    env.pop("TF_CONFIG", None)
    return env


def _fixed_batch(size=32, seed=0):
    """Sketches of colored rectangles and their colors."""
    from colorize import sketch as sketch_lib

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
    import tensorflow as tf

    config = variants.resolve(variant, "tiny")
    weights = None
    if config.rebalance:
        prior = np.full(512, 0.5 / 511)
        prior[0] = 0.5
        from colorize import targets

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
        optimizer.apply_gradients(zip(grads, net.trainable_variables))
        return loss

    history = [float(step()) for _ in range(12)]
    assert all(np.isfinite(history))
    assert np.mean(history[-3:]) < 0.9 * np.mean(history[:3]), history


def test_cli_writes_a_complete_run_directory(tiny_run, tiny_data_dir, capsys):
    run_dir = tiny_run("chroma")
    config = variants.load(run_dir)
    assert (config.variant, config.space, config.saturation_weight) == ("chroma", "lch", 1.0)
    assert config.data_dir == tiny_data_dir
    for name in ("config.json", "model.keras", "history.json", "grids/epoch_001.png"):
        assert os.path.isfile(os.path.join(run_dir, name)), name
    assert any(f.startswith("events.out") for f in os.listdir(os.path.join(run_dir, "logs")))
    assert any(f.endswith(".index") for f in os.listdir(os.path.join(run_dir, "checkpoints")))
    history = json.load(open(os.path.join(run_dir, "history.json")))
    assert [h["epoch"] for h in history] == [1]
    assert np.isfinite(history[0]["val_loss"]) and history[0]["step"] == 4
    # The grid: rows of (sketch | prediction | truth) at the training size.
    import cv2

    grid = cv2.imread(os.path.join(run_dir, "grids/epoch_001.png"))
    assert grid.shape[1] == 3 * config.image_size and grid.shape[0] % config.image_size == 0
    # Rerunning the finished command does no more work.
    trainer = train.run(["--variant", "chroma", "--preset", "tiny", "--run-dir", run_dir, "--data-dir", tiny_data_dir])
    assert int(trainer.step.numpy()) == 4
    assert "already trained" in capsys.readouterr().out
    # The trained model loads back as a colorizer.
    config, net, colorizer = train.load_run(run_dir)
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
    with pytest.raises(ColorizeError, match="no trained model"):
        os.makedirs(tmp_path / "half")
        variants.save(variants.resolve("lch", "tiny"), str(tmp_path / "half"))
        train.load_run(str(tmp_path / "half"))
    # As a command: one line on stderr, status 2, no traceback.
    proc = subprocess.run(
        [sys.executable, "-m", "colorize.train", "--variant", "regression", "--preset", "tiny", "--run-dir", tiny_run("chroma")],
        capture_output=True, text=True, env=_env(), cwd=REPO,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: ") and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_killed_run_resumes_from_its_checkpoint(tiny_data_dir, tmp_path):
    run_dir = str(tmp_path / "run")
    cmd = [
        sys.executable, "-m", "colorize.train", "--variant", "classification", "--preset", "tiny",
        "--run-dir", run_dir, "--data-dir", tiny_data_dir, "--epochs", "2", "--steps-per-epoch", "30",
        "--checkpoint-every", "5",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=_env(), cwd=REPO)
    index = os.path.join(run_dir, "checkpoints", "checkpoint")
    deadline = time.time() + 240
    while not os.path.exists(index) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert os.path.exists(index), proc.stdout.read().decode()[-2000:]
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)  # no chance to clean up
    proc.wait()
    assert not os.path.exists(os.path.join(run_dir, "model.keras"))

    done = subprocess.run(cmd, capture_output=True, text=True, env=_env(), cwd=REPO, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
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
    import tensorflow as tf

    reader = tf.train.load_checkpoint(os.path.join(run_dir, "checkpoints"))
    names = [n for n in reader.get_variable_to_shape_map() if n.startswith("optimizer/") and "iteration" in n]
    assert names, list(reader.get_variable_to_shape_map())[:20]
    assert int(reader.get_tensor(names[0])) == 60
    assert [h["epoch"] for h in json.load(open(os.path.join(run_dir, "history.json")))] == [1, 2]


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
        argv = [
            sys.executable, os.path.join(REPO, "tests", "mwms_worker.py"), str(tmp_path / f"w{i}.npz"),
            "--variant", "lch", "--preset", "tiny", "--run-dir", run_dir, "--data-dir", tiny_data_dir,
            "--steps-per-epoch", "3",
        ]
        procs.append(subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=REPO))
    outs = [p.communicate(timeout=600)[0].decode() for p in procs]
    for p, out in zip(procs, outs):
        assert p.returncode == 0, out[-3000:]
    assert "2 replica(s)" in outs[0]
    a, b = np.load(tmp_path / "w0.npz"), np.load(tmp_path / "w1.npz")
    assert len(a.files) == len(b.files) > 10
    for key in a.files:
        np.testing.assert_allclose(a[key], b[key], rtol=0, atol=1e-6, err_msg=key)
    # Only the chief wrote the shared outputs; the other worker's required
    # checkpoint copy was removed.
    assert os.path.isfile(os.path.join(run_dir, "model.keras"))
    assert not os.path.exists(os.path.join(run_dir, "workers", "worker1", "checkpoint"))
    events = os.listdir(os.path.join(run_dir, "logs"))
    assert len([e for e in events if e.startswith("events.out")]) == 1
