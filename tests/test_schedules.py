"""The plateau learning-rate rule on hand-worked sequences, and its state
surviving a checkpoint."""

import math

import pytest
import tensorflow as tf

from colorize.training.schedules import PlateauSchedule


def _run(schedule, losses):
    """(returned value, rate, best, wait) after each update."""
    out = []
    for loss in losses:
        lowered = schedule.update(loss)
        out.append((lowered, schedule.current, float(schedule.best.numpy()), int(schedule.wait.numpy())))
    return out


def test_the_rate_drops_after_patience_epochs_without_improvement():
    schedule = PlateauSchedule(1.0, factor=0.5, patience=2, min_learning_rate=0.1, min_delta=0.01)
    steps = _run(schedule, [1.0, 0.8, 0.795, 0.9, 0.7, 0.7, 0.7])
    assert steps == [
        (None, 1.0, 1.0, 0),  # first loss: below inf, the new best
        (None, 1.0, 0.8, 0),  # 0.8 < 1.0 - 0.01: improvement
        (None, 1.0, 0.8, 1),  # 0.795 is not below 0.8 - 0.01: waits 1
        (0.5, 0.5, 0.8, 0),  # waits 2 = patience: 1.0 * 0.5, the wait restarts
        (None, 0.5, 0.7, 0),  # improvement
        (None, 0.5, 0.7, 1),
        (0.25, 0.25, 0.7, 0),  # plateau again: 0.5 * 0.5
    ]


def test_the_rate_stops_at_its_minimum():
    schedule = PlateauSchedule(1.0, factor=0.1, patience=1, min_learning_rate=0.05)
    steps = _run(schedule, [2.0, 2.0, 2.0, 2.0, 2.0])
    assert [s[0] for s in steps] == [None, pytest.approx(0.1), 0.05, None, None]
    assert schedule.current == 0.05  # max(0.1 * 0.1, 0.05), exactly the floor
    # At the floor the wait keeps counting (nothing left to lower).
    assert [s[3] for s in steps] == [0, 0, 0, 1, 2]


def test_a_nan_loss_is_never_an_improvement():
    schedule = PlateauSchedule(1.0, factor=0.5, patience=1, min_delta=0.0)
    assert schedule.update(1.0) is None
    assert schedule.update(math.nan) == 0.5
    assert float(schedule.best.numpy()) == 1.0


@pytest.mark.parametrize(
    "kwargs, message",
    [(dict(factor=1.0), "factor must be in"), (dict(factor=0.0), "factor"), (dict(patience=0), "patience")],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PlateauSchedule(1e-3, **kwargs)


def test_the_state_is_checkpointed(tmp_path):
    schedule = PlateauSchedule(1e-3, factor=0.1, patience=2)
    _run(schedule, [1.0, 1.5, 1.5, 1.5])  # lowered once, then waits 1
    assert (schedule.current, int(schedule.wait.numpy())) == (pytest.approx(1e-4), 1)
    path = tf.train.Checkpoint(plateau=schedule).save(str(tmp_path / "ckpt"))

    fresh = PlateauSchedule(1e-3, factor=0.1, patience=2)
    tf.train.Checkpoint(plateau=fresh).restore(path).assert_existing_objects_matched()
    assert fresh.current == schedule.current and float(fresh.best.numpy()) == 1.0
    assert int(fresh.wait.numpy()) == 1
    # The restored rule goes on where the first one was: one more flat epoch
    # completes the patience.
    assert fresh.update(1.2) == pytest.approx(1e-5)
