"""The paper's learning-rate rule: divide by 10 when the validation loss plateaus.

`PlateauSchedule` keeps its state (the learning rate, the best validation loss
so far and the epochs waited since) in `tf.Variable`s, so a
`tf.train.Checkpoint` that tracks it resumes the rule exactly where a killed
run left it.
"""

import math

import tensorflow as tf


class PlateauSchedule(tf.Module):
    """Reduces the learning rate when the validation loss stops improving.

    After each epoch, `update(val_loss)`: a loss below `best - min_delta` is an
    improvement (it becomes `best` and the wait restarts at 0); any other loss
    adds one epoch to the wait. When the wait reaches `patience` and the rate
    is above `min_learning_rate`, the rate becomes
    `max(rate * factor, min_learning_rate)` and the wait restarts. A rate
    already at its minimum stays there (the wait keeps counting).

    Args:
        learning_rate: the initial learning rate.
        factor: what the rate is multiplied by on a plateau (0 < factor < 1).
        patience: epochs without improvement before the rate drops (>= 1).
        min_learning_rate: the floor of the rate.
        min_delta: how much lower than the best a loss must be to count as an
            improvement (in loss units).
        name: the module's name.

    Example:
        >>> schedule = PlateauSchedule(1.0, factor=0.5, patience=2)
        >>> [schedule.update(v) for v in (1.0, 0.9, 0.95, 0.95)]
        [None, None, None, 0.5]
    """

    def __init__(self, learning_rate, factor=0.1, patience=2, min_learning_rate=1e-7, min_delta=1e-4, name="plateau"):
        super().__init__(name=name)
        if not 0.0 < factor < 1.0:
            raise ValueError(f"factor must be in (0, 1), not {factor}")
        if patience < 1:
            raise ValueError(f"patience must be >= 1, not {patience}")
        self.factor = float(factor)
        self.patience = int(patience)
        self.min_learning_rate = float(min_learning_rate)
        self.min_delta = float(min_delta)
        # float64: the rate read back is the rate assigned (no float32 drift
        # of 1e-3 * 0.1 in the log lines and history).
        self.learning_rate = tf.Variable(float(learning_rate), dtype=tf.float64, trainable=False, name="learning_rate")
        self.best = tf.Variable(math.inf, dtype=tf.float64, trainable=False, name="best_val_loss")
        self.wait = tf.Variable(0, dtype=tf.int64, trainable=False, name="plateau_wait")

    @property
    def current(self):
        """The learning rate now (a Python float)."""
        return float(self.learning_rate.numpy())

    def update(self, val_loss):
        """Applies the rule after an epoch with validation loss `val_loss`.

        Args:
            val_loss: the epoch's mean validation loss (a float).

        Returns:
            The new learning rate (a float) when the rule lowered it, else None.
        """
        val_loss = float(val_loss)
        if val_loss < float(self.best.numpy()) - self.min_delta:
            self.best.assign(val_loss)
            self.wait.assign(0)
            return None
        self.wait.assign_add(1)
        lr = self.current
        if int(self.wait.numpy()) >= self.patience and lr > self.min_learning_rate:
            lr = max(lr * self.factor, self.min_learning_rate)
            self.learning_rate.assign(lr)
            self.wait.assign(0)
            return lr
        return None
